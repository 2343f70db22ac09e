"""The PDF report of a final finding: read back with `pdftotext`, refused before the case is final, 404 outside the
clinic, and every download audited (API and the case page's link)."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from dermreview.audit.models import AuditEvent
from dermreview.audit.services.events import audit_log
from dermreview.cases.models import CaptureType, Case, CaseStatus, Patient
from dermreview.cases.models.lesion import Lesion
from dermreview.review.models import Review, ReviewOutcome
from tests.dermreview.api.conftest import assert_error
from tests.factories import CaseFactory, DraftFactory, LesionImageFactory, ReviewFactory

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is missing")


@dataclass
class FollowUp:
    """A patient's lesion seen twice: the previous visit final (monitor), this visit final (biopsy), both audited."""

    patient: Patient
    lesion: Lesion
    previous: Case
    case: Case
    review: Review
    sign_event: AuditEvent


def _visit(*, lesion: Lesion, creator: Any, days_ago: int, **case: Any) -> Case:
    visit = CaseFactory(organisation=lesion.patient.organisation, created_by=creator, patient=lesion.patient,
                        lesion=lesion, patient_ref=lesion.patient.reference, body_site=lesion.body_site,
                        lesion_label=lesion.label, status=CaseStatus.FINAL, blind_first=False, **case)
    Case.objects.filter(pk=visit.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    visit.refresh_from_db()
    return visit


def _sign(case: Case, reviewer: Any, **review: Any) -> tuple[Review, AuditEvent]:
    """A sign-off row and its audit event, as `review_sign` writes them (the service is tested on its own)."""
    signed = ReviewFactory(case=case, reviewer=reviewer, **review)
    event = audit_log(action="review.sign", actor=reviewer, obj=signed,
                      details={"version": 1, "round": 1, "outcome": signed.outcome,
                               "status_from": CaseStatus.AWAITING_REVIEW, "status_to": CaseStatus.FINAL})
    return signed, event


def lesion_follow_up(alice: Any, bob: Any, *, reference: str = "PT-REPORT-7") -> FollowUp:
    patient = Patient.objects.create(organisation=alice.organisation, reference=reference, birth_year=1961,
                                     sex="female", fitzpatrick_type="II", created_by=alice)
    lesion = Lesion.objects.create(patient=patient, body_site="back", laterality="left", label="L1 left scapula",
                                   map_view="back", map_x=0.31, map_y=0.27, created_by=alice)
    previous = _visit(lesion=lesion, creator=alice, days_ago=95)
    LesionImageFactory(case=previous, uploaded_by=alice)
    _sign(previous, bob, summary="Baseline: regular light-brown macule, review in three months.",
          management_plan="monitor", follow_up_on=date.today() - timedelta(days=5), change_since_previous="new",
          signed_at=timezone.now() - timedelta(days=94))
    case = _visit(lesion=lesion, creator=alice, days_ago=1)
    audit_log(action="case.create", actor=alice, obj=case, details={})
    audit_log(action="case.transition", actor=alice, obj=case,
              details={"from": CaseStatus.NEW, "to": CaseStatus.AWAITING_REVIEW, "reason": "photo uploaded"})
    image = LesionImageFactory(case=case, uploaded_by=alice)
    LesionImageFactory(case=case, uploaded_by=alice, capture_type=CaptureType.DERMOSCOPIC, dermoscopy_polarised=True,
                       dermoscopy_contact=True, framing="close_up", measured_diameter_mm=6.4)
    draft = DraftFactory(image=image, model_id="acme/derm-vlm", model_revision="rev-2026-11", prompt_version="p-42")
    snapshot = {"draft_id": draft.pk, "image_id": image.pk, "fields": draft.finding_fields(),
                "model_id": draft.model_id, "model_revision": draft.model_revision,
                "prompt_version": draft.prompt_version}
    review, event = _sign(
        case, bob, draft=draft, draft_snapshot=snapshot, outcome=ReviewOutcome.EDITED,
        lesion_type="dysplastic nevus", edited_fields=["lesion_type"],
        summary="Enlarging asymmetric macule with new dark focus: excise for histology.",
        management_plan="biopsy", change_since_previous="changed", change_aspects=["size", "colour"],
    )
    return FollowUp(patient, lesion, previous, case, review, event)


def pdf_text(content: bytes, tmp_path: Path) -> str:
    """The PDF's text as `pdftotext` reads it, whitespace collapsed (table cells wrap at the renderer's will)."""
    source = tmp_path / "report.pdf"
    source.write_bytes(content)
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", str(source), "-"], capture_output=True, check=True,
                            timeout=60)
    return " ".join(result.stdout.decode("utf-8").split())


@pytest.fixture
def follow_up(alice, bob) -> FollowUp:  # noqa: ANN001
    return lesion_follow_up(alice, bob)


