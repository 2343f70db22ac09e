"""AI drafting, Django side: the kill switch, attempts, time limits and the reconciler's threshold."""

from __future__ import annotations

from dermreview.settings.variable import Section, Variable

SECTION = Section("AI drafting", (
    Variable(
        "DERMREVIEW_DRAFTING_ENABLED", "bool", default=True,
        meaning="AI drafting for the whole installation. Off stops it whatever the run-time switches say (the global "
                "switch and each clinic's can only turn it off further). Uploads and manual review go on when off.",
    ),
    Variable(
        "DERMREVIEW_DRAFT_MAX_ATTEMPTS", "int", default=5, minimum=1,
        meaning="Attempts before a draft is marked `failed`.",
    ),
    Variable(
        "DERMREVIEW_DRAFT_SOFT_TIME_LIMIT_S", "int", default=300, minimum=5,
        meaning="Soft time limit, seconds: the draft is marked failed with a reason.",
    ),
    Variable(
        "DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S", "int", default=360, minimum=10,
        meaning="Hard time limit, seconds; must exceed the soft one.",
    ),
    Variable(
        "DERMREVIEW_RECONCILE_AFTER_S", "int", default=600, minimum=5,
        meaning="A `running` draft claimed longer ago than this is taken as orphaned (its worker died) and requeued; "
                "must exceed the hard limit.",
    ),
    # Kept as a variable although it is a tuning detail: the crash tests (tests/dermreview/drafting) raise it in a
    # worker's environment so that the worker holds its claim long enough to be killed mid-draft.
    Variable(
        "DERMREVIEW_DRAFT_BATCH_IDLE_MS", "int", default=10, minimum=0,
        meaning="Micro-batching: stop waiting for more photos (at most `DERMREVIEW_BATCH_WAIT_MS` in all) after this "
                "many ms without a new one, so a lone upload is not held back.",
    ),
))
