"""The review policy's small rules, shared by the sign-off, amendment, queue and scoring code.

Kept apart from the services that write so that the API, the pages and the oversight dashboards apply exactly
the same definitions of "edited", "the same finding" and "high-risk".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.db.models import Q, QuerySet

from dermreview.cases.models import DiagnosisClass, Vocabulary, term_key
from dermreview.cases.selectors import lesion_class_mapping
from dermreview.common.text import TextRefused, has_mixed_script_word
from dermreview.common.text import normalise_text as normalise_input
from dermreview.drafting.models.fields import FIELD_MAX_LENGTH, FINDING_FIELDS, field_spec

# What a reviewer signs. Stored verbatim on every Review so the record shows the statement, not just a tick.
ATTESTATION_TEXT = (
    "I have examined the images of this case myself and this six-field finding is my own clinical assessment. "
    "I take responsibility for it; the AI draft was only a suggestion."
)


class _ClassNames:
    """The lesion-type suggestions: the names of the shared vocabulary's active classes, read when a page lists
    them (a clinic's own classes are accepted as typed; the list shows the shared ones)."""

    def __iter__(self) -> Iterator[str]:
        names = DiagnosisClass.objects.filter(organisation__isnull=True, active=True).values_list("name", flat=True)
        return iter(names)


# The suggestions offered in the form (<datalist>). The lesion type must name a class of the diagnosis vocabulary
# (a qualifier may follow it); the other fields are free text.
SUGGESTIONS: dict[str, Iterable[str]] = {
    "lesion_type": _ClassNames(),
    "color": (
        "uniform light brown", "uniform dark brown", "two shades of brown", "multiple colours (brown, black, blue-grey)",
        "black", "blue-grey", "pink", "red", "skin-coloured", "white (regression)",
    ),
    "symmetry": ("symmetric", "symmetric in one axis", "asymmetric"),
    "borders": ("regular, well defined", "irregular", "poorly defined", "notched", "rolled, pearly"),
    "texture": ("smooth", "scaly", "crusted", "ulcerated", "nodular", "verrucous", "waxy, stuck-on"),
}
# How `any_high_risk` names AI text that maps to no class (high-risk until a reviewer picks a class).
UNRECOGNISED = "unrecognised lesion type"


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


# --- high risk: one predicate, and its SQL twin -----------------------------------------------------------


def _vocabulary(vocabulary: Vocabulary | None, organisation_id: int | None) -> Vocabulary:
    return vocabulary if vocabulary is not None else DiagnosisClass.objects.vocabulary(organisation_id)


def is_high_risk(
    value: DiagnosisClass | str | None, *, organisation_id: int | None = None, vocabulary: Vocabulary | None = None
) -> bool:
    """The one definition of high-risk: does a finding with this lesion type need a second, different reviewer?

    A class: its `high_risk` flag. Text (an AI draft's lesion type): the class it names (`Vocabulary.match`, with
    the shared classes and the organisation's own); text that names no class is high-risk until a human picks a
    class. No class at all (None): high-risk. `high_risk_q` is the same predicate in SQL.
    """
    if isinstance(value, DiagnosisClass):
        return value.high_risk
    if value is None:
        return True
    return lesion_class_mapping(value, vocabulary=_vocabulary(vocabulary, organisation_id)).high_risk


def high_risk_class_named(
    text: str, *, organisation_id: int | None = None, vocabulary: Vocabulary | None = None
) -> str | None:
    """The name of the high-risk class `text` names, or None (a benign class, or no class at all)."""
    found = _vocabulary(vocabulary, organisation_id).match(text or "")
    return found.name if found is not None and found.high_risk else None


def any_high_risk(
    texts: Iterable[str], *, organisation_id: int | None = None, vocabulary: Vocabulary | None = None
) -> str | None:
    """Why AI `texts` make a case high-risk: the first high-risk class named, UNRECOGNISED for a text that names
    no class, or None when every text names a benign class."""
    vocabulary = _vocabulary(vocabulary, organisation_id)
    for text in texts:
        found = vocabulary.match(text or "")
        if found is None:
            return UNRECOGNISED
        if found.high_risk:
            return found.name
    return None


def high_risk_q(field: str, *, rows: QuerySet[Any], organisation_id: int | None = None) -> Q:
    """`is_high_risk` of the text in column or annotation `field`, as a filter for `rows` (or a queryset within it).

    Python decides, SQL applies: the distinct texts of `field` in `rows` are read (one query) and mapped through
    the same vocabulary as the sign-off, and the filter keeps every row except those whose text maps to a benign
    class. So SQL and Python agree by construction (tests/dermreview/review/test_high_risk.py checks it row by
    row), look-alike letters and hidden characters included, which no SQL regular expression could match; a text
    written after the read, or a NULL, counts as high-risk.
    """
    vocabulary = _vocabulary(None, organisation_id)
    texts = rows.order_by().values_list(field, flat=True).distinct()
    benign = sorted({text for text in texts if text is not None and not is_high_risk(text, vocabulary=vocabulary)})
    unknown = Q(**{f"{field}__isnull": True})
    if not benign:
        return unknown | Q(**{f"{field}__isnull": False})
    return unknown | ~Q(**{f"{field}__in": benign})


def finding_lesion_class(lesion_type: str, *, organisation_id: int | None, field: str = "lesion_type") -> DiagnosisClass:
    """The class a reviewer's lesion type names (shared classes and the organisation's own).

    Raises ReviewInvalid naming `field` when it names none: a signed finding's lesion type must come from the
    vocabulary (a qualifier may follow the class: "Basal cell carcinoma, nodular, 6 mm").
    """
    from dermreview.review.errors import ReviewInvalid

    found = DiagnosisClass.objects.vocabulary(organisation_id).match(lesion_type)
    if found is not None:
        return found
    if has_mixed_script_word(term_key(lesion_type)):
        raise ReviewInvalid({field: "Mixes letters of different alphabets in one word (for example a Cyrillic "
                                    "\u201ca\u201d among Latin letters): retype it."})
    raise ReviewInvalid({field: "Not a lesion type of the diagnosis vocabulary: choose one from the list (a "
                                "qualifier may follow it, e.g. \u201cBasal cell carcinoma, nodular\u201d)."})


def clean_finding_fields(fields: Mapping[str, str], *, field_prefix: str = "") -> dict[str, str]:
    """Validate and clean a six-field finding: every field present, non-blank, within its length and free of hidden
    characters (`dermreview.common.text.normalise_text`: NFKC, and a field error naming any invisible, format,
    bidirectional or control character). The lesion type's class is checked apart (`finding_lesion_class`).

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
        multiline = field_spec(name).multiline
        try:
            value = normalise_input(raw or "", field=name, multiline=multiline)
        except TextRefused as exc:
            errors[field_prefix + name] = exc.message
            continue
        # One-line fields are cleaned like table cells; multi-line ones keep the reviewer's line breaks.
        value = value.strip() if multiline else clean_text(value)
        if not value:
            errors[field_prefix + name] = "Required: a signed finding has all six fields."
        elif len(value) > FIELD_MAX_LENGTH[name]:
            errors[field_prefix + name] = f"At most {FIELD_MAX_LENGTH[name]} characters (got {len(value)})."
        cleaned[name] = value
    if errors:
        raise ReviewInvalid(errors)
    return cleaned