def test_report_pdf_shows_every_section_and_the_anchor_hash(api, alice, follow_up, tmp_path) -> None:  # noqa: ANN001
    response = api(alice).get(reverse("api-case-report", args=[follow_up.case.pk]))

    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert response["Content-Disposition"] == (
        f'attachment; filename="dermreview-case-{follow_up.case.pk}-v1-report.pdf"')
    assert response["Cache-Control"] == "private, no-store"
    text = pdf_text(response.content, tmp_path)
    for expected in (
        "Riverside Dermatology", "PT-REPORT-7", "Year of birth 1961", "Sex Female", "Fitzpatrick skin type II",
        "Back (left)", "L1 left scapula", "Back view, 31% from the left, 27% from the top",
        "Photo 1: Clinical", "Photo 2: Dermoscopic, polarised, contact; close-up; longest diameter 6.4 mm",
        "Signed finding", "Human-confirmed finding", "dysplastic nevus",
        "Enlarging asymmetric macule with new dark focus: excise for histology.",
        "Management plan", "Biopsy or excise", "Change since the previous visit Changed: size, colour",
        "Comparison with the previous visit", f"Previous visit: case {follow_up.previous.pk}",
        "Baseline: regular light-brown macule, review in three months.", "plan: Monitor: follow-up visit",
        "Signed by", "bob", "First review", "AI draft accepted with edits (edited: Lesion type)",
        "AI-draft disclosure", "acme/derm-vlm", "Model version rev-2026-11", "Prompt version p-42",
        "Changed by the reviewer Lesion type", "Confirmed as drafted Colour, Symmetry, Borders, Texture, Summary",
        "not a diagnostic tool", "human oversight is strictly required",
        "Case history", "Case opened", "New (no photos) → Awaiting review", "Awaiting review → Final",
        "Audit anchor", f"audit event #{follow_up.sign_event.sequence}", "Page 1 of",
    ):
        assert expected in text, f"{expected!r} not in the report: {text[:3000]}"
    assert follow_up.sign_event.hash in text.replace(" ", "")
    # Clinicians never see the AI's own text: the draft's summary is not in the report.
    assert "features of a benign nevus" not in text


def test_report_pdf_of_a_first_visit_has_no_comparison_and_states_a_missing_plan(
        api, alice, bob, tmp_path) -> None:  # noqa: ANN001
    case = CaseFactory(organisation=alice.organisation, created_by=alice, status=CaseStatus.FINAL)
    LesionImageFactory(case=case, uploaded_by=alice)
    # A sign-off from before plans were recorded, written without an audit event (imported data).
    ReviewFactory(case=case, reviewer=bob, outcome=ReviewOutcome.MANUAL, management_plan="")

    response = api(alice).get(reverse("api-case-report", args=[case.pk]))

    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    assert "Comparison with the previous visit" not in text
    assert "Not recorded (signed before management plans were recorded)" in text
    assert "Not placed on the body map" in text
    assert "No AI draft was used" in text
    assert "No audit event of the sign-off was found" in text


@pytest.mark.parametrize("status", [CaseStatus.AWAITING_REVIEW, CaseStatus.NEEDS_SECOND_REVIEW])
def test_report_refused_before_the_case_is_final(api, alice, bob, status) -> None:  # noqa: ANN001
    case = CaseFactory(organisation=alice.organisation, created_by=alice, status=status)
    if status == CaseStatus.NEEDS_SECOND_REVIEW:
        ReviewFactory(case=case, reviewer=bob)
    before = AuditEvent.objects.filter(action="report.download").count()

    body = assert_error(api(alice).get(reverse("api-case-report", args=[case.pk])), 409, "not_final")

    assert f"Case {case.pk} is not final" in body["detail"]
    assert "only once the finding is signed and final" in body["detail"]
    assert AuditEvent.objects.filter(action="report.download").count() == before


def test_report_is_404_to_another_clinic(api, mallory, follow_up) -> None:  # noqa: ANN001
    assert_error(api(mallory).get(reverse("api-case-report", args=[follow_up.case.pk])), 404)
    assert not AuditEvent.objects.filter(action="report.download").exists()


def test_report_needs_a_signed_in_caller(api, follow_up) -> None:  # noqa: ANN001
    assert_error(api(None).get(reverse("api-case-report", args=[follow_up.case.pk])), 401)


def test_every_report_download_is_audited(api, alice, carol, follow_up) -> None:  # noqa: ANN001
    first = api(alice).get(reverse("api-case-report", args=[follow_up.case.pk]))
    second = api(carol).get(reverse("api-case-report", args=[follow_up.case.pk]))

    events = list(AuditEvent.objects.filter(action="report.download").order_by("sequence"))
    assert [e.actor_username for e in events] == ["alice", "carol"]
    assert all(e.case_id == follow_up.case.pk and e.organisation_id == alice.organisation_id for e in events)
    assert events[0].details["anchor_hash"] == follow_up.sign_event.hash
    assert events[0].details["anchor_sequence"] == follow_up.sign_event.sequence
    assert events[0].details["bytes"] == len(first.content) and events[1].details["bytes"] == len(second.content)


