"""The grammars that hold a reply in schema and json decoding, built from the prompt profile.

A JSON schema would let the model write only the canonical keys, in one whitespace style, with the length limits
inside the grammar. This EBNF grammar (xgrammar's dialect, which vLLM's structured outputs also take) instead
follows the profile: the fields in the profile's order, each key in any spelling the profile accepts, and only
the whitespace its layout allows. Values are JSON strings with every JSON escape; with ``list_values`` a value
may also be a list of strings (the parser joins it).

Two deliberate choices:

* Whitespace is bounded: one optional blank, or with the ``indented`` layout a line break and at most 16 spaces
  or 4 tabs, at each place JSON allows it. Free whitespace would let a weak or random model pad with blanks
  until the token limit.
* No length limits. A value runs until the model closes it; the `Finding` model checks the limits after parsing,
  so an over-long value becomes a ``schema_invalid`` draft whose raw text is kept for audit, instead of a value
  silently cut off where the grammar forced a closing quote. A value needs at least one character: an empty one
  can never be a valid finding.

`json_object_grammar` is json decoding's looser grammar: any JSON object, with the same bounded whitespace.
xgrammar's built-in JSON grammar allows unbounded whitespace anywhere, and the tiny random test model, like any
weak model, then fills the whole token budget with blanks after ``{""``.

Pure string building: this module imports no grammar library, so the web tier and the tests can read it.
"""

from __future__ import annotations

from inference_worker.profile import FieldKeys, PromptProfile

_MAX_INDENT_SPACES = 16
_MAX_INDENT_TABS = 4

# The JSON string, as RFC 8259 defines it: any character but the quote, the backslash and control characters,
# or an escape. In the finding grammar at least one character (see the module docstring).
_CHAR_RULES = (
    'char ::= [^"\\\\\\x00-\\x1f] | "\\\\" escape',
    'escape ::= ["\\\\/bfnrt] | "u" hex hex hex hex',
    "hex ::= [0-9a-fA-F]",
)
# Any JSON value, for json decoding; objects and arrays use the layout's whitespace rules.
_ANY_JSON_RULES = (
    "root ::= object",
    'object ::= "{" ws_open (member ("," ws_item member)*)? ws_close "}"',
    'member ::= string ":" ws_colon any',
    'any ::= string | number | object | array | "true" | "false" | "null"',
    'array ::= "[" ws_open (any ("," ws_item any)*)? ws_close "]"',
    'string ::= "\\"" char* "\\""',
    'number ::= "-"? ("0" | [1-9] [0-9]*) ("." [0-9]+)? ([eE] [+\\-]? [0-9]+)?',
)


def finding_grammar(profile: PromptProfile) -> str:
    """The EBNF grammar (root rule ``root``) of a reply under ``profile``, for xgrammar or vLLM."""
    members = [f"member_{keys.field}" for keys in profile.keys]
    root = ' "," ws_item '.join(members)
    lines = [f'root ::= "{{" ws_open {root} ws_close "}}"']
    for keys in profile.keys:
        lines.append(f'member_{keys.field} ::= key_{keys.field} ":" ws_colon value')
        lines.append(f"key_{keys.field} ::= {_key_alternatives(keys)}")
    if profile.list_values:
        lines.append("value ::= string | list")
        lines.append('list ::= "[" ws_open string ("," ws_item string)* ws_close "]"')
    else:
        lines.append("value ::= string")
    lines.append('string ::= "\\"" char+ "\\""')
    lines.extend(_CHAR_RULES)
    lines.extend(_whitespace_rules(profile.layout))
    return "\n".join(lines) + "\n"


def json_object_grammar(profile: PromptProfile) -> str:
    """The EBNF grammar of any JSON object (any keys, any values), whitespace bounded as ``profile``'s layout."""
    return "\n".join((*_ANY_JSON_RULES, *_CHAR_RULES, *_whitespace_rules(profile.layout))) + "\n"


def _key_alternatives(keys: FieldKeys) -> str:
    # A key is a JSON string: the spelling between quotes. Profiles keep quotes and backslashes out of spellings.
    return " | ".join(_literal(f'"{spelling}"') for spelling in keys.spellings)


def _literal(text: str) -> str:
    """``text`` as an EBNF string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def _whitespace_rules(layout: str) -> list[str]:
    """ws_open (after { or [), ws_item (after a comma), ws_close (before } or ]) and ws_colon (after a colon).

    compact: ``{"a": "b", "c": "d"}`` or ``{"a":"b","c":"d"}``; spaced: also ``{ "a": "b" }``; indented: also
    a line break plus an indent of spaces or tabs, as ``json.dumps(..., indent=N)`` writes.
    """
    blank = '"" | " "'
    if layout == "compact":
        return ['ws_open ::= ""', f"ws_item ::= {blank}", 'ws_close ::= ""', f"ws_colon ::= {blank}"]
    if layout == "spaced":
        return [f"ws_open ::= {blank}", f"ws_item ::= {blank}", f"ws_close ::= {blank}", f"ws_colon ::= {blank}"]
    indents = [" " * n for n in range(1, _MAX_INDENT_SPACES + 1)] + ["\t" * n for n in range(1, _MAX_INDENT_TABS + 1)]
    return [
        f"ws_open ::= {blank} | newline",
        f"ws_item ::= {blank} | newline",
        f"ws_close ::= {blank} | newline",
        f"ws_colon ::= {blank}",
        'newline ::= "\\n" indent',
        f'indent ::= "" | {" | ".join(_literal(indent) for indent in indents)}',
    ]
