"""The GPU worker's side of a shadow evaluation: draft one chunk of a run's photos with one version's model.

Runs only in Celery workers (task `evaluation_draft`) or an operator's `model_evaluate --sync`. Each call claims up
to one batch of the run's pending items of one side (the candidate's first, then the active version's) with a
conditional UPDATE, builds that version's engine (`ModelVersion.worker_config` over this deployment's device,
dtype and image settings; `inference_worker.get_engine` keeps it loaded for the next chunk), drafts the photos as
the live worker would, and stores each result on its `EvaluationItem`. It never writes a `Draft`.

Idempotent and resumable: a chunk's results are stored in one transaction, only by the task holding the claim; a
claim older than the hard time limit (a killed worker) is taken over by the next chunk, so rerunning continues
from the items not done.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from dermreview.audit.services.events import audit_log
from dermreview.drafting.models import FINDING_FIELDS, FailureKind, ModelVersion, identity_key
from dermreview.drafting.services.identity import worker_config
from dermreview.governance.models import (
    EvaluationItem,
    EvaluationRun,
    EvaluationSide,
    EvaluationStatus,
    ItemStatus,
)
from dermreview.governance.services.evaluation import stale_claims_before
from inference_worker import DraftResult, ImageInput, ModelLoadError, WorkerConfig, get_engine
from inference_worker.preprocess import decode_photo

logger = logging.getLogger(__name__)

_REVISION_LENGTH = 200


@dataclass
class ChunkOutcome:
    """What one chunk did (for logs, the command and tests)."""

    side: str = ""
    claimed: int = 0
    drafted: int = 0
    failed: int = 0
    stopped: str = ""  # why nothing (more) was drafted: the run is not drafting, or its model cannot load


def evaluation_draft_chunk(*, run_id: int, claim_token: str, base: WorkerConfig | None = None) -> ChunkOutcome:
    """Draft the next chunk of run `run_id` (see the module docstring). Never raises for a model reply or a photo;
    a model that cannot load (or loads as another model than the version names) fails the run with the reason."""
    outcome = ChunkOutcome()
    run = EvaluationRun.objects.select_related("candidate", "baseline").filter(pk=run_id).first()
    if run is not None and run.status == EvaluationStatus.QUEUED:
        run.move(EvaluationStatus.DRAFTING)
    if run is None or run.status != EvaluationStatus.DRAFTING:
        outcome.stopped = f"the evaluation is {run.status if run else 'gone'}"
        return outcome
    claimable = run.items.claimable(stale_before=stale_claims_before())
    first = claimable.order_by("-side", "pk").first()  # "candidate" sorts after "baseline": candidate first
    if first is None:
        return outcome
    outcome.side = first.side
    version = run.candidate if first.side == EvaluationSide.CANDIDATE else run.baseline
    assert version is not None  # a run has baseline items only when it has a baseline
    try:
        cfg = version.worker_config(base or worker_config())
    except ValueError as exc:  # a version recorded without a usable configuration (a prompt profile since removed)
        _fail_run(run, [], message=f"The {first.get_side_display().lower()} version cannot be configured: {exc}")
        outcome.stopped = "invalid configuration"
        return outcome
    ids = list(claimable.filter(side=first.side).order_by("pk").values_list("pk", flat=True)[: cfg.batch_size])
    outcome.claimed = EvaluationItem.objects.filter(pk__in=ids).claimable(
        stale_before=stale_claims_before()).claim(claim_token=claim_token)
    items = list(EvaluationItem.objects.held_by(claim_token).filter(run=run).select_related("image"))
    if not items:
        return outcome
    try:
        engine = get_engine(cfg)
        if identity_key(engine.identity) != version.identity_key:
            raise ModelLoadError(f"it now loads as {engine.identity.model_id}@{engine.identity.model_revision} "
                                 f"(prompt {engine.identity.prompt_version}), not the registered version")
    except ModelLoadError as exc:
        _fail_run(run, items, message=f"The {first.get_side_display().lower()} model could not be used: {exc.reason}")
        outcome.stopped = "model cannot load"
        return outcome
    inputs, unreadable = _load_photos(items, max_pixels=cfg.image_max_pixels)
    results = engine.generate(inputs) if inputs else []
    _store(run, version, items, results=results, unreadable=unreadable, claim_token=claim_token, outcome=outcome)
    return outcome


def _load_photos(items: list[EvaluationItem], *, max_pixels: int) -> tuple[list[ImageInput], dict[int, str]]:
    inputs: list[ImageInput] = []
    unreadable: dict[int, str] = {}
    for item in items:
        try:
            with item.image.file.open("rb") as handle:
                inputs.append(ImageInput(key=str(item.pk), image=decode_photo(handle, max_pixels=max_pixels)))
        except (OSError, ValueError) as exc:  # PIL's UnidentifiedImageError is an OSError
            unreadable[item.pk] = f"the stored photo could not be read: {exc}"
    return inputs, unreadable


@transaction.atomic
def _store(run: EvaluationRun, version: ModelVersion, items: list[EvaluationItem], *, results: list[DraftResult],
           unreadable: dict[int, str], claim_token: str, outcome: ChunkOutcome) -> None:
    """Each result on its item (only while this task still holds it), then the run's progress, in one commit."""
    now = timezone.now()
    by_key = {str(item.pk): item for item in items}
    for result in results:
        finding = ({name: getattr(result.finding, name) for name in FINDING_FIELDS}
                   if result.finding is not None else None)
        kind = "" if finding is not None else str(FailureKind.from_engine(result.failure_kind))
        stored = EvaluationItem.objects.held_by(claim_token).filter(pk=by_key[result.key].pk).update(
            status=ItemStatus.DONE, finding=finding, raw_output=result.raw_text, failure_kind=kind,
            failure_message=result.failure_message if finding is None else "", drafted_at=now,
            resolved_revision=result.resolved_revision[:_REVISION_LENGTH], generate_ms=result.generate_ms,
            output_tokens=result.output_tokens)
        outcome.drafted += stored if finding is not None else 0
        outcome.failed += stored if finding is None else 0
    for pk, message in unreadable.items():
        outcome.failed += EvaluationItem.objects.held_by(claim_token).filter(pk=pk).update(
            status=ItemStatus.DONE, finding=None, failure_kind=str(FailureKind.IMAGE_UNREADABLE),
            failure_message=message, drafted_at=now)
    done = run.items.filter(status=ItemStatus.DONE).count()
    EvaluationRun.objects.filter(pk=run.pk).update(done=done, updated_at=now)
    if resolved := next((r.resolved_revision for r in results if r.resolved_revision), ""):
        ModelVersion.objects.filter(pk=version.pk, resolved_revision="").update(
            resolved_revision=resolved[:_REVISION_LENGTH])


