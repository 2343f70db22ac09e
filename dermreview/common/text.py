"""Free text as DermReview accepts it and as it compares it.

Two functions, for two jobs:

* `normalise_text` is applied to every text a person enters (case references and labels, clinical notes, the six
  finding fields, rejection and amendment reasons, ungradable details, alarm notes): Unicode NFKC (fullwidth and
  other compatibility forms become their plain letters), and a refusal, with the character and its position, of
  anything that changes what a reader sees without showing itself: format characters (category Cf: zero-width
  space and joiners, soft hyphen, word joiner, the bidirectional embeddings, overrides and isolates U+202A-U+202E
  and U+2066-U+2069, BOM, tags), private-use (Co) and surrogate (Cs) code points, control characters (Cc) other
  than line breaks and tabs, and the letters that render as blanks (Hangul fillers, the blank Braille pattern).
  One-line fields take line breaks and tabs as spaces; multi-line fields keep them (CR LF becomes LF).
* `fold_for_matching` is for deciding, never for storing: the key under which a text is matched against a
  vocabulary (the diagnosis classes). Hidden characters are dropped, look-alike letters of other scripts are
  mapped to the Latin letter they imitate (`dermreview.common.confusables`), case is folded, accents are
  dropped, dotted abbreviations are closed up ("B.C.C." is "bcc") and every other mark separates words.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError

from dermreview.common.confusables import CONFUSABLES

_REFUSED_CATEGORIES = frozenset({"Cf", "Co", "Cs", "Cc"})
# Letters and symbols that render as nothing at all: not format characters by category, blanks in practice.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_LINE_BREAKS = frozenset("\n\r")
_TAB = "\t"
_KINDS = {
    "Cf": "an invisible or direction-changing character",
    "Co": "a private-use character",
    "Cs": "an unpaired surrogate code point",
    "Cc": "a control character",
}
# Two or more single letters, each followed by a dot: "b.c.c.", "c.s.c.c" (after case folding).
_DOTTED_ABBREVIATION = re.compile(r"\b[a-z](?:\.[a-z]\b)+\.?")
_APOSTROPHES = re.compile(r"['\u2019\u02bc`\u00b4]")
_SEPARATORS = re.compile(r"[\W_]+")


class TextRefused(ValidationError):
    """A text holding a character DermReview does not accept. `message` says which character and where."""

    def __init__(self, message: str, *, field: str, position: int, character: str) -> None:
        super().__init__(message, code="hidden_character")
        self.field = field
        self.position = position
        self.character = character


def describe_character(character: str) -> str:
    """"U+200B ZERO WIDTH SPACE" (or just the code point for a character without a name, such as a control)."""
    name = unicodedata.name(character, "")
    return f"U+{ord(character):04X} {name}".rstrip()


def _refusal(character: str) -> str | None:
    """Why `character` is refused (a phrase for the message), or None when it is accepted."""
    if character in _LINE_BREAKS or character == _TAB:
        return None
    if character in _BLANK_LETTERS:
        return _KINDS["Cf"]
    category = unicodedata.category(character)
    if category in _REFUSED_CATEGORIES:
        return _KINDS[category]
    return None


def first_refused_character(value: str) -> tuple[int, str, str] | None:
    """(1-based position, character, phrase) of the first character `normalise_text` refuses, or None."""
    for index, character in enumerate(value):
        reason = _refusal(character)
        if reason is not None:
            return index + 1, character, reason
    return None


def _check(value: str, *, field: str) -> None:
    found = first_refused_character(value)
    if found is not None:
        position, character, phrase = found
        raise TextRefused(
            f"Contains {phrase} ({describe_character(character)}) at position {position}: remove it and retype "
            f"the text.", field=field, position=position, character=character,
        )


def normalise_text(value: str, *, field: str, multiline: bool) -> str:
    """`value` in NFKC, with line breaks and tabs as the field allows; raises TextRefused (a ValidationError).

    The refusal names the first hidden character as the person typed it (`U+200B ZERO WIDTH SPACE`) and its
    1-based position. Surrounding whitespace is kept: trimming and collapsing are the caller's choice. One-line
    fields (`multiline=False`) get spaces for their line breaks and tabs.
    """
    text = str(value)
    _check(text, field=field)
    text = unicodedata.normalize("NFKC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    if not multiline:
        text = text.replace("\n", " ").replace(_TAB, " ")
    # NFKC maps a few compatibility characters to ones refused here (e.g. a Hangul filler variant): check again.
    _check(text, field=field)
    return text


def _visible(character: str) -> bool:
    if character.isspace():
        return True
    return character not in _BLANK_LETTERS and unicodedata.category(character) not in _REFUSED_CATEGORIES


def fold_for_matching(value: str) -> str:
    """The matching key of `value`: lower-case Latin words separated by single spaces ("" when none are left).

    Hidden characters are dropped (so AI text "mela\\u200bnoma" is "melanoma"), NFKC, look-alike letters mapped to
    Latin, case folded, accents dropped, "B.C.C." closed up to "bcc", apostrophes dropped ("Bowen's" is "bowens"),
    and hyphens, slashes, punctuation and runs of whitespace become one space. Letters of other scripts that no
    table maps stay as they are (see `has_mixed_script_word`).
    """
    text = unicodedata.normalize("NFKC", str(value or ""))
    text = "".join(character for character in text if _visible(character))
    text = text.translate(CONFUSABLES).casefold()
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = _DOTTED_ABBREVIATION.sub(lambda match: match.group(0).replace(".", ""), text)
    text = _APOSTROPHES.sub("", text)
    return " ".join(_SEPARATORS.sub(" ", text).split())


def has_mixed_script_word(folded: str) -> bool:
    """Whether a word of a folded text mixes ASCII letters with letters of another script ("mеlanoma" with a
    look-alike the confusables table does not know): such a word must not be trusted to match anything."""
    for word in folded.split():
        ascii_letters = any("a" <= c <= "z" for c in word)
        other_letters = any(c.isalpha() and not c.isascii() for c in word)
        if ascii_letters and other_letters:
            return True
    return False
