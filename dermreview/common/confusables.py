"""Letters of other scripts that look like Latin ones, mapped to the Latin letter they imitate.

A hand table of the common look-alikes (Unicode's confusables.txt has thousands of entries, most of them symbols
and letters that NFKC already folds). What it needs to cover: letters NFKC leaves alone that pass for Latin in a
lesion type, so that "melаnoma" with a Cyrillic "а", "mеlanoma" with a Cyrillic "е", "ΒCC" with a Greek capital
Beta or "basal ᴄell carcinoma" with a small capital "ᴄ" match the class they imitate. Fullwidth letters,
mathematical alphanumerics, circled and superscript letters need no entry: NFKC turns them into ASCII first.

Case is kept (an upper-case look-alike maps to an upper-case letter) because a few letters imitate different
Latin letters in each case: Greek "Η" looks like "H", "η" like "n". A look-alike this table misses is not
silently trusted: a word that mixes Latin with another script after folding matches no class (see
`dermreview.common.text.has_mixed_script_word`), so AI text holding one counts as high-risk and a reviewer is asked
to retype it.
"""

from __future__ import annotations

_PAIRS = {
    # Cyrillic capitals
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "Ԛ": "Q", "Ԝ": "W", "Ӏ": "I", "Ү": "Y", "Ѵ": "V",
    # Cyrillic small letters (some imitate Latin small capitals: "м", "т", "к", "в", "н")
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t",
    "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j", "ԛ": "q", "ԝ": "w", "ӏ": "l", "һ": "h", "ԁ": "d",
    "ү": "y", "ѵ": "v", "ь": "b", "г": "r", "п": "n", "ё": "e", "ї": "i",
    # Greek capitals
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    # Greek small letters
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "σ": "o", "ς": "s", "τ": "t", "υ": "u", "χ": "x", "ϲ": "c", "ϳ": "j", "ω": "w",
    # Armenian
    "Օ": "O", "օ": "o", "ս": "u", "հ": "h", "ո": "n", "ց": "g", "զ": "q",
    # Latin small capitals and other Latin look-alikes that NFKC leaves alone
    "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ꜰ": "f", "ɢ": "g", "ʜ": "h", "ɪ": "i", "ᴊ": "j",
    "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ꞯ": "q", "ʀ": "r", "ꜱ": "s", "ᴛ": "t",
    "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z",
    "ɑ": "a", "ı": "i", "ȷ": "j", "ɩ": "i", "ʋ": "u", "ɡ": "g", "ǀ": "l", "ɒ": "a", "ɛ": "e", "ɔ": "c",
}

CONFUSABLES: dict[int, str] = str.maketrans(_PAIRS)
