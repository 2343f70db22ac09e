"""The review policy's small rules, shared by the sign-off, amendment, queue and scoring code.

Kept apart from the services that write so that the API, the pages and the oversight dashboards apply exactly
the same definitions of "edited", "the same finding" and "high-risk".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from django.conf import settings
from django.db.models import Q

from dermreview.drafting.models.fields import FIELD_MAX_LENGTH, FINDING_FIELDS, field_spec

# What a reviewer signs. Stored verbatim on every Review so the record shows the statement, not just a tick.
ATTESTATION_TEXT = (
    "I have examined the images of this case myself and this six-field finding is my own clinical assessment. "
    "I take responsibility for it; the AI draft was only a suggestion."
)

# The controlled suggestions offered in the form (<datalist>). Free text stays allowed, as in the model's output.
SUGGESTIONS: dict[str, tuple[str, ...]] = {
    "lesion_type": (
        "melanoma", "melanocytic nevus", "basal cell carcinoma", "squamous cell carcinoma", "actinic keratosis",
        "benign keratosis", "dermatofibroma", "vascular lesion", "other",
    ),
    "color": (
        "uniform light brown", "uniform dark brown", "two shades of brown", "multiple colours (brown, black, blue-grey)",
        "black", "blue-grey", "pink", "red", "skin-coloured", "white (regression)",
    ),
    "symmetry": ("symmetric", "symmetric in one axis", "asymmetric"),
    "borders": ("regular, well defined", "irregular", "poorly defined", "notched", "rolled, pearly"),
    "texture": ("smooth", "scaly", "crusted", "ulcerated", "nodular", "verrucous", "waxy, stuck-on"),
}

# Common abbreviations a reviewer types for the default high-risk classes.
_ALIASES: dict[str, tuple[str, ...]] = {
    "basal cell carcinoma": ("bcc",),
    "squamous cell carcinoma": ("scc", "cscc"),
}


def clean_text(value: str) -> str:
    """Text as stored: surrounding whitespace removed and inner runs of whitespace collapsed to one space.

    A reviewer who only re-wraps a line has not edited the finding.
    """
    return " ".join(str(value).split())


def normalise_text(value: str) -> str:
    """Text as compared for exact match and disagreement: cleaned, case-folded, trailing punctuation dropped.

    "Symmetric." and "symmetric" are the same finding; "symmetric" and "asymmetric" are not.
    """
    return clean_text(value).casefold().rstrip(" .;,")


def fields_differing(first: Mapping[str, str], second: Mapping[str, str], *, normalised: bool = False) -> list[str]:
    """The finding fields (in canonical order) whose text differs between two findings."""
    compare = normalise_text if normalised else clean_text
    return [name for name in FINDING_FIELDS if compare(first.get(name, "")) != compare(second.get(name, ""))]


def _words(value: str) -> str:
    # Hyphens, slashes and underscores separate words: "basal-cell carcinoma" is "basal cell carcinoma".
    return " ".join(re.sub(r"[-_/]", " ", value.casefold()).split())


# Between the words of a class name: any run of blanks, hyphens, slashes or underscores ("basal-cell",
# "squamous  cell"). Around it: anything but a letter or digit, so "melanoma" is found in "amelanotic melanoma"
# and "?melanomas" but never in "melanocytic nevus". Written in the common subset of Python's and PostgreSQL's
# regex syntax (SQLite's REGEXP is Python's), with explicit guards instead of word-boundary escapes, which differ.
_SEPARATOR = r"[-_/\s]+"
_BEFORE = "(?:^|[^a-z0-9])"
_AFTER = "s?(?:[^a-z0-9]|$)"  # an optional plural "s", then the end of the word


@lru_cache(maxsize=8)
def _class_patterns(classes: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(canonical class, case-insensitive regex) for each configured high-risk class, aliases included."""
    patterns = []
    for name in classes:
        canonical = _words(name)
        if not canonical:
            continue
        alternatives = (canonical, *_ALIASES.get(canonical, ()))
        body = "|".join(_SEPARATOR.join(re.escape(word) for word in alt.split()) for alt in alternatives)
        patterns.append((canonical, f"{_BEFORE}(?:{body}){_AFTER}"))
    return tuple(patterns)


@lru_cache(maxsize=8)
def _compiled(classes: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((canonical, re.compile(regex, re.IGNORECASE)) for canonical, regex in _class_patterns(classes))


def _configured_classes() -> tuple[str, ...]:
    return tuple(settings.DERMREVIEW_HIGH_RISK_CLASSES)


def high_risk_class_named(text: str) -> str | None:
    """The configured high-risk class (`settings.DERMREVIEW_HIGH_RISK_CLASSES`) that `text` names, or None.

    Matching is deliberately conservative: case-insensitive, whole-word, hyphen-insensitive, plural-tolerant,
    abbreviations BCC/SCC accepted, and a mention counts even when hedged or negated ("?melanoma", "not
    melanoma", "rule out melanoma"). A false alarm costs a second reviewer's look; a miss costs a cancer.
    The same regular expressions make `high_risk_q`, the predicate's twin in SQL.
    """
    for canonical, pattern in _compiled(_configured_classes()):
        if pattern.search(text or ""):
            return canonical
    return None


def is_high_risk(text: str) -> bool:
    """Whether `text` names a configured high-risk class (see `high_risk_class_named`)."""
    return high_risk_class_named(text) is not None


def any_high_risk(texts: Iterable[str]) -> str | None:
    """The first high-risk class named by any of `texts`, or None."""
    for text in texts:
        found = high_risk_class_named(text)
        if found:
            return found
    return None


def high_risk_q(field: str = "lesion_type") -> Q:
    """`is_high_risk` as a filter on a text column or annotation `field`, for queue counts and alarms.

    Built from the same per-class expressions as the Python predicate (one alternation of them), so a row
    matches in SQL exactly when its text matches in Python; tests/dermreview/review/test_high_risk.py runs a
    table of texts through both. With no classes configured nothing is high-risk.
    """
    regexes = [regex for _, regex in _class_patterns(_configured_classes())]
    if not regexes:
        return Q(pk__in=[])
    return Q(**{f"{field}__iregex": "|".join(f"(?:{regex})" for regex in regexes)})


def clean_finding_fields(fields: Mapping[str, str], *, field_prefix: str = "") -> dict[str, str]:
    """Validate and clean a six-field finding: every field present, non-blank and within its length.

    Returns the cleaned fields in canonical order, or raises ReviewInvalid naming each bad field (keys are
    `field_prefix + name`, so a form can put the message beside its input).
    """
    from dermreview.review.errors import ReviewInvalid

    errors: dict[str, str] = {}
    unknown = sorted(set(fields) - set(FINDING_FIELDS))
    if unknown:
        errors["__all__"] = f"Unknown finding fields: {', '.join(unknown)}. Expected: {', '.join(FINDING_FIELDS)}."
    cleaned: dict[str, str] = {}
    for name in FINDING_FIELDS:
        raw = fields.get(name)
        if raw is not None and not isinstance(raw, str):
            errors[field_prefix + name] = "Must be text."
            continue
        # One-line fields are cleaned like table cells; multi-line ones keep the reviewer's line breaks.
        value = str(raw or "").strip() if field_spec(name).multiline else clean_text(raw or "")
        if not value:
            errors[field_prefix + name] = "Required: a signed finding has all six fields."
        elif len(value) > FIELD_MAX_LENGTH[name]:
            errors[field_prefix + name] = f"At most {FIELD_MAX_LENGTH[name]} characters (got {len(value)})."
        cleaned[name] = value
    if errors:
        raise ReviewInvalid(errors)
    return cleaned