@transaction.atomic
def _fail_run(run: EvaluationRun, items: list[EvaluationItem], *, message: str) -> None:
    EvaluationItem.objects.filter(pk__in=[i.pk for i in items], status=ItemStatus.CLAIMED).update(
        status=ItemStatus.PENDING, claim_token="")
    if run.move(EvaluationStatus.FAILED, error=message):
        logger.error("evaluation %s failed: %s", run.pk, message)
        audit_log(action="evaluation.fail", actor=None, obj=run, organisation=run.organisation,
                  details={"run_id": run.pk, "error": message, "done": run.done, "total": run.total})


@transaction.atomic
def evaluation_items_time_out(*, run_id: int, claim_token: str, message: str) -> int:
    """The soft time limit hit a chunk: its items are done, as failures of kind `timeout` (as a live draft's)."""
    failed = EvaluationItem.objects.held_by(claim_token).filter(run_id=run_id).update(
        status=ItemStatus.DONE, finding=None, failure_kind=str(FailureKind.TIMEOUT), failure_message=message,
        drafted_at=timezone.now())
    done = EvaluationItem.objects.filter(run_id=run_id, status=ItemStatus.DONE).count()
    EvaluationRun.objects.filter(pk=run_id).update(done=done, updated_at=timezone.now())
    return failed
