"""Review policy: how many cases are reviewed blind, how long a claim lasts.

What needs a second reviewer is no longer a variable (DERMREVIEW_HIGH_RISK_CLASSES is retired, and refused at
start-up): the diagnosis vocabulary's `high_risk` flags decide it (`cases.DiagnosisClass`, seeded by migration).
"""

from __future__ import annotations

from dermreview.settings.variable import Section, Variable

SECTION = Section("Review policy", (
    Variable(
        "DERMREVIEW_BLIND_FIRST_SHARE", "float", default=0.10, minimum=0.0, maximum=1.0, shown_default="`0.10`",
        example="0.10", meaning="Share of new cases reviewed blind-first, before the AI draft is shown (0 to 1).",
    ),
    Variable(
        "DERMREVIEW_CLAIM_MINUTES", "int", default=30, minimum=1, meaning="How long a reviewer's claim on a case lasts.",
    ),
    Variable(
        "DERMREVIEW_ADJUDICATION_FIELDS", "list", default=["lesion_type"], shown_default="`lesion_type`",
        example="lesion_type",
        meaning="Fields on which a disagreement between the two reviewers of a dual review sends the case to "
                "adjudication by a third reviewer (`lesion_type` compares the diagnosis classes).",
    ),
))
