"""The review pages: queue, review page, agreement result, amendment, ungradable photos, and the case page panel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import BodySite, Case, CaseStatus
from dermreview.drafting.models import FINDING_FIELDS, Draft, DraftStatus
from dermreview.review.forms import opened_token
from dermreview.review.models import Review
from dermreview.review.services.agreement import agreement_score_reviews
from dermreview.review.services.blind import blind_finding_record
from tests import factories
from tests.dermreview.review.review_helpers import MELANOMA, NEVUS, first_draft, ready_case, sign

pytestmark = pytest.mark.django_db

DRAFT_ONLY_SUMMARY = "DRAFT-ONLY-TEXT-5150 never a finding"


def _start(client, case: Case, *, seconds_ago: float = 30) -> None:  # noqa: ANN001
    """Press "Start review" (a POST), as if `seconds_ago`."""
    assert client.post(reverse("review:claim", args=[case.pk])).status_code == 302
    Case.objects.filter(pk=case.pk).update(claimed_at=timezone.now() - timedelta(seconds=seconds_ago))


def _sign_form(case: Case, draft: Draft | None, **overrides: str) -> dict[str, object]:
    fields = draft.finding_fields() if draft else dict(NEVUS)
    return {
        **fields, "draft_id": draft.pk if draft else "", "lock_version": case.lock_version,
        "opened": opened_token(case_id=case.pk, opened_at=timezone.now() - timedelta(seconds=30)),
        "action": "sign", "attestation": "on", **{f"confirm_{name}": "on" for name in FINDING_FIELDS},
        **factories.SIGN_PLAN, **overrides,
    }


# --- access ---------------------------------------------------------------------------------------------------


def test_outsider_reviewer_gets_404_everywhere(client, alice, bob, mallory):
    case = ready_case(alice)
    review = sign(ready_case(alice), bob)
    client.force_login(mallory)
    assert f"#{case.pk}" not in client.get(reverse("review:queue")).content.decode()
    for url in (reverse("review:case", args=[case.pk]), reverse("review:result", args=[review.pk]),
                reverse("review:result_json", args=[review.pk]), reverse("review:amend", args=[review.pk])):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("review:case", args=[case.pk]), _sign_form(case, first_draft(case))).status_code == 404
    assert client.post(reverse("review:blind", args=[case.pk]), NEVUS).status_code == 404
    image = case.images.first()
    assert client.post(reverse("review:ungradable", args=[image.pk]), {"category": "blur"}).status_code == 404
    assert not Review.objects.filter(case=case).exists() and Case.objects.get(pk=case.pk).claimed_by is None


def test_clinician_cannot_open_or_sign(client, alice):
    case = ready_case(alice)
    client.force_login(alice)
    assert client.get(reverse("review:queue")).status_code == 403
    assert client.get(reverse("review:case", args=[case.pk])).status_code == 403
    assert client.post(reverse("review:case", args=[case.pk]), _sign_form(case, first_draft(case))).status_code == 403
    assert not Review.objects.exists()


def test_auditor_reads_the_review_page_but_cannot_write(client, alice, bob, carol):
    case = ready_case(alice)
    client.force_login(carol)
    response = client.get(reverse("review:case", args=[case.pk]))
    body = response.content.decode()
    assert response.status_code == 200 and 'id="sign-form"' not in body and "Read-only" in body
    assert Case.objects.get(pk=case.pk).claimed_by is None  # reading does not claim
    assert client.post(reverse("review:case", args=[case.pk]), _sign_form(case, first_draft(case))).status_code == 403
    assert client.post(reverse("review:blind", args=[case.pk]), NEVUS).status_code == 403
    assert client.post(reverse("review:release", args=[case.pk])).status_code == 403
    assert client.post(reverse("review:ungradable", args=[case.images.first().pk]),
                       {"category": "blur"}).status_code == 403
    review = sign(case, bob)
    assert client.get(reverse("review:result", args=[review.pk])).status_code == 200
    assert client.get(reverse("review:amend", args=[review.pk])).status_code == 403
    assert Review.objects.count() == 1


# --- queue ----------------------------------------------------------------------------------------------------


def test_queue_lists_high_risk_first_then_oldest_with_counts(client, alice, bob):
    now = timezone.now()
    old = ready_case(alice, created_at=now - timedelta(days=3), patient_ref="OLD-1")
    new = ready_case(alice, created_at=now - timedelta(hours=1), patient_ref="NEW-1")
    risky = ready_case(alice, created_at=now - timedelta(hours=2), patient_ref="RISK-1", high_risk=True)
    pending = ready_case(alice, draft_status=DraftStatus.QUEUED, patient_ref="PENDING-1")
    manual = ready_case(alice, draft_status=DraftStatus.NEEDS_MANUAL_ENTRY, patient_ref="MANUAL-1",
                        created_at=now - timedelta(days=10))
    ready_case(alice, status=CaseStatus.FINAL, patient_ref="DONE-1")
    client.force_login(bob)
    response = client.get(reverse("review:queue"))
    order = [c.pk for c in response.context["page"]]
    assert order == [risky.pk, manual.pk, old.pk, new.pk]
    assert pending.pk not in order  # the AI is still drafting it
    counts = response.context["counts"]
    assert (counts.total, counts.awaiting_review, counts.high_risk) == (4, 4, 1)
    assert "DONE-1" not in response.content.decode()


def test_queue_filters_by_status_body_site_lesion_type_and_age(client, alice, bob):
    now = timezone.now()
    face = ready_case(alice, body_site=BodySite.FACE, draft=MELANOMA, created_at=now - timedelta(days=9))
    back = ready_case(alice, body_site=BodySite.BACK, created_at=now - timedelta(hours=3))
    second = ready_case(alice, status=CaseStatus.NEEDS_SECOND_REVIEW, high_risk=True,
                        created_at=now - timedelta(days=2))
    client.force_login(bob)

    def listed(**params: str) -> set[int]:
        return {c.pk for c in client.get(reverse("review:queue"), params).context["page"]}

    assert listed(body_site="face") == {face.pk}
    assert listed(lesion_type="MELANOMA") == {face.pk}
    assert listed(lesion_type="nevus") == {back.pk, second.pk}
    assert listed(status="needs_second_review") == {second.pk}
    assert listed(age="today") == {back.pk}
    assert listed(age="week") == {second.pk}
    assert listed(age="older") == {face.pk}


def test_queue_reads_nothing_from_a_withheld_blind_first_draft(client, alice, bob, dave, carol):
    """Before a reviewer's own finding, a blind-first case's melanoma draft neither matches the lesion-type filter
    nor makes the case high-risk in the order or the count: the queue is what it would be without the draft."""
    now = timezone.now()
    older = ready_case(alice, created_at=now - timedelta(days=2), patient_ref="NEVUS-OLD")
    blind = ready_case(alice, draft=MELANOMA, blind_first=True, created_at=now - timedelta(hours=1),
                       patient_ref="BLIND-MEL")

    def queue(user, **params: str):  # noqa: ANN001, ANN202
        client.force_login(user)
        response = client.get(reverse("review:queue"), params)
        return [c.pk for c in response.context["page"]], response.context["counts"], response.content.decode()

    order, counts, body = queue(bob)
    assert order == [older.pk, blind.pk]  # oldest first, as if the draft did not exist
    assert (counts.total, counts.high_risk) == (2, 0) and "risk-flag" not in body
    assert queue(bob, lesion_type="melanoma")[0] == []
    assert queue(bob, lesion_type="melanoma")[1].total == 0

    blind_finding_record(case=blind, reviewer=bob, fields=NEVUS)  # bob's own finding: the draft is his to see
    order, counts, _ = queue(bob)
    assert order == [blind.pk, older.pk] and counts.high_risk == 1
    assert queue(bob, lesion_type="melanoma")[0] == [blind.pk]
    assert queue(dave, lesion_type="melanoma")[0] == [] and queue(dave)[1].high_risk == 0  # per reviewer
    assert queue(carol, lesion_type="melanoma")[0] == [blind.pk]  # an auditor who never reviews


# --- review page ------------------------------------------------------------------------------------------------


def test_review_page_shows_photos_draft_identity_and_ai_labels(client, alice, bob):
    case = ready_case(alice, drafts=2)
    draft = first_draft(case)
    client.force_login(bob)
    _start(client, case)
    body = client.get(reverse("review:case", args=[case.pk])).content.decode()
    for image in case.images.all():
        assert reverse("cases:image_file", args=[image.pk]) in body
    assert "Dermoscopic" in body and "Clinical" in body
    assert draft.model_id in body and draft.model_revision in body and draft.prompt_version in body
    assert body.count('class="field-state ai-label"') == 6 and 'list="suggest-lesion_type"' in body
    assert '<datalist id="suggest-lesion_type">' in body and "basal cell carcinoma" in body
    assert "Start from:" in body  # two ready drafts: the reviewer may pick one
    assert 'src="/static/js/review.js"' in body and "<script>" not in body and "style=" not in body
    assert AuditEvent.objects.filter(action="draft.view", actor=bob, case_id=case.pk).exists()


def test_review_page_sign_redirects_to_agreement_with_exact_match_then_scores(client, alice, bob):
    case = ready_case(alice)
    draft = first_draft(case)
    client.force_login(bob)
    _start(client, case, seconds_ago=30)
    case.refresh_from_db()
    response = client.post(reverse("review:case", args=[case.pk]),
                           _sign_form(case, draft, color="dark brown", confirm_color=""))
    review = Review.objects.get()
    assert response.status_code == 302 and response.url == reverse("review:result", args=[review.pk])
    assert review.edited_fields == ["color"] and 25_000 <= review.time_on_task_ms < 120_000
    page = client.get(response.url).content.decode()
    assert "scoring…" in page and "changed" in page and "same" in page
    assert client.get(reverse("review:result_json", args=[review.pk])).json()["scored"] is False
    agreement_score_reviews(review_ids=[review.pk])
    page = client.get(response.url).content.decode()
    assert "scoring…" not in page and "1.000" in page and "all-MiniLM-L6-v2" in page
    data = client.get(reverse("review:result_json", args=[review.pk])).json()
    assert data["scored"] and data["fields"]["summary"]["draft_vs_final"]["f1"] == pytest.approx(1.0, abs=1e-6)
    assert data["fields"]["color"]["exact"] is False


def test_review_page_untouched_form_is_refused_with_field_messages(client, alice, bob):
    case = ready_case(alice)
    client.force_login(bob)
    _start(client, case)
    form = _sign_form(case, first_draft(case))
    for name in FINDING_FIELDS:
        form.pop(f"confirm_{name}")
    response = client.post(reverse("review:case", args=[case.pk]), form)
    assert response.status_code == 400 and response.content.decode().count("confirm it or change it") == 6
    assert not Review.objects.exists()


def test_review_page_reject_requires_a_reason(client, alice, bob):
    case = ready_case(alice)
    client.force_login(bob)
    _start(client, case)
    form = _sign_form(case, first_draft(case), action="reject", lesion_type="lentigo")
    assert client.post(reverse("review:case", args=[case.pk]), form).status_code == 400
    assert not Review.objects.exists()
    response = client.post(reverse("review:case", args=[case.pk]), {**form, "rejection_reason": "Wrong lesion"})
    assert response.status_code == 302 and Review.objects.get().outcome == "rejected_draft"


def test_review_page_manual_entry_when_drafting_failed(client, alice, bob):
    case = ready_case(alice, draft_status=DraftStatus.FAILED)
    client.force_login(bob)
    _start(client, case)
    body = client.get(reverse("review:case", args=[case.pk])).content.decode()
    assert "No usable AI draft" in body and "Your entry" in body and "ai-label" not in body.split('id="sign-form"')[1]
    response = client.post(reverse("review:case", args=[case.pk]), _sign_form(case, None))
    assert response.status_code == 302 and Review.objects.get().outcome == "manual"


def test_review_page_time_on_task_runs_from_start_review_not_the_forms_token(client, alice, bob):
    case = ready_case(alice)
    client.force_login(bob)
    _start(client, case, seconds_ago=60)
    ten_years_back = opened_token(case_id=case.pk, opened_at=timezone.now() - timedelta(days=3653))
    response = client.post(reverse("review:case", args=[case.pk]),
                           _sign_form(case, first_draft(case), opened=ten_years_back))
    assert response.status_code == 302
    review = Review.objects.get()
    assert 60_000 <= review.time_on_task_ms < 120_000


def test_review_page_sign_without_a_claim_is_409_and_keeps_the_input(client, alice, bob):
    case = ready_case(alice)
    client.force_login(bob)
    form = _sign_form(case, first_draft(case), summary="BOB-TYPED-THIS summary", confirm_summary="")
    response = client.post(reverse("review:case", args=[case.pk]), form)
    body = response.content.decode()
    assert response.status_code == 409 and "Claim the case first" in body and "BOB-TYPED-THIS" in body
    assert 'id="claim-again-button"' in body and not Review.objects.exists()
    again = client.post(reverse("review:claim", args=[case.pk]), form)  # "Claim it again and keep my input"
    assert again.status_code == 200 and "BOB-TYPED-THIS" in again.content.decode()
    assert 'id="sign-form"' in again.content.decode() and Case.objects.get(pk=case.pk).claimed_by == bob
    assert client.post(reverse("review:case", args=[case.pk]), form).status_code == 302


def test_review_page_tampered_opened_token_is_refused(client, alice, bob):
    case = ready_case(alice)
    client.force_login(bob)
    response = client.post(reverse("review:case", args=[case.pk]),
                           _sign_form(case, first_draft(case), opened="forged"))
    assert response.status_code == 400 and "reload the page" in response.content.decode()
    assert not Review.objects.exists()


def test_high_risk_flow_shows_disagreement_to_both_reviewers(client, alice, bob, dave):
    case = ready_case(alice, draft=MELANOMA)
    client.force_login(bob)
    _start(client, case)
    client.post(reverse("review:case", args=[case.pk]), _sign_form(case, first_draft(case)))
    case.refresh_from_db()
    assert case.status == CaseStatus.NEEDS_SECOND_REVIEW
    body = client.get(reverse("review:case", args=[case.pk])).content.decode()
    assert "You signed the first review" in body and 'id="sign-form"' not in body
    assert 'id="start-review-button"' not in body  # the first signer cannot take round 2
    client.force_login(dave)
    _start(client, case)
    page = client.get(reverse("review:case", args=[case.pk])).content.decode()
    first_review = Review.objects.get()
    assert 'id="sign-form"' in page and reverse("review:result", args=[first_review.pk]) not in page  # independent
    case.refresh_from_db()
    response = client.post(reverse("review:case", args=[case.pk]),
                           _sign_form(case, first_draft(case), borders="smooth, regular", confirm_borders=""))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.FINAL
    first, second = Review.objects.order_by("round")
    for user, review in ((dave, second), (bob, first)):
        client.force_login(user)
        page = client.get(reverse("review:result", args=[review.pk])).content.decode()
        assert "The two reviewers disagree" in page and "smooth, regular" in page and MELANOMA["borders"] in page


def test_mark_every_photo_ungradable_requests_a_new_photo(client, alice, bob):
    case = ready_case(alice, drafts=2)
    first, second = case.images.all()
    client.force_login(bob)
    _start(client, case)
    assert "Mark this photo ungradable" in client.get(reverse("review:case", args=[case.pk])).content.decode()
    client.post(reverse("review:ungradable", args=[first.pk]), {"category": "blur", "detail": "motion"})
    assert Case.objects.get(pk=case.pk).status == CaseStatus.AWAITING_REVIEW
    client.post(reverse("review:ungradable", args=[second.pk]), {"category": "glare"})
    case.refresh_from_db()
    assert case.status == CaseStatus.NEEDS_NEW_PHOTO and case.lock_version == 1
    first.refresh_from_db()
    assert first.ungradable_reason == "Out of focus / motion blur: motion" and first.ungradable_by == bob
    assert AuditEvent.objects.filter(action="image.mark_ungradable").count() == 2
    assert AuditEvent.objects.filter(action="case.new_photo_requested").exists()
    client.force_login(alice)
    body = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "New photo requested" in body and "Glare or reflection" in body


def test_mark_ungradable_other_without_detail_changes_nothing(client, alice, bob):
    case = ready_case(alice)
    client.force_login(bob)
    client.post(reverse("review:ungradable", args=[case.images.first().pk]), {"category": "other"})
    assert not case.images.filter(ungradable_at__isnull=False).exists()


# --- amendment and the case page --------------------------------------------------------------------------------


def test_amend_from_the_case_page_creates_a_new_version(client, alice, bob, dave):
    case = ready_case(alice)
    original = sign(case, bob)
    client.force_login(dave)
    case_page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert reverse("review:amend", args=[original.pk]) in case_page
    client.post(reverse("review:amend", args=[original.pk]), {"start": "1"})  # "Start amendment" claims the case
    form = client.get(reverse("review:amend", args=[original.pk])).context["form"]
    data = {**{k: form.initial[k] for k in FINDING_FIELDS}, "lock_version": form.initial["lock_version"],
            "opened": form.initial["opened"], "attestation": "on", "reason": "Second look", "texture": "scaly"}
    response = client.post(reverse("review:amend", args=[original.pk]), data)
    amended = Review.objects.get(version=2)
    assert response.status_code == 302 and response.url == reverse("review:result", args=[amended.pk])
    original.refresh_from_db()
    assert original.is_void and amended.texture == "scaly" and amended.supersedes == original
    client.force_login(alice)
    body = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "scaly" in body and "1 earlier sign-off superseded" in body and "Amended: Second look" in body


def test_case_page_shows_status_and_final_finding_never_the_draft(client, alice, bob, dave):
    case = ready_case(alice, draft={**MELANOMA, "summary": DRAFT_ONLY_SUMMARY})
    client.force_login(alice)
    body = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    panel = body.split('id="case-finding"')[1].split("</section>")[0]
    assert "Awaiting review" in panel and DRAFT_ONLY_SUMMARY not in panel and "No finding yet" in panel
    own = {**MELANOMA, "summary": "REVIEWER-OWN-SUMMARY of the melanoma"}
    sign(case, bob, fields=own, confirmed=FINDING_FIELDS)
    panel = client.get(reverse("cases:detail", args=[case.pk])).content.decode().split('id="case-finding"')[1]
    assert "Needs second review" in panel and "no final finding yet" in panel.lower()
    assert "REVIEWER-OWN-SUMMARY" not in panel.split("</section>")[0]
    second = sign(case, dave, fields=own, confirmed=FINDING_FIELDS)
    panel = client.get(reverse("cases:detail", args=[case.pk])).content.decode().split('id="case-finding"')[1]
    panel = panel.split("</section>")[0]
    assert "Final" in panel and "Human-confirmed finding" in panel and "REVIEWER-OWN-SUMMARY" in panel
    assert "bob (first review" in panel and "dave (second review" in panel
    assert timezone.localtime(second.signed_at).strftime("%Y-%m-%d %H:%M") in panel
    assert DRAFT_ONLY_SUMMARY not in panel and "Amend" not in panel  # alice is a clinician


def test_case_page_in_review_while_claimed(client, alice, bob):
    case = ready_case(alice)
    client.force_login(bob)
    _start(client, case)
    client.force_login(alice)
    assert "In review" in client.get(reverse("cases:detail", args=[case.pk])).content.decode()


def test_claim_conflict_is_stated_once_to_a_second_reviewer(client, alice, bob, dave):
    case = ready_case(alice)
    client.force_login(bob)
    _start(client, case)
    case.refresh_from_db()
    until = timezone.localtime(case.claim_expires_at).strftime("%H:%M")
    client.force_login(dave)
    shown = client.get(reverse("review:case", args=[case.pk])).content.decode()
    assert shown.count(f"In review by bob until {until}") == 1
    refused = client.post(reverse("review:claim", args=[case.pk]))
    body = refused.content.decode()
    assert refused.status_code == 409
    assert body.count(f"bob is reviewing this case (claimed until {until})") == 1
    for said in (shown, body):
        assert said.count(f"until {until}") == 1 and "Another reviewer holds" not in said
    signed = client.post(reverse("review:case", args=[case.pk]), _sign_form(case, first_draft(case)))
    assert signed.status_code == 409 and signed.content.decode().count(f"until {until}") == 1


def test_case_page_finding_states_the_resolution_of_a_dual_review(client, alice, bob, dave):
    case = ready_case(alice, draft=MELANOMA)
    sign(case, bob, fields=MELANOMA, confirmed=FINDING_FIELDS)
    sign(case, dave, fields=MELANOMA, confirmed=FINDING_FIELDS)
    client.force_login(alice)

    def panel() -> str:
        body = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
        return body.split('id="case-finding"')[1].split("</section>")[0]

    assert "Resolution:</strong> Concordant: both reviewers agreed." in panel()
    Review.objects.filter(case=case, round=2).update(resolution="adjudicated_by_third_reviewer")
    assert "Resolution:</strong> Disagreement adjudicated by a third reviewer." in panel()
    single = ready_case(alice)
    sign(single, bob)
    body = client.get(reverse("cases:detail", args=[single.pk])).content.decode()
    assert 'id="final-finding"' in body and 'id="finding-resolution"' not in body
