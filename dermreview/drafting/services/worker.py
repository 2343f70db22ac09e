"""The worker's side of drafting: claim a micro-batch of queued drafts, run the model once, store each result.

Runs only in Celery workers (the `draft_generate` task). The model engine comes from `inference_worker`, through
the process's `WorkerRuntime` (`dermreview.drafting.runtime`), and is loaded once per process; torch is imported
there, never by the web tier. Every status change is one of `Draft`'s transitions.

Claiming: rows move `queued → running` with a conditional UPDATE that also writes a claim token
(`DraftQuerySet.claim_batch`), so two workers can never take the same draft and a message whose draft was already
taken by another batch does nothing.

Micro-batching: the task claims its own draft, then every other queued draft (oldest first) up to the batch size N
(DERMREVIEW_BATCH_SIZE). If fewer than N are waiting it keeps polling for new arrivals, at most T ms in all
(DERMREVIEW_BATCH_WAIT_MS), but stops as soon as DERMREVIEW_DRAFT_BATCH_IDLE_MS pass with nothing new arriving, and
does not wait at all unless drafts have been arriving that densely. So a lone upload is not held back, while a
burst (a multi-photo upload, a busy clinic, a backlog after the kill switch) fills whole batches; drafts that
arrive while a batch runs wait for the next one.

Kill switches and model versions (`gating`): nothing is claimed while the setting or the global switch is off. A
batch may span clinics; the drafts of paused clinics (their own switch off, or this worker's model not their approved
version) are never claimed (they stay `queued` until the clinic is no longer paused, which sends them again), while
the other clinics' drafts in the same queue are drafted as usual.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import Q, Subquery
from django.utils import timezone

from dermreview.audit.services.events import audit_log
from dermreview.drafting.models import (
    FINDING_FIELDS,
    Draft,
    DraftingControl,
    DraftStatus,
    FailureKind,
    ModelVersion,
)
from dermreview.drafting.runtime import WorkerRuntime, process_runtime
from dermreview.drafting.services.deadline import DraftTimeLimit
from dermreview.drafting.services.gating import paused_organisation_ids
from dermreview.drafting.services.identity import ModelIdentity, model_identity, worker_config
from inference_worker import DraftResult, Engine, ImageInput, WorkerConfig
from inference_worker.preprocess import decode_photo

logger = logging.getLogger(__name__)

# Micro-batching waits for more drafts only if two arrived within this many idle windows.
TRAFFIC_WINDOW_IDLE_MULTIPLE = 5
_RESOLVED_REVISION_LENGTH = Draft._meta.get_field("resolved_revision").max_length or 200


@dataclass
class BatchOutcome:
    """What one task did (for logs and tests)."""

    claimed: list[int] = field(default_factory=list)
    ready: list[int] = field(default_factory=list)
    manual: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped_reason: str = ""
    # Milliseconds per step (claim, gather, images, model, store): where a batch's time went, for the log.
    timings: dict[str, float] = field(default_factory=dict)

    def mark(self, step: str, since: float) -> float:
        now = time.perf_counter()
        self.timings[step] = round((now - since) * 1000, 1)
        return now


def retry_backoff_s(attempts: int) -> float:
    """Seconds to wait before attempt `attempts + 1`: exponential from DERMREVIEW_DRAFT_RETRY_BACKOFF_S, capped."""
    base = settings.DERMREVIEW_DRAFT_RETRY_BACKOFF_S
    return float(min(base * 2 ** max(attempts - 1, 0), settings.DERMREVIEW_DRAFT_RETRY_BACKOFF_MAX_S))


def draft_claim(*, draft_id: int, claim_token: str, identity: ModelIdentity,
                paused: Collection[int] | None = None) -> list[int]:
    """Claim one draft (and resume any drafts this same task run held before a retry or a redelivery).

    A draft is claimable when it is `queued`, when it is `running` under this claim token (the same message
    delivered again after its worker died), or when its claim is older than the hard time limit (no healthy task
    can still hold it), and its clinic is not paused (`paused`: the clinics whose switch is off or whose approved
    model version is not `identity`, read now when not given). Returns the claimed ids; empty when another batch already took the draft or its clinic is paused.
    """
    now = timezone.now()
    stale_before = now - timedelta(seconds=settings.DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S)
    claimable = (
        Q(status=DraftStatus.QUEUED)
        | Q(status=DraftStatus.RUNNING, claim_token=claim_token)
        | Q(status=DraftStatus.RUNNING, started_at__lt=stale_before)
    )
    paused = paused_organisation_ids(identity=identity) if paused is None else paused
    candidates = DraftingControl.exclude_paused(
        Draft.objects.for_model(identity).filter(claimable, pk=draft_id), paused)
    claimed = candidates.claim_batch(claim_token=claim_token, now=now)
    if not claimed:
        # A batch stores all its results in one transaction, so a run that no longer holds its first draft
        # holds none of that batch either.
        return []
    return list(Draft.objects.held_by(claim_token).order_by("queued_at", "pk").values_list("pk", flat=True))


def drafts_claim_more(*, claim_token: str, identity: ModelIdentity, want: int, wait_ms: float, idle_ms: float,
                      paused: Collection[int] | None = None) -> list[int]:
    """Claim up to `want` more queued drafts, oldest first, waiting for arrivals as the module docstring says.

    Waits only while drafts are arriving densely: unless another draft was queued within the last few idle
    windows, a lone upload goes to the model at once instead of waiting for company that is not coming. Drafts of
    clinics whose switch is off (`paused`, read now when not given) are left `queued`.
    """
    started = last_arrival = time.monotonic()
    poll_s = max(min(idle_ms, wait_ms) / 1000 / 4, 0.002)
    paused = paused_organisation_ids(identity=identity) if paused is None else paused
    mine = DraftingControl.exclude_paused(Draft.objects.for_model(identity), paused)
    total = 0
    checked_traffic = False
    while total < want:
        oldest = mine.filter(status=DraftStatus.QUEUED).order_by("queued_at", "pk").values("pk")[: want - total]
        got = Draft.objects.filter(pk__in=Subquery(oldest)).claim_batch(claim_token=claim_token)
        if got:
            total += got
            last_arrival = time.monotonic()
            continue
        if not checked_traffic:
            checked_traffic = True
            # One arrival in the window is this task's own draft; a second means uploads are coming densely.
            # Sparser arrivals would not fill a batch within the idle window anyway.
            recent = timezone.now() - timedelta(milliseconds=TRAFFIC_WINDOW_IDLE_MULTIPLE * idle_ms)
            if mine.filter(queued_at__gte=recent).count() < 2:
                break
        now_s = time.monotonic()
        if (now_s - started) * 1000 >= wait_ms or (now_s - last_arrival) * 1000 >= idle_ms:
            break
        time.sleep(poll_s)
    if not total:
        return []
    return list(mine.held_by(claim_token).filter(started_at__isnull=False)
                .order_by("queued_at", "pk").values_list("pk", flat=True))


def drafts_generate_batch(*, draft_id: int, claim_token: str, cfg: WorkerConfig | None = None,
                          runtime: WorkerRuntime = process_runtime) -> BatchOutcome:
    """Draft `draft_id` and whatever else is queued, as one model batch. Idempotent per draft.

    Never raises for a bad model reply, an unreadable image or a model that cannot load: each claimed draft ends
    `ready`, `needs_manual_entry` or `failed` (with the reason). `DraftTimeLimit` (the soft time limit) marks the
    claimed drafts failed with `timeout` and is then re-raised for the task to finish.
    """
    cfg = worker_config() if cfg is None else cfg
    outcome = BatchOutcome()
    started = time.perf_counter()
    if not DraftingControl.drafting_allowed():
        outcome.skipped_reason = "drafting is paused"
        return outcome
    identity = model_identity(cfg)
    # Read once per batch: a clinic switched off (or whose model version changed) while a batch fills takes effect
    # from the next batch.
    paused = paused_organisation_ids(identity=identity)
    outcome.claimed = draft_claim(draft_id=draft_id, claim_token=claim_token, identity=identity, paused=paused)
    if not outcome.claimed:
        clinic_paused = bool(paused) and Draft.objects.filter(
            pk=draft_id, image__case__organisation_id__in=list(paused)).exists()
        outcome.skipped_reason = "drafting is paused for this clinic" if clinic_paused else "already taken"
        return outcome
    step = outcome.mark("claim", started)
    try:
        engine = runtime.engine_for(cfg)
        if engine is None:
            outcome.failed = drafts_fail(draft_ids=outcome.claimed, claim_token=claim_token,
                                         kind=FailureKind.MODEL_LOAD,
                                         message=runtime.load_failure or "model could not be loaded")
            return outcome
        _generate_and_store(engine, outcome, cfg=cfg, identity=identity, claim_token=claim_token, since=step,
                            paused=paused)
        logger.info("batch of %d draft(s): %d ready, %d manual entry, %d failed; ms %s", len(outcome.claimed),
                    len(outcome.ready), len(outcome.manual), len(outcome.failed), outcome.timings)
        runtime.batch_done()
    except (DraftTimeLimit, SoftTimeLimitExceeded):  # ours (solo/threads pools) or Celery's (prefork)
        message = f"soft time limit of {settings.DERMREVIEW_DRAFT_SOFT_TIME_LIMIT_S} s reached"
        outcome.failed += drafts_fail(draft_ids=outcome.claimed, claim_token=claim_token,
                                      kind=FailureKind.TIMEOUT, message=message)
        raise
    return outcome


def _generate_and_store(engine: Engine, outcome: BatchOutcome, *, cfg: WorkerConfig, identity: ModelIdentity,
                        claim_token: str, since: float, paused: Collection[int]) -> None:
    """Fill the batch up, read its photos, run the model once and store every result (the steps are timed)."""
    want = cfg.batch_size - len(outcome.claimed)
    if want > 0:
        more = drafts_claim_more(claim_token=claim_token, identity=identity, want=want, wait_ms=cfg.batch_wait_ms,
                                 idle_ms=settings.DERMREVIEW_DRAFT_BATCH_IDLE_MS, paused=paused)
        outcome.claimed = list(dict.fromkeys([*outcome.claimed, *more]))
    step = outcome.mark("gather", since)
    drafts = list(Draft.objects.held_by(claim_token).filter(pk__in=outcome.claimed)
                  .select_related("image__case__organisation"))
    # The effective budget: DERMREVIEW_MAX_PIXELS, or the prompt profile's when that is 0.
    inputs, unreadable = _load_images(drafts, max_pixels=cfg.image_max_pixels)
    for draft, message in unreadable:
        if draft_store_failure(draft=draft, claim_token=claim_token, kind=FailureKind.IMAGE_UNREADABLE,
                               message=message):
            outcome.manual.append(draft.pk)
    step = outcome.mark("images", step)
    if not inputs:
        return
    by_key = {str(d.pk): d for d in drafts}
    results = engine.generate(inputs)
    step = outcome.mark("model", step)
    by_status = {str(DraftStatus.READY): outcome.ready, str(DraftStatus.NEEDS_MANUAL_ENTRY): outcome.manual,
                 str(DraftStatus.FAILED): outcome.failed}
    # One transaction for the batch: its drafts become visible together, for one commit's cost.
    with transaction.atomic():
        for result in results:
            stored = draft_store_result(draft=by_key[result.key], result=result, claim_token=claim_token)
            if stored is not None:
                by_status[str(stored)].append(int(result.key))
        # finished_at is the moment the results become visible, give or take the COMMIT itself.
        Draft.objects.filter(pk__in=[*outcome.ready, *outcome.manual, *outcome.failed],
                             claim_token=claim_token).update(finished_at=timezone.now())
        # The commit(s) the weights came from, on the model version record (once: while it is still blank).
        if resolved := next((r.resolved_revision for r in results if r.resolved_revision), ""):
            ModelVersion.objects.with_identity(identity).filter(resolved_revision="").update(
                resolved_revision=resolved[:_RESOLVED_REVISION_LENGTH])
    outcome.mark("store", step)


def _load_images(drafts: list[Draft], *, max_pixels: int) -> tuple[list[ImageInput], list[tuple[Draft, str]]]:
    inputs: list[ImageInput] = []
    unreadable: list[tuple[Draft, str]] = []
    for draft in drafts:
        try:
            with draft.image.file.open("rb") as handle:
                inputs.append(ImageInput(key=str(draft.pk), image=decode_photo(handle, max_pixels=max_pixels)))
        except (OSError, ValueError) as exc:  # PIL's UnidentifiedImageError is an OSError
            unreadable.append((draft, f"the stored photo could not be read: {exc}"))
    return inputs, unreadable


def _ms_between(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return max((later - earlier).total_seconds() * 1000, 0.0)


@transaction.atomic(savepoint=False)  # nothing to undo on its own: it writes nothing unless its claim holds
def draft_store_result(*, draft: Draft, result: DraftResult, claim_token: str) -> str | None:
    """Store one engine result on the draft this task holds; returns the new status, or None if the claim was lost.

    A schema-valid finding makes the draft `ready`. A reply the model got wrong makes it `needs_manual_entry`
    with the failure kind and message. An engine error is `failed` (retried later). The raw output is always kept,
    and the model identity, backend and timings are the ones the engine reported, with the commit(s) its weights
    resolved to (`resolved_revision`: "main" is not a version a governance review can check).
    """
    details: dict[str, Any] = {
        "raw_output": result.raw_text,
        "backend": result.backend,
        "model_id": result.model_id,
        "model_revision": result.model_revision,
        "resolved_revision": result.resolved_revision[:_RESOLVED_REVISION_LENGTH],
        "prompt_version": result.prompt_version,
        "preprocess_ms": result.preprocess_ms,
        "generate_ms": result.generate_ms,
        "prompt_tokens": result.prompt_tokens,
        "output_tokens": result.output_tokens,
        "batch_size": result.batch_size,
        "queue_wait_ms": _ms_between(draft.started_at, draft.queued_at),
        "finished_at": timezone.now(),
    }
    reported = (result.model_id, result.model_revision, result.prompt_version)
    if reported != (draft.model_id, draft.model_revision, draft.prompt_version):
        # The identity is part of what makes the draft unique: a reply from another model must not re-label it.
        details.update(model_id=draft.model_id, model_revision=draft.model_revision,
                       prompt_version=draft.prompt_version)
        message = "the engine reported model {}@{} (prompt {}), not the model this draft is for".format(*reported)
        stored = draft.fail(claim_token=claim_token, kind=FailureKind.ENGINE_ERROR, message=message, **details)
    elif result.finding is not None:
        finding = {name: getattr(result.finding, name) for name in FINDING_FIELDS}
        stored = draft.store(claim_token=claim_token, finding=finding, **details)
    else:
        stored = draft.fail(claim_token=claim_token, kind=FailureKind.from_engine(result.failure_kind),
                            message=result.failure_message, **details)
    if not stored:
        logger.warning("draft %s was reclaimed while this batch ran; its result is dropped", draft.pk)
        return None
    draft_outcome_audit(draft)
    return draft.status


@transaction.atomic
def draft_store_failure(*, draft: Draft, claim_token: str, kind: FailureKind, message: str) -> bool:
    """End a draft this task holds without a model result (`Draft.fail`: manual entry or failed, by the kind)."""
    stored = draft.fail(claim_token=claim_token, kind=kind, message=message, finished_at=timezone.now())
    if stored:
        draft_outcome_audit(draft)
    return stored


@transaction.atomic
def drafts_fail(*, draft_ids: list[int], claim_token: str, kind: FailureKind, message: str) -> list[int]:
    """Mark the drafts this task holds `failed` with `kind`, or `attempts_exhausted` once no attempts remain."""
    failed: list[int] = []
    held = Draft.objects.held_by(claim_token).filter(pk__in=draft_ids)
    for draft in held.select_related("image__case__organisation"):
        if draft_store_failure(draft=draft, claim_token=claim_token, kind=kind, message=message):
            failed.append(draft.pk)
    return failed


def draft_outcome_audit(draft: Draft) -> None:
    """Audit how a draft ended (`draft.generated`, `draft.needs_manual_entry`, `draft.failed`); system actor."""
    status = str(draft.status)
    audit_log(
        action="draft.generated" if status == DraftStatus.READY else f"draft.{status}",
        obj=draft, organisation=draft.image.case.organisation, case_id=draft.image.case_id,
        details={"status": status, "failure_kind": str(draft.failure_kind),
                 "model_id": draft.model_id, "model_revision": draft.model_revision,
                 "resolved_revision": draft.resolved_revision, "prompt_version": draft.prompt_version,
                 "attempts": draft.attempts},
    )
