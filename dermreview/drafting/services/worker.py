"""The worker's side of drafting: claim a micro-batch of queued drafts, run the model once, store each result.

Runs only in Celery workers (the `draft_generate` task). The model engine comes from `inference_worker` and is
loaded once per process; torch is imported there, never by the web tier.

Claiming: rows move `queued → running` with a conditional UPDATE that also writes a claim token, so two workers can
never take the same draft and a message whose draft was already taken by another batch does nothing.

Micro-batching: the task claims its own draft, then every other queued draft (oldest first) up to the batch size N
(DERMREVIEW_BATCH_SIZE). If fewer than N are waiting it keeps polling for new arrivals, at most T ms in all
(DERMREVIEW_BATCH_WAIT_MS), but stops as soon as DERMREVIEW_DRAFT_BATCH_IDLE_MS pass with nothing new arriving, and
does not wait at all unless drafts have been arriving that densely. So a lone upload is not held back, while a
burst (a multi-photo upload, a busy clinic, a backlog after the kill switch) fills whole batches; drafts that
arrive while a batch runs wait for the next one.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Subquery
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from dermreview.audit.services.events import audit_log
from dermreview.drafting.models import FINDING_FIELDS, Draft, DraftingControl, DraftStatus, FailureKind
from dermreview.drafting.services.heartbeat import worker_state
from dermreview.drafting.services.identity import ModelIdentity, model_identity, worker_config
from inference_worker import DraftResult, ImageInput, ModelLoadError, WorkerConfig, get_engine

logger = logging.getLogger(__name__)

# Failures worth another attempt later (the reconciler requeues them after a backoff). A reply the model got wrong
# is not among them: decoding is greedy, so a second run would give the same reply.
RETRYABLE_FAILURES = frozenset({FailureKind.MODEL_LOAD, FailureKind.TIMEOUT, FailureKind.ENGINE_ERROR})
# Engine failure kinds that mean "the model answered, but not usably": a human enters the finding.
MANUAL_ENTRY_FAILURES = frozenset({"unparseable", "schema_invalid", "truncated", "empty"})

# One engine per process drives one accelerator: with a threads pool, batches take turns on the GPU.
_generate_lock = threading.Lock()
# After a failed load, do not try again for a while: a missing model fails every task the same way, and a hub
# timeout per task would stall the queue. The reconciler's backoff brings the drafts back after this.
MODEL_LOAD_COOLDOWN_S = 15.0
# Micro-batching waits for more drafts only if two arrived within this many idle windows.
TRAFFIC_WINDOW_IDLE_MULTIPLE = 5
_load_failure: tuple[str, float] | None = None
_logged_load_failures: set[str] = set()


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


def _identity_filter(identity: ModelIdentity) -> Q:
    return Q(model_id=identity.model_id, model_revision=identity.model_revision,
             prompt_version=identity.prompt_version)


def draft_claim(*, draft_id: int, claim_token: str, identity: ModelIdentity) -> list[int]:
    """Claim one draft (and resume any drafts this same task run held before a retry or a redelivery).

    A draft is claimable when it is `queued`, when it is `running` under this claim token (the same message
    delivered again after its worker died), or when its claim is older than the hard time limit (no healthy task
    can still hold it). Returns the claimed ids; empty when another batch already took the draft.
    """
    now = timezone.now()
    stale_before = now - timedelta(seconds=settings.DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S)
    claimable = (
        Q(status=DraftStatus.QUEUED)
        | Q(status=DraftStatus.RUNNING, claim_token=claim_token)
        | Q(status=DraftStatus.RUNNING, started_at__lt=stale_before)
    )
    claimed = Draft.objects.filter(_identity_filter(identity), claimable, pk=draft_id).update(
        status=DraftStatus.RUNNING, claim_token=claim_token, started_at=now, attempts=F("attempts") + 1,
        failure_kind="", failure_message="",
    )
    if not claimed:
        # A batch stores all its results in one transaction, so a run that no longer holds its first draft
        # holds none of that batch either.
        return []
    held = Draft.objects.filter(status=DraftStatus.RUNNING, claim_token=claim_token).order_by("queued_at", "pk")
    return list(held.values_list("pk", flat=True))


def drafts_claim_more(*, claim_token: str, identity: ModelIdentity, want: int, wait_ms: float, idle_ms: float,
                      ) -> list[int]:
    """Claim up to `want` more queued drafts, oldest first, waiting for arrivals as the module docstring says.

    Waits only while drafts are arriving densely: unless another draft was queued within the last few idle
    windows, a lone upload goes to the model at once instead of waiting for company that is not coming.
    """
    started = last_arrival = time.monotonic()
    poll_s = max(min(idle_ms, wait_ms) / 1000 / 4, 0.002)
    mine = Draft.objects.filter(_identity_filter(identity))
    total = 0
    checked_traffic = False
    while total < want:
        oldest = mine.filter(status=DraftStatus.QUEUED).order_by("queued_at", "pk").values("pk")[: want - total]
        # One statement claims them: the status condition skips rows another worker took meanwhile (PostgreSQL
        # re-checks it on rows it had to wait for), and the row count says how many are ours.
        got = Draft.objects.filter(pk__in=Subquery(oldest), status=DraftStatus.QUEUED).update(
            status=DraftStatus.RUNNING, claim_token=claim_token, started_at=timezone.now(),
            attempts=F("attempts") + 1, failure_kind="", failure_message="",
        )
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
    return list(mine.filter(status=DraftStatus.RUNNING, claim_token=claim_token, started_at__isnull=False)
                .order_by("queued_at", "pk").values_list("pk", flat=True))


def drafts_generate_batch(*, draft_id: int, claim_token: str, cfg: WorkerConfig | None = None) -> BatchOutcome:
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
    outcome.claimed = draft_claim(draft_id=draft_id, claim_token=claim_token, identity=identity)
    if not outcome.claimed:
        outcome.skipped_reason = "already taken"
        return outcome
    step = outcome.mark("claim", started)
    from dermreview.drafting.services.deadline import DraftTimeLimit

    try:
        engine = engine_load(cfg)
        if engine is None:
            reason = _load_failure[0] if _load_failure else "model could not be loaded"
            outcome.failed = drafts_fail(draft_ids=outcome.claimed, claim_token=claim_token,
                                         kind=FailureKind.MODEL_LOAD, message=reason)
            return outcome
        want = cfg.batch_size - len(outcome.claimed)
        if want > 0:
            more = drafts_claim_more(
                claim_token=claim_token, identity=identity, want=want, wait_ms=cfg.batch_wait_ms,
                idle_ms=settings.DERMREVIEW_DRAFT_BATCH_IDLE_MS,
            )
            outcome.claimed = list(dict.fromkeys([*outcome.claimed, *more]))
        step = outcome.mark("gather", step)
        drafts = list(Draft.objects.filter(pk__in=outcome.claimed, claim_token=claim_token,
                                           status=DraftStatus.RUNNING).select_related("image__case__organisation"))
        inputs, unreadable = _load_images(drafts, max_pixels=cfg.max_pixels)
        for draft, message in unreadable:
            if draft_store_failure(draft=draft, claim_token=claim_token, kind=FailureKind.IMAGE_UNREADABLE,
                                   message=message, status=DraftStatus.NEEDS_MANUAL_ENTRY):
                outcome.manual.append(draft.pk)
        step = outcome.mark("images", step)
        if inputs:
            by_key = {str(d.pk): d for d in drafts}
            results = _generate(engine, inputs)
            step = outcome.mark("model", step)
            # One transaction for the batch: its drafts become visible together, for one commit's cost.
            with transaction.atomic():
                for result in results:
                    stored = draft_store_result(draft=by_key[result.key], result=result, claim_token=claim_token)
                    if stored == DraftStatus.READY:
                        outcome.ready.append(int(result.key))
                    elif stored == DraftStatus.NEEDS_MANUAL_ENTRY:
                        outcome.manual.append(int(result.key))
                    elif stored == DraftStatus.FAILED:
                        outcome.failed.append(int(result.key))
                # finished_at is the moment the results become visible, give or take the COMMIT itself.
                Draft.objects.filter(pk__in=[*outcome.ready, *outcome.manual, *outcome.failed],
                                     claim_token=claim_token).update(finished_at=timezone.now())
            outcome.mark("store", step)
        logger.info("batch of %d draft(s): %d ready, %d manual entry, %d failed; ms %s", len(outcome.claimed),
                    len(outcome.ready), len(outcome.manual), len(outcome.failed), outcome.timings)
        worker_state().batch_done(ok=True)
    except (DraftTimeLimit, SoftTimeLimitExceeded):  # ours (solo/threads pools) or Celery's (prefork)
        message = f"soft time limit of {settings.DERMREVIEW_DRAFT_SOFT_TIME_LIMIT_S} s reached"
        outcome.failed += drafts_fail(draft_ids=outcome.claimed, claim_token=claim_token,
                                      kind=FailureKind.TIMEOUT, message=message)
        raise
    return outcome


def _generate(engine: Any, inputs: list[ImageInput]) -> list[DraftResult]:
    if getattr(engine, "backend", "") == "transformers":
        with _generate_lock:
            return engine.generate(inputs)
    return engine.generate(inputs)


def engine_load(cfg: WorkerConfig) -> Any | None:
    """The process's engine, or None after logging (once per reason) why the model cannot load."""
    global _load_failure
    if _load_failure is not None and time.monotonic() - _load_failure[1] < MODEL_LOAD_COOLDOWN_S:
        return None
    try:
        engine = get_engine(cfg)
    except ModelLoadError as exc:
        _load_failure = (exc.reason, time.monotonic())
        if exc.reason not in _logged_load_failures:
            _logged_load_failures.add(exc.reason)
            logger.error("AI drafting is unavailable: the model could not be loaded: %s. Affected drafts are "
                         "marked failed and retried later; the web app keeps working.", exc.reason)
        worker_state().model_failed(exc.reason)
        return None
    if _load_failure is not None:
        logger.info("model loaded after an earlier failure")
    _load_failure = None
    worker_state().model_ready(engine)
    return engine


