"""Model governance: the approval gate a model version must pass before it drafts for a clinic."""

from __future__ import annotations

from dermreview.settings.variable import Section, Variable

SECTION = Section("Model governance", (
    Variable(
        "DERMREVIEW_GATE_MIN_CASES", "int", default=50, minimum=1,
        meaning="An approval must rest on a shadow evaluation of at least this many signed cases (or an override "
                "with a reason).",
    ),
    Variable(
        "DERMREVIEW_GATE_MARGIN", "float", default=0.02, minimum=0.0, maximum=1.0, shown_default="`0.02`",
        example="0.02",
        meaning="The gate refuses a candidate whose mean BERTScore F1 on any field is more than this below the active "
                "version's on the same photos.",
    ),
    Variable(
        "DERMREVIEW_GATE_RATE_MARGIN", "float", default=0.02, minimum=0.0, maximum=1.0, shown_default="`0.02`",
        example="0.02",
        meaning="…and one whose failure rate is more than this above the active version's, or whose high-risk "
                "sensitivity is more than this below it.",
    ),
))
