"""Turn the model's reply text into a `Finding`, or say precisely why it cannot be one.

Schema decoding normally guarantees a clean JSON object, but the parser does not rely on it: the
OpenAI backend may talk to a server without grammar support, and ``DERMREVIEW_DECODING=json`` or
``free`` loosens or drops the grammar. So it tolerates a Markdown code fence or prose around the
object and takes the first top-level JSON object in the text.

Fine-tuned models write the keys the way their training data did, so a key counts as a field when
its normalised form (case, camelCase, blanks, hyphens and underscores ironed out: "Lesion Type",
"lesionType") is the field's name or one of the prompt profile's aliases ("Colour"). A list of
strings is joined into one text with "; ". Any other key is still ``schema_invalid``, named in the
message; so is a field given twice under two spellings. Length limits are the `Finding` model's:
an over-long value is ``schema_invalid`` and, as always, the raw text is kept.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from inference_worker.profile import PromptProfile, load_profile
from inference_worker.schema import Finding
from inference_worker.types import FailureKind

# A fence opening such as "```json" or "```" at the start of a line.
_FENCE_OPEN = re.compile(r"^\s*```[A-Za-z0-9_-]*[ \t]*\n?", re.MULTILINE)
_FENCE_CLOSE = re.compile(r"\n?```\s*$")
# Bounds the work spent on a reply that is mostly prose with many braces.
_MAX_OBJECT_STARTS = 50
LIST_SEPARATOR = "; "


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """A reply that did not yield a `Finding`."""

    kind: FailureKind
    message: str
    raw_text: str


class _Incomplete(Exception):
    """The text starts a JSON object that ends before it is closed."""


def _strip_fence(text: str) -> str:
    match = _FENCE_OPEN.match(text)
    if match is None:
        return text
    return _FENCE_CLOSE.sub("", text[match.end() :])


def _first_object(text: str) -> dict[str, Any] | None:
    """The first top-level JSON object in ``text``; None when there is none.

    Raises `_Incomplete` when an object starts but the text ends inside it, which is what a
    reply cut off by the token limit looks like.
    """
    decoder = json.JSONDecoder()
    start = text.find("{")
    incomplete = False
    attempts = 0
    while start != -1 and attempts < _MAX_OBJECT_STARTS:
        attempts += 1
        try:
            value, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError as exc:
            # An error at the very end of the text means the object was still open.
            if exc.pos >= len(text.rstrip()):
                incomplete = True
        else:
            if isinstance(value, dict):
                return value
        start = text.find("{", start + 1)
    if incomplete:
        raise _Incomplete
    return None


def _describe_validation_error(error: ValidationError) -> str:
    parts = []
    for item in error.errors(include_url=False):
        location = ".".join(str(part) for part in item["loc"]) or "finding"
        parts.append(f"{location}: {item['msg']}")
    return "; ".join(parts)


def _canonical_fields(obj: dict[str, Any], profile: PromptProfile) -> dict[str, Any] | str:
    """``obj`` with its keys spelt as the six fields and lists of strings joined; a message on a repeated field.

    Keys of no field are kept as they are, so that validation names them.
    """
    fields: dict[str, Any] = {}
    spelt_as: dict[str, str] = {}
    for key, value in obj.items():
        field = profile.field_for_key(key) or key
        if field in spelt_as:
            return f"{field}: given twice, as {spelt_as[field]!r} and {key!r}"
        spelt_as[field] = key
        is_text_list = isinstance(value, list) and all(isinstance(item, str) for item in value)
        fields[field] = LIST_SEPARATOR.join(value) if is_text_list else value
    return fields


def parse_reply(
    raw_text: str, *, hit_token_limit: bool, profile: PromptProfile | None = None
) -> Finding | ParseFailure:
    """Parse one model reply.

    ``hit_token_limit`` is True when generation stopped because it reached ``max_new_tokens``
    (or a server reported ``finish_reason == "length"``); an incomplete object is then reported
    as ``truncated`` rather than ``unparseable``. A complete, valid object is accepted even when
    the limit was hit at exactly the last token. ``profile`` supplies the key aliases; the
    default is the default built-in profile.
    """
    text = raw_text.strip()
    if not text:
        return ParseFailure(FailureKind.EMPTY, "the model returned no text", raw_text)

    text = _strip_fence(text).strip()
    try:
        obj = _first_object(text)
    except _Incomplete:
        if hit_token_limit:
            return ParseFailure(
                FailureKind.TRUNCATED,
                "the reply reached the token limit before the JSON object was complete",
                raw_text,
            )
        return ParseFailure(FailureKind.UNPARSEABLE, "the JSON object is not closed", raw_text)

    if obj is None:
        if hit_token_limit:
            return ParseFailure(
                FailureKind.TRUNCATED,
                "the reply reached the token limit without a JSON object",
                raw_text,
            )
        try:
            json.loads(text)
        except json.JSONDecodeError:
            return ParseFailure(FailureKind.UNPARSEABLE, "the reply holds no JSON object", raw_text)
        return ParseFailure(FailureKind.SCHEMA_INVALID, "the reply is JSON but not a JSON object", raw_text)

    fields = _canonical_fields(obj, profile or load_profile())
    if isinstance(fields, str):
        return ParseFailure(FailureKind.SCHEMA_INVALID, fields, raw_text)
    try:
        return Finding.model_validate(fields)
    except ValidationError as error:
        return ParseFailure(FailureKind.SCHEMA_INVALID, _describe_validation_error(error), raw_text)