def test_case_page_links_the_report_of_a_final_case_and_the_link_downloads_it(
        client_for, alice, follow_up, tmp_path) -> None:  # noqa: ANN001
    client = client_for(alice)
    page = client.get(reverse("cases:detail", args=[follow_up.case.pk]))
    url = reverse("case_report_pdf", args=[follow_up.case.pk])
    assert f'href="{url}"' in page.content.decode()

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "PT-REPORT-7" in pdf_text(response.content, tmp_path)
    assert AuditEvent.objects.filter(action="report.download", actor_username="alice").count() == 1


def test_case_page_of_an_open_case_has_no_report_link_and_the_page_route_refuses(
        client_for, alice, mallory) -> None:  # noqa: ANN001
    case = CaseFactory(organisation=alice.organisation, created_by=alice, status=CaseStatus.AWAITING_REVIEW)
    url = reverse("case_report_pdf", args=[case.pk])
    assert url not in client_for(alice).get(reverse("cases:detail", args=[case.pk])).content.decode()

    refused = client_for(alice).get(url)
    assert refused.status_code == 409
    assert "is not final (Awaiting review)" in refused.content.decode()
    assert client_for(mallory).get(url).status_code == 404


def test_body_map_figure_is_drawn_with_the_marker_when_the_view_exists(settings, tmp_path, alice, bob) -> None:  # noqa: ANN001
    """With static/img/body-map/<view>.svg present, the report embeds the figure with a marker at the position."""
    import base64

    from dermreview.api.reports.figures import body_map_position

    figures = tmp_path / "static" / "img" / "body-map"
    figures.mkdir(parents=True)
    (figures / "back.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 400">'
                                      '<rect width="200" height="400" fill="#eee"/></svg>')
    settings.STATICFILES_DIRS = [str(tmp_path / "static"), *settings.STATICFILES_DIRS]
    lesion = lesion_follow_up(alice, bob).lesion

    position = body_map_position(lesion)

    assert position is not None and position.figure_uri.startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(position.figure_uri.split(",", 1)[1]).decode()
    assert '<circle cx="62.00" cy="108.00"' in svg and 'class="report-marker"' in svg


@pytest.mark.parametrize("backend", ["fs", "s3"])
def test_photos_are_read_through_the_storage_api(request, backend, api, alice, bob, tmp_path) -> None:  # noqa: ANN001
    """Photos in an S3 bucket (a real SeaweedFS server) are embedded as well as photos on disk: the report reads
    them through the storage API, never by filesystem path (an S3 object has none)."""
    if backend == "s3":
        request.getfixturevalue("s3_storage")
    follow_up = lesion_follow_up(alice, bob)
    image = follow_up.case.images.first()
    if backend == "s3":
        with pytest.raises(NotImplementedError):
            image.file.path  # noqa: B018 - the proof that there is no path to read

    response = api(alice).get(reverse("api-case-report", args=[follow_up.case.pk]))

    assert response.status_code == 200
    source = tmp_path / "report.pdf"
    source.write_bytes(response.content)
    listing = subprocess.run(["pdfimages", "-list", str(source)], capture_output=True, text=True, check=True,
                             timeout=60).stdout.splitlines()[2:]
    # This visit's two photos, the previous visit's photo and this visit's first photo again beside it.
    assert len([line for line in listing if " image " in line]) >= 3, listing


def test_finding_text_is_printed_as_text_and_the_renderer_fetches_nothing(api, alice, bob, tmp_path) -> None:  # noqa: ANN001
    """Markup in signed text is escaped, and the renderer itself refuses any URL but data: (no file or network)."""
    from dermreview.api.reports.pdf_report import case_report
    from dermreview.api.reports.render import render_pdf, weasyprint

    FatalURLFetchingError = weasyprint().urls.FatalURLFetchingError  # noqa: N806 - the library's class

    case = CaseFactory(organisation=alice.organisation, created_by=alice, status=CaseStatus.FINAL)
    LesionImageFactory(case=case, uploaded_by=alice)
    ReviewFactory(case=case, reviewer=bob, summary='See <img src="file:///etc/hostname"> here.')

    text = pdf_text(api(alice).get(reverse("api-case-report", args=[case.pk])).content, tmp_path)

    assert 'See <img src="file:///etc/hostname"> here.' in text
    report = case_report(case=case, generated_by="alice", generated_at=timezone.now())
    leaky = dataclasses.replace(report, photos=(dataclasses.replace(report.photos[0], data_uri="file:///etc/hostname"),))
    with pytest.raises(FatalURLFetchingError):
        render_pdf(leaky)


def test_importing_weasyprint_leaves_truncated_photos_refused_at_upload() -> None:
    # WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES on import; uploads rely on it staying off.
    from PIL import ImageFile

    from dermreview.api.reports.render import weasyprint

    ImageFile.LOAD_TRUNCATED_IMAGES = True  # as a first import of WeasyPrint elsewhere would leave it
    assert weasyprint().HTML is not None
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