def last_model_load_failure() -> str | None:
    return _load_failure[0] if _load_failure else None


def _load_images(drafts: list[Draft], *, max_pixels: int) -> tuple[list[ImageInput], list[tuple[Draft, str]]]:
    inputs: list[ImageInput] = []
    unreadable: list[tuple[Draft, str]] = []
    for draft in drafts:
        try:
            with draft.image.file.open("rb") as handle, Image.open(handle) as opened:
                width, height = opened.size
                if opened.format == "JPEG" and width * height > max_pixels:
                    # The model sees at most max_pixels: let the JPEG decoder scale down by 1/2, 1/4 or 1/8 while
                    # decoding (never below that size; the engine's resize does the rest). A 12 MP photo then
                    # decodes in a fraction of the time.
                    scale = (max_pixels / (width * height)) ** 0.5
                    opened.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
                inputs.append(ImageInput(key=str(draft.pk), image=opened.convert("RGB")))
        except (OSError, UnidentifiedImageError, ValueError) as exc:
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
    with the failure kind and message. An engine error is `failed` (retried later). The raw output is always kept.
    """
    now = timezone.now()
    values: dict[str, Any] = {
        "raw_output": result.raw_text,
        "backend": result.backend,
        "preprocess_ms": result.preprocess_ms,
        "generate_ms": result.generate_ms,
        "prompt_tokens": result.prompt_tokens,
        "output_tokens": result.output_tokens,
        "batch_size": result.batch_size,
        "queue_wait_ms": _ms_between(draft.started_at, draft.queued_at),
        "finished_at": now,
    }
    if result.finding is not None:
        values.update({name: getattr(result.finding, name) for name in FINDING_FIELDS})
        values.update(status=DraftStatus.READY, failure_kind="", failure_message="")
    elif str(result.failure_kind) in MANUAL_ENTRY_FAILURES:
        values.update(status=DraftStatus.NEEDS_MANUAL_ENTRY, failure_kind=str(result.failure_kind),
                      failure_message=result.failure_message[:2000])
    else:
        values.update(_failed_values(draft.attempts, FailureKind.ENGINE_ERROR, result.failure_message))
    updated = Draft.objects.filter(pk=draft.pk, status=DraftStatus.RUNNING, claim_token=claim_token).update(**values)
    if not updated:
        logger.warning("draft %s was reclaimed while this batch ran; its result is dropped", draft.pk)
        return None
    draft_outcome_audit(draft, values)
    return values["status"]


@transaction.atomic
def draft_store_failure(*, draft: Draft, claim_token: str, kind: FailureKind, message: str,
                        status: DraftStatus = DraftStatus.FAILED) -> bool:
    values: dict[str, Any] = {"status": status, "failure_kind": kind, "failure_message": message[:2000],
                              "finished_at": timezone.now()}
    updated = Draft.objects.filter(pk=draft.pk, status=DraftStatus.RUNNING, claim_token=claim_token).update(**values)
    if updated:
        draft_outcome_audit(draft, values)
    return bool(updated)


@transaction.atomic
def drafts_fail(*, draft_ids: list[int], claim_token: str, kind: FailureKind, message: str) -> list[int]:
    """Mark the drafts this task holds `failed` with `kind`, or `attempts_exhausted` once no attempts remain."""
    failed: list[int] = []
    held = Draft.objects.filter(pk__in=draft_ids, status=DraftStatus.RUNNING, claim_token=claim_token)
    for draft in held.select_related("image__case__organisation"):
        values = _failed_values(draft.attempts, kind, message)
        values["finished_at"] = timezone.now()
        Draft.objects.filter(pk=draft.pk).update(**values)
        draft_outcome_audit(draft, values)
        failed.append(draft.pk)
    return failed


def _failed_values(attempts: int, kind: FailureKind, message: str) -> dict[str, Any]:
    limit = settings.DERMREVIEW_DRAFT_MAX_ATTEMPTS
    if attempts >= limit:
        return {"status": DraftStatus.FAILED, "failure_kind": FailureKind.ATTEMPTS_EXHAUSTED,
                "failure_message": f"Gave up after {attempts} attempts. Last failure ({kind}): {message}"[:2000]}
    return {"status": DraftStatus.FAILED, "failure_kind": kind, "failure_message": message[:2000]}


def draft_outcome_audit(draft: Draft, values: dict[str, Any]) -> None:
    """Audit how a draft ended (`draft.generated`, `draft.needs_manual_entry`, `draft.failed`); system actor."""
    status = str(values["status"])
    audit_log(
        action="draft.generated" if status == DraftStatus.READY else f"draft.{status}",
        obj=draft, organisation=draft.image.case.organisation, case_id=draft.image.case_id,
        details={"status": str(values["status"]), "failure_kind": str(values.get("failure_kind", "")),
                 "model_id": draft.model_id, "model_revision": draft.model_revision,
                 "prompt_version": draft.prompt_version, "attempts": draft.attempts},
    )
