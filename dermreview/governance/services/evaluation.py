"""Starting, continuing, cancelling and resuming a shadow evaluation (the web tier's side; `shadow.py` drafts).

The test set is a clinic's final cases whose current finding was signed on or after `since` (the latest `limit`
of them), each usable photo (not marked ungradable) once per version: the candidate and the clinic's approved
version, so both are measured on the same photos against the same signed findings. The drafting goes to the GPU
queue one chunk per task, each sent at `EVALUATION_PRIORITY`, below live drafting (which sends at the default, 0):

- with Redis (production) kombu keeps a list per priority step and a worker takes the highest-priority message
  first, so live drafts queued while an evaluation runs overtake its next chunk (each chunk is one batch);
- the filesystem broker of `make run` has no priorities (kombu delivers its messages in the order they were
  written): there the chunks only interleave with live drafts, first come, first served.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from dermreview.accounts.models import Organisation
from dermreview.accounts.roles import is_clinic_admin, is_operator
from dermreview.audit.services.events import audit_log
from dermreview.cases.models import CaseStatus, DiagnosisClass, LesionImage
from dermreview.drafting.models import ModelVersion, ModelVersionStatus
from dermreview.governance.models import (
    EvaluationItem,
    EvaluationRun,
    EvaluationSide,
    EvaluationStatus,
    ItemStatus,
)
from dermreview.review.models import Review

# Celery message priority of an evaluation chunk (Redis: 0 is served first, 9 last; live drafts send 0).
EVALUATION_PRIORITY = 9


def evaluation_refusal(*, user: Any, organisation_id: int) -> str:
    """Why `user` may not evaluate on this clinic's cases; "" when they may (its administrators, operators)."""
    if is_operator(user):
        return ""
    if getattr(user, "organisation_id", None) != organisation_id or not is_clinic_admin(user):
        return "Only the clinic's administrators (or the installation's operators) may run evaluations on its cases."
    return ""


def baseline_for(*, candidate: ModelVersion, organisation_id: int) -> ModelVersion | None:
    """What the candidate would replace: the clinic's approved version (a clinic candidate), or the installation
    default (an installation candidate)."""
    if candidate.organisation_id is None:
        return ModelVersion.objects.approved_for(None)
    return ModelVersion.objects.approved_for(organisation_id)


def final_sign_offs(*, organisation_id: int, since: date, limit: int | None) -> list[Review]:
    """Each final case's current finding (the last standing sign-off of its latest version) signed since `since`,
    latest first, at most `limit` cases."""
    later = Review.objects.filter(case_id=OuterRef("case_id"), voided_at__isnull=True).filter(
        Q(version__gt=OuterRef("version")) | Q(version=OuterRef("version"), round__gt=OuterRef("round")))
    start = timezone.make_aware(datetime.combine(since, time.min))
    reviews = (Review.objects.filter(case__organisation_id=organisation_id, case__status=CaseStatus.FINAL,
                                     voided_at__isnull=True, signed_at__gte=start)
               .filter(~Exists(later)).select_related("lesion_class").order_by("-signed_at", "-pk"))
    return list(reviews[:limit] if limit else reviews)


@transaction.atomic
def evaluation_start(*, candidate: ModelVersion, organisation: Organisation, since: date, limit: int | None,
                     user: Any, send: bool = True) -> EvaluationRun:
    """Create a shadow evaluation of `candidate` on `organisation`'s signed cases and queue it. Audited.

    `user` None is an operator's command at the server; `send=False` queues nothing (the command's --sync runs it
    in its own process). Refused (ValidationError) for a retired or another clinic's
    version, for the version already approved, and when no signed case with a usable photo is in range.
    """
    if user is not None and (refusal := evaluation_refusal(user=user, organisation_id=organisation.pk)):
        raise PermissionDenied(refusal)
    if candidate.status == ModelVersionStatus.RETIRED:
        raise ValidationError("A retired version cannot be evaluated.", code="retired")
    if candidate.organisation_id not in (None, organisation.pk):
        raise ValidationError("This version belongs to another clinic.", code="other_clinic")
    baseline = baseline_for(candidate=candidate, organisation_id=organisation.pk)
    if baseline is not None and baseline.pk == candidate.pk:
        raise ValidationError("This version is already the approved one; evaluate a candidate.", code="active")
    reviews = final_sign_offs(organisation_id=organisation.pk, since=since, limit=limit)
    photos = list(LesionImage.objects.filter(case_id__in=[r.case_id for r in reviews], ungradable_at__isnull=True)
                  .order_by("case_id", "pk"))
    if not photos:
        raise ValidationError(f"No final case with a usable photo was signed on or after {since:%Y-%m-%d}.",
                              code="empty")
    sides = [EvaluationSide.CANDIDATE] + ([EvaluationSide.BASELINE] if baseline is not None else [])
    run = EvaluationRun.objects.create(
        organisation=organisation, candidate=candidate, baseline=baseline, since=since, limit=limit,
        cases=len({p.case_id for p in photos}), total=len(photos) * len(sides), requested_by=user,
    )
    _create_items(run, reviews=reviews, photos=photos, sides=sides)
    audit_log(action="evaluation.start", actor=user, obj=run, organisation=organisation, details={
        "run_id": run.pk, "candidate": candidate.pk, "baseline": baseline.pk if baseline else None,
        "since": since.isoformat(), "limit": limit, "cases": run.cases, "photos": len(photos),
    })
    if send:
        evaluation_send(run_id=run.pk)
    return run


