"""Run a shadow evaluation to the end in this process: `manage.py model_evaluate --sync` (operators, tests).

The same chunks and scoring as the Celery tasks, without the queue: the model is loaded here, so run it on a host
that has the worker extra (and the accelerator) installed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from dermreview.governance.models import EvaluationRun
from dermreview.governance.services.evaluation import evaluation_continue
from dermreview.governance.services.scoring import evaluation_score_run
from dermreview.governance.services.shadow import evaluation_draft_chunk


def evaluation_run_here(*, run_id: int, progress: Callable[[EvaluationRun], None] | None = None) -> EvaluationRun:
    """Draft every chunk, then score; returns the run as it ended (finished, failed or cancelled)."""
    while True:
        outcome = evaluation_draft_chunk(run_id=run_id, claim_token=uuid.uuid4().hex)
        if progress is not None:
            progress(EvaluationRun.objects.get(pk=run_id))
        if outcome.stopped or evaluation_continue(run_id=run_id, send=False) != "drafting":
            break
    evaluation_score_run(run_id=run_id)
    return EvaluationRun.objects.get(pk=run_id)
