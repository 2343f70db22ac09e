"""A clinician's first case: log in, open a case, add two photos, see them."""

from __future__ import annotations

import base64
import re

import pytest
from django.contrib.auth.models import Group

from dermreview.cases.models import Case, CaseStatus, LesionImage
from tests.factories import CaseFactory, OrganisationFactory, UserFactory
from tests.fixtures import upload_corpus as corpus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALL_THUMBNAILS_LOADED = """() => {
  const thumbs = Array.from(document.querySelectorAll('#image-grid img.thumb'));
  return thumbs.length === 2 && thumbs.every((img) => img.complete && img.naturalWidth > 0);
}"""


def test_upload_journey_clinician_creates_case_and_sees_two_thumbnails(page, login, screenshot_dir, tmp_path):
    # The role groups come from a data migration, which a transactional test's flush may have removed.
    Group.objects.get_or_create(name="clinician")
    clinic = OrganisationFactory(name="Riverside Dermatology", slug="riverside")
    alice = UserFactory(username="alice", organisation=clinic, roles=["clinician"])
    photos = [tmp_path / "lesion-overview.jpg", tmp_path / "lesion-closeup.png"]
    photos[0].write_bytes(corpus.jpeg(640, 480, seed=101))
    photos[1].write_bytes(corpus.png(480, 640, seed=102))
    problems: list[str] = []
    # Script errors and CSP violations show as console errors; failed requests are tracked by URL instead
    # (the browser's own /favicon.ico probe is not the app's concern).
    page.on("console", lambda msg: problems.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)

    login(alice)
    page.goto("/cases/new/")
    page.fill("#id_patient_ref", "E2E-0001")
    page.select_option("#id_body_site", "back")
    page.fill("#id_lesion_label", "L1 upper back")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    case_url = page.url
    case = Case.objects.get(patient_ref="E2E-0001")
    assert page.locator("#image-grid li.empty").count() == 1

    page.set_input_files("#upload-files", [str(p) for p in photos])
    page.click("#upload-submit")

    page.wait_for_function(ALL_THUMBNAILS_LOADED)
    assert page.url == case_url  # the script uploaded in place; no full page load
    results = page.locator("#upload-results li.accepted")
    assert results.count() == 2
    assert "lesion-overview.jpg" in results.nth(0).inner_text()
    assert page.locator("#upload-summary").inner_text() == "2 added."
    assert page.locator("#case-status").inner_text() == "Awaiting review"
    # The case had no photos, so the AI draft status poller arrives with the refreshed grid and must run.
    page.wait_for_function("() => window.DermReviewDraftStatus !== undefined")
    widths = page.eval_on_selector_all("#image-grid img.thumb", "imgs => imgs.map((i) => i.naturalWidth)")
    assert all(w > 0 for w in widths)
    assert problems == []  # no script error and no CSP violation
    assert LesionImage.objects.filter(case=case).count() == 2
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_REVIEW

    # Dropping files onto the zone uploads them too; a rejected file is reported and the good one kept.
    data_transfer = page.evaluate_handle(
        """([good, bad]) => {
          const dt = new DataTransfer();
          const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
          dt.items.add(new File([bytes(good)], "dropped.jpg", { type: "image/jpeg" }));
          dt.items.add(new File([bytes(bad)], "page.jpg", { type: "image/jpeg" }));
          return dt;
        }""",
        [base64.b64encode(corpus.jpeg(320, 240, seed=103)).decode(), base64.b64encode(corpus.html_as_jpeg()).decode()],
    )
    page.dispatch_event("#upload-dropzone", "drop", {"dataTransfer": data_transfer})
    page.wait_for_function("() => document.querySelectorAll('#image-grid img.thumb').length === 3")
    assert page.locator("#upload-summary").inner_text() == "1 added, 1 not stored. The added photos were kept."
    assert "Not stored: page.jpg: not a JPEG" in page.locator("#upload-results li.rejected").inner_text()
    assert LesionImage.objects.filter(case=case).count() == 3
    page.wait_for_function(ALL_THUMBNAILS_LOADED.replace("=== 2", "=== 3"))
    assert problems == []

    shot = screenshot_dir / "upload-journey.png"
    page.screenshot(path=str(shot), full_page=True)
    page.screenshot(path=str(tmp_path / "upload-journey.png"), full_page=True)
    assert shot.stat().st_size > 10_000


POST_22_FILES = """async ([url, token, b64]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const data = new FormData();
  data.append("capture_type", "clinical");
  for (let i = 0; i < 22; i++) data.append("files", new File([bytes], "p" + i + ".jpg", { type: "image/jpeg" }));
  const response = await fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: {
    "X-CSRFToken": token, "X-Requested-With": "XMLHttpRequest", "Accept": "application/json" } });
  return [response.status, await response.json()];
}"""


def test_upload_of_22_files_says_the_limit_and_stores_nothing(page, login, tmp_path):
    Group.objects.get_or_create(name="clinician")
    clinic = OrganisationFactory(name="Riverside Dermatology", slug="riverside")
    alice = UserFactory(username="alice", organisation=clinic, roles=["clinician"])
    case = CaseFactory(organisation=clinic, created_by=alice)
    photos = []
    for i in range(22):
        photos.append(tmp_path / f"lesion-{i:02d}.jpg")
        photos[-1].write_bytes(corpus.jpeg(16, 16, seed=700 + i))
    uploads: list[str] = []
    page.on("request", lambda r: uploads.append(r.url) if r.method == "POST" and "/images/" in r.url else None)
    expected = "At most 20 files per upload; you sent 22. Nothing was stored; upload them in groups of at most 20."

    login(alice)
    page.goto(f"/cases/{case.pk}/")
    page.set_input_files("#upload-files", [str(p) for p in photos])
    page.click("#upload-submit")
    page.wait_for_function("() => document.getElementById('upload-summary').textContent.startsWith('At most')")
    assert page.locator("#upload-summary").inner_text() == expected
    assert uploads == []  # the script refused before sending

    # The server says the same to a client that sends them anyway (through the CSRF check, as a browser does).
    token = page.eval_on_selector("input[name=csrfmiddlewaretoken]", "i => i.value")
    upload_url = page.eval_on_selector("#upload-form", "f => f.action")
    status, body = page.evaluate(POST_22_FILES, [upload_url, token, base64.b64encode(corpus.jpeg(16, 16)).decode()])
    assert status == 400 and body["error"] == {"code": "too_many_files", "message": expected}
    assert not LesionImage.objects.filter(case=case).exists()
    case.refresh_from_db()
    assert case.status == CaseStatus.NEW