def _create_items(run: EvaluationRun, *, reviews: list[Review], photos: list[LesionImage], sides: list[str]) -> None:
    """One pending item per photo and side, with the signed finding (and class) it is measured against."""
    by_case = {review.case_id: review for review in reviews}
    vocabulary = DiagnosisClass.objects.vocabulary(run.organisation_id)
    truths: dict[int, tuple[dict[str, str], str]] = {}
    for review in reviews:
        signed = review.lesion_class or vocabulary.match(review.lesion_type)
        truths[review.pk] = (review.finding_fields(), signed.code if signed is not None else "")
    EvaluationItem.objects.bulk_create([
        EvaluationItem(run=run, side=side, image=photo, review=by_case[photo.case_id],
                       truth=truths[by_case[photo.case_id].pk][0], true_class=truths[by_case[photo.case_id].pk][1])
        for side in sides for photo in photos
    ])


def evaluation_send(*, run_id: int) -> None:
    """Send the run's next drafting chunk to the GPU queue (low priority) once the transaction commits."""
    transaction.on_commit(partial(_send_draft, run_id), robust=True)


def _send_draft(run_id: int) -> None:
    from dermreview.governance.tasks import evaluation_draft  # the task module imports this one

    evaluation_draft.apply_async((run_id,), priority=EVALUATION_PRIORITY)


def _send_score(run_id: int) -> None:
    from dermreview.governance.tasks import evaluation_score

    evaluation_score.apply_async((run_id,))


def stale_claims_before() -> datetime:
    """A claim older than this was held by a worker that died (no healthy task runs past the hard limit)."""
    return timezone.now() - timedelta(seconds=settings.DERMREVIEW_DRAFT_HARD_TIME_LIMIT_S)


@transaction.atomic
def evaluation_continue(*, run_id: int, send: bool = True) -> str:
    """After a chunk: send the next one, or, every photo drafted, move to scoring and send that. Returns what next.

    Nothing is sent while the rest of the items are held by another live task (that task continues the run), nor
    with `send=False` (the caller drafts and scores in its own process).
    """
    run = EvaluationRun.objects.filter(pk=run_id).first()
    if run is None or run.status != EvaluationStatus.DRAFTING:
        return "stopped"
    items = run.items.all()
    if items.claimable(stale_before=stale_claims_before()).exists():
        if send:
            evaluation_send(run_id=run_id)
        return "drafting"
    if items.exclude(status=ItemStatus.DONE).exists():
        return "held elsewhere"
    if run.move(EvaluationStatus.SCORING) and send:
        transaction.on_commit(partial(_send_score, run_id), robust=True)
    return "scoring"


@transaction.atomic
def evaluation_cancel(*, run: EvaluationRun, user: Any) -> EvaluationRun:
    """Stop a run that is queued, drafting, scoring or failed; what was drafted stays for the record. Audited."""
    if refusal := evaluation_refusal(user=user, organisation_id=run.organisation_id):
        raise PermissionDenied(refusal)
    run = EvaluationRun.objects.select_for_update().get(pk=run.pk)
    if not run.can_transition(EvaluationStatus.CANCELLED) or not run.move(EvaluationStatus.CANCELLED):
        raise ValidationError(f"This evaluation is {run.get_status_display().lower()}; it cannot be cancelled.")
    audit_log(action="evaluation.cancel", actor=user, obj=run, organisation=run.organisation,
              details={"run_id": run.pk, "done": run.done, "total": run.total})
    return run


@transaction.atomic
def evaluation_resume(*, run: EvaluationRun, user: Any) -> EvaluationRun:
    """Carry on a failed run, or one whose worker stopped answering: only the items not done are drafted again.

    A stalled run (in progress, untouched for longer than the hard time limit) is sent again as it stands.
    """
    if user is not None and (refusal := evaluation_refusal(user=user, organisation_id=run.organisation_id)):
        raise PermissionDenied(refusal)
    run = EvaluationRun.objects.select_for_update().get(pk=run.pk)
    stalled = run.in_progress and run.updated_at < stale_claims_before()
    if run.status == EvaluationStatus.FAILED:
        run.items.filter(status=ItemStatus.CLAIMED).update(status=ItemStatus.PENDING, claim_token="")
        run.move(EvaluationStatus.QUEUED, error="")
    elif not stalled:
        raise ValidationError("Only a failed or stalled evaluation can be resumed.", code="not_resumable")
    if run.status == EvaluationStatus.SCORING:
        transaction.on_commit(partial(_send_score, run.pk), robust=True)
    else:
        evaluation_send(run_id=run.pk)
    EvaluationRun.objects.filter(pk=run.pk).update(updated_at=timezone.now())
    audit_log(action="evaluation.resume", actor=user, obj=run, organisation=run.organisation,
              details={"run_id": run.pk, "done": run.done, "total": run.total, "stalled": stalled})
    return run


def evaluation_runs_resume_stalled() -> list[int]:
    """Send again every run in progress that nothing has touched for longer than the hard time limit: its message
    was lost (a wiped broker) or its worker died between chunks. Beat calls this; each resume is audited as a
    system action. Returns the runs resumed."""
    stalled = EvaluationRun.objects.in_progress().filter(updated_at__lt=stale_claims_before())
    resumed = []
    for run in stalled.order_by("pk"):
        try:
            evaluation_resume(run=run, user=None)
        except ValidationError:  # moved on (finished, cancelled) since the query
            continue
        resumed.append(run.pk)
    return resumed
