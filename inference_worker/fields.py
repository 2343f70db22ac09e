"""The one definition of the six finding fields: name, label, order, length limit and line form.

Everything that holds or shows a finding derives from `FINDING_FIELD_SPECS`: the worker's `Finding` model and
its JSON schema (what a parsed reply must satisfy), and on the Django side the model columns, the review forms, the API
serializers, the exports and the model card. It lives here, not in `dermreview`, because the worker must never
import Django, while Django may import this plain-Python package.

Changing a limit here changes the `Finding` check of every reply and the forms at once; a lower limit also
needs a migration (`manage.py makemigrations drafting review`) because the Django column sizes follow it.
"""

from __future__ import annotations

from dataclasses import dataclass

# One set of limits for the model, the database, the forms and the API, so that anything the model may
# write can be shown, corrected and signed without a second, stricter check rejecting it.
#
# Short fields are one-line table cells ("asymmetric", "irregular, notched"): 200 characters is the size
# of the database column they have always had, so no stored value exceeds it and no migration is needed.
SHORT_FIELD_MAX_CHARS = 200
# The summary is a few sentences the reviewer may expand while correcting the draft. 4000 characters is
# the most any layer has ever accepted (reviewers' forms and the API), so every stored summary still
# validates when a finding is amended. A runaway generation is stopped by the worker's token limit
# (DERMREVIEW_MAX_NEW_TOKENS, 512 by default, about 2,000 characters), not by this schema limit.
SUMMARY_MAX_CHARS = 4000


@dataclass(frozen=True)
class FieldSpec:
    """One finding field.

    `name` is the key everywhere (JSON, database column, API, export column); `label` is what people read
    (British spelling, as the UI uses); `multiline` fields keep their line breaks, the others are one line;
    `description` is shown in the JSON schema (API docs, `response_format`); the model itself reads the prompt
    profile's instruction (`inference_worker.profile`).
    """

    name: str
    label: str
    max_length: int
    multiline: bool
    description: str


# In the order the review form, the exports and the model card list them.
FINDING_FIELD_SPECS: tuple[FieldSpec, ...] = (
    FieldSpec("lesion_type", "Lesion type", SHORT_FIELD_MAX_CHARS, False,
              "Clinical classification the lesion most resembles, e.g. melanoma, nevus, basal cell carcinoma, "
              "seborrhoeic keratosis: an AI suggestion for the clinician to confirm, not a diagnosis."),
    FieldSpec("color", "Colour", SHORT_FIELD_MAX_CHARS, False, "Colour or colours of the lesion."),
    FieldSpec("symmetry", "Symmetry", SHORT_FIELD_MAX_CHARS, False, "Symmetry of shape and colour."),
    FieldSpec("borders", "Borders", SHORT_FIELD_MAX_CHARS, False,
              "Character of the borders, e.g. well-defined, irregular."),
    FieldSpec("texture", "Texture", SHORT_FIELD_MAX_CHARS, False, "Surface texture, e.g. smooth, scaly, crusted."),
    FieldSpec("summary", "Summary", SUMMARY_MAX_CHARS, True,
              "Short clinical description of the visible features."),
)

FINDING_FIELDS: tuple[str, ...] = tuple(spec.name for spec in FINDING_FIELD_SPECS)
FIELD_LABELS: dict[str, str] = {spec.name: spec.label for spec in FINDING_FIELD_SPECS}
FIELD_MAX_LENGTH: dict[str, int] = {spec.name: spec.max_length for spec in FINDING_FIELD_SPECS}
SINGLE_LINE_FIELDS: tuple[str, ...] = tuple(spec.name for spec in FINDING_FIELD_SPECS if not spec.multiline)
MULTILINE_FIELDS: tuple[str, ...] = tuple(spec.name for spec in FINDING_FIELD_SPECS if spec.multiline)

_BY_NAME: dict[str, FieldSpec] = {spec.name: spec for spec in FINDING_FIELD_SPECS}


def field_spec(name: str) -> FieldSpec:
    """The spec of one finding field; KeyError for a name that is not one of the six."""
    return _BY_NAME[name]
