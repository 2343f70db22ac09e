"""Review policy: what needs a second reviewer, how many cases are reviewed blind, how long a claim lasts."""

from __future__ import annotations

from dermreview.settings.variable import Section, Variable

SECTION = Section("Review policy", (
    Variable(
        "DERMREVIEW_HIGH_RISK_CLASSES", "list", default=["melanoma", "basal cell carcinoma", "squamous cell carcinoma"],
        meaning="Lesion types whose sign-off needs a second, different reviewer (comma-separated, case-insensitive).",
    ),
    Variable(
        "DERMREVIEW_BLIND_FIRST_SHARE", "float", default=0.10, minimum=0.0, maximum=1.0, shown_default="`0.10`",
        example="0.10", meaning="Share of new cases reviewed blind-first, before the AI draft is shown (0 to 1).",
    ),
    Variable(
        "DERMREVIEW_CLAIM_MINUTES", "int", default=30, minimum=1, meaning="How long a reviewer's claim on a case lasts.",
    ),
))
