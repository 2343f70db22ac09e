"""The structured finding the model drafts for one lesion photo.

`Finding` is the contract between the model, the parser and the Django side: six required string
fields, nothing else. The grammar of schema decoding (`inference_worker.grammar`) holds a reply to
the six fields but sets no length limits; this model checks them after parsing, so an over-long
value is reported (``schema_invalid``, raw text kept) rather than cut off. The fields' names, order,
limits and descriptions come from `inference_worker.fields`, which Django uses too.

Cleaning rules (applied before the length checks, so a value made only of control characters or
blanks fails ``min_length``):

* every value: Unicode control characters (categories Cc, Cf, Cs, Co, e.g. NUL, ESC, zero-width
  joiners, BOM) are removed; tabs count as blanks.
* the five short fields (``lesion_type`` .. ``texture``): all whitespace, newlines included, is
  collapsed to single spaces and trimmed, because they are shown as one-line table cells.
* ``summary``: line breaks are kept (``\\r\\n`` and ``\\r`` become ``\\n``, at most one blank
  line in a row), blanks inside a line are collapsed, the whole text is trimmed.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from inference_worker.fields import (
    FINDING_FIELDS,
    MULTILINE_FIELDS,
    SHORT_FIELD_MAX_CHARS,
    SINGLE_LINE_FIELDS,
    SUMMARY_MAX_CHARS,
    field_spec,
)

# Re-exported: callers and tests have always imported the field names and limits from here.
__all__ = [
    "FINDING_FIELDS",
    "SHORT_FIELD_MAX_CHARS",
    "SUMMARY_MAX_CHARS",
    "Finding",
    "clean_short_text",
    "clean_summary_text",
    "finding_json_schema",
]

_BLANKS = re.compile(r"[^\S\n]+")  # whitespace other than newline
_MANY_NEWLINES = re.compile(r"\n{3,}")
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})


def _spec_field(name: str) -> Any:
    """The pydantic constraint of one field, from its spec: required, non-blank, within its length."""
    spec = field_spec(name)
    return Field(min_length=1, max_length=spec.max_length, description=spec.description)


def _drop_control_characters(text: str, *, keep_newlines: bool) -> str:
    """Remove invisible and control characters; whitespace controls become plain blanks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept: list[str] = []
    for char in text:
        if char == "\n":
            kept.append("\n" if keep_newlines else " ")
        elif char in "\t\v\f":
            kept.append(" ")
        elif unicodedata.category(char) not in _DROPPED_CATEGORIES:
            kept.append(char)
    return "".join(kept)


def clean_short_text(text: str) -> str:
    """One-line form of a short field: no control characters, single spaces, trimmed."""
    return " ".join(_drop_control_characters(text, keep_newlines=False).split())


def clean_summary_text(text: str) -> str:
    """Summary form: paragraphs kept, control characters gone, blanks collapsed, trimmed."""
    text = _drop_control_characters(text, keep_newlines=True)
    lines = [_BLANKS.sub(" ", line).strip() for line in text.split("\n")]
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


class Finding(BaseModel):
    """A draft description of one skin lesion, to be checked by a human reviewer.

    It is a description of what is visible, not a diagnosis.
    """

    # strict: a number or a list where text is expected is a model error worth reporting, not
    # something to coerce into a plausible-looking string.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    # Declared one by one so type checkers know the attributes; names, order, limits and descriptions come
    # from `inference_worker.fields`, and tests/inference_worker/test_fields.py checks the two agree.
    lesion_type: str = _spec_field("lesion_type")
    color: str = _spec_field("color")
    symmetry: str = _spec_field("symmetry")
    borders: str = _spec_field("borders")
    texture: str = _spec_field("texture")
    summary: str = _spec_field("summary")

    @field_validator(*SINGLE_LINE_FIELDS, mode="before")
    @classmethod
    def _clean_short(cls, value: Any) -> Any:
        # Non-strings pass through untouched so that strict validation reports the wrong type.
        return clean_short_text(value) if isinstance(value, str) else value

    @field_validator(*MULTILINE_FIELDS, mode="before")
    @classmethod
    def _clean_summary(cls, value: Any) -> Any:
        return clean_summary_text(value) if isinstance(value, str) else value


def finding_json_schema() -> dict[str, Any]:
    """JSON schema of `Finding`: the API documentation's description of a finding.

    Decoding no longer uses it (the schema grammar follows the prompt profile's key spellings and layout);
    it is kept for the API docs and for callers that want a ``response_format`` JSON schema.

    Titles are dropped: they carry no constraint and only lengthen the prompt of servers that
    inline the schema.
    """
    schema = Finding.model_json_schema()
    schema.pop("title", None)
    for prop in schema["properties"].values():
        prop.pop("title", None)
    return schema
