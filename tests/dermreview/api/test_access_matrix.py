"""Who may do what, over every endpoint and method of the API (and the protected media routes it links to).

alice owns the data (clinician), bob is a reviewer and carol an auditor in her clinic, mallory holds every role in
another clinic, and `anon` sends no credentials. Outsiders get 404, never 403; auditors are read-only; clinicians
cannot sign; anonymous callers get a JSON 401. Writes that the role allows are sent with bodies that either succeed
or fail validation (400/409): either way, past the access checks.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.dermreview.api.conftest import assert_error
from tests.factories import SAMPLE_FINDING, jpeg_bytes

pytestmark = pytest.mark.django_db

PERSONAS = ("alice", "bob", "carol", "mallory", "anon")


def _all(status: int, *, mallory: int = 404, anon: int = 401, **others: int) -> dict[str, int]:
    return {"alice": status, "bob": status, "carol": status, "mallory": mallory, "anon": anon, **others}


def _upload_body() -> dict[str, Any]:
    return {"files": [SimpleUploadedFile("lesion.jpg", jpeg_bytes(color=(10, 200, 30)), "image/jpeg")],
            "capture_type": "clinical"}


def _naming(build: Any) -> Any:
    """A body builder that names objects of the `world` (called with it)."""
    build.needs_world = True
    return build


def _outcome_body(world: dict[str, Any]) -> dict[str, Any]:
    return {"lesion": world["bare_lesion"], "diagnosis_class": world["class_code"], "diagnosed_on": "2026-01-05",
            "confirm_type": "histopathology"}


# (name, method, path template, body builder, expected status per persona)
MATRIX: list[tuple[str, str, str, Any, dict[str, int]]] = [
    ("me", "get", "/api/v1/me/", None, _all(200, mallory=200)),
    ("schema", "get", "/api/v1/schema/", None, _all(200, mallory=200)),
    ("token-revoke", "delete", "/api/v1/auth/token/", None, _all(204, mallory=204)),
    ("case-list", "get", "/api/v1/cases/", None, _all(200, mallory=200)),
    ("case-create", "post", "/api/v1/cases/", lambda: {"patient_ref": "PT-NEW-1", "body_site": "back"},
     _all(403, alice=201, mallory=201)),
    ("case-detail", "get", "/api/v1/cases/{case}/", None, _all(200)),
    ("case-edit", "patch", "/api/v1/cases/{case}/", lambda: {"clinical_notes": "Itches since May."},
     _all(403, alice=200)),
    ("case-put", "put", "/api/v1/cases/{case}/", lambda: {"clinical_notes": "x"}, _all(405, mallory=405)),
    ("case-delete", "delete", "/api/v1/cases/{case}/", None, _all(405, mallory=405)),
    ("claim", "post", "/api/v1/cases/{case}/claim/", None, _all(403, bob=200)),
    ("release", "delete", "/api/v1/cases/{case}/claim/", None, _all(403, bob=200)),
    # Not a blind-first case: a reviewer passes the access checks and meets the state rule (409).
    ("blind-finding", "post", "/api/v1/cases/{case}/blind-finding/", lambda: {"fields": SAMPLE_FINDING},
     _all(403, bob=409)),
    ("sign", "post", "/api/v1/cases/{case}/sign/", lambda: {}, _all(403, bob=400)),
    ("image-list", "get", "/api/v1/cases/{case}/images/", None, _all(200)),
    ("image-upload", "post", "/api/v1/cases/{case}/images/", _upload_body, _all(403, alice=201)),
    ("image-detail", "get", "/api/v1/images/{image}/", None, _all(200)),
    ("image-draft", "get", "/api/v1/images/{image}/draft/", None, _all(200)),
    ("image-file", "get", "/api/v1/images/{image}/file/", None, _all(200)),
    ("image-thumbnail", "get", "/api/v1/images/{image}/thumbnail/", None, _all(200)),
    ("review-list", "get", "/api/v1/cases/{final}/reviews/", None, _all(200)),
    ("review-detail", "get", "/api/v1/reviews/{review}/", None, _all(200)),
    ("amend", "post", "/api/v1/reviews/{review}/amend/", lambda: {}, _all(403, bob=400)),
    ("export-json", "get", "/api/v1/findings/export/?format=json", None, _all(200, mallory=200)),
    ("export-csv", "get", "/api/v1/findings/export/?format=csv", None, _all(200, mallory=200)),
    ("export-fhir", "get", "/api/v1/findings/export/?format=fhir", None, _all(200, mallory=200)),
    ("export-drafts", "get", "/api/v1/findings/export/?include_drafts=true", None,
     _all(403, carol=200, mallory=200)),
    # Patients, lesions and outcomes: clinicians write patients and lesions, clinicians and reviewers outcomes; a
    # foreign id in a body is a 404 like one in the path.
    ("patient-list", "get", "/api/v1/patients/", None, _all(200, mallory=200)),
    ("patient-create", "post", "/api/v1/patients/", lambda: {"reference": "PT-NEW-2"},
     _all(403, alice=201, mallory=201)),
    ("patient-detail", "get", "/api/v1/patients/{patient}/", None, _all(200)),
    ("patient-edit", "patch", "/api/v1/patients/{patient}/", lambda: {"sex": "female"}, _all(403, alice=200)),
    ("lesion-list", "get", "/api/v1/lesions/", None, _all(200, mallory=200)),
    ("lesion-create", "post", "/api/v1/lesions/",
     _naming(lambda world: {"patient": world["patient"], "body_site": "back"}), _all(403, alice=201)),
    ("lesion-detail", "get", "/api/v1/lesions/{lesion}/", None, _all(200)),
    ("lesion-edit", "patch", "/api/v1/lesions/{lesion}/", lambda: {"label": "L9"}, _all(403, alice=200)),
    ("lesion-timeline", "get", "/api/v1/lesions/{lesion}/timeline/", None, _all(200)),
    ("outcome-list", "get", "/api/v1/outcomes/", None, _all(200, mallory=200)),
    ("outcome-create", "post", "/api/v1/outcomes/", _naming(_outcome_body), _all(403, alice=201, bob=201)),
    ("outcome-detail", "get", "/api/v1/outcomes/{outcome}/", None, _all(200)),
    ("outcome-void", "post", "/api/v1/outcomes/{outcome}/void/", lambda: {"reason": "Wrong report."},
     _all(403, alice=200, bob=200)),
    ("unknown-path", "get", "/api/v1/no-such-thing/", None, _all(404, mallory=404, anon=404)),
]


@pytest.fixture
def world(reviewable_case, final_case, alice) -> dict[str, Any]:  # noqa: ANN001
    from dermreview.cases.models import DiagnosisClass, Lesion, LesionOutcome, Patient

    patient = Patient.objects.create(organisation=alice.organisation, reference="PT-WORLD-1")
    lesion = Lesion.objects.create(patient=patient, body_site="back")
    diagnosis = DiagnosisClass.objects.filter(organisation__isnull=True, active=True).first()
    outcome = LesionOutcome.objects.create(lesion=lesion, diagnosis_class=diagnosis, diagnosed_on="2026-01-05",
                                           recorded_by=alice)
    return {
        "case": reviewable_case.pk,
        "image": reviewable_case.images.get().pk,
        "final": final_case.pk,
        "review": final_case.reviews.get().pk,
        "patient": patient.pk,
        "lesion": lesion.pk,
        "bare_lesion": Lesion.objects.create(patient=patient, body_site="face").pk,  # no outcome yet
        "outcome": outcome.pk,
        "class_code": diagnosis.code,
    }


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("name", "method", "path", "body", "expected"), MATRIX, ids=[row[0] for row in MATRIX])
def test_api_access_matrix_gives_each_persona_its_status(
    request, api, world, persona, name, method, path, body, expected,  # noqa: ANN001
) -> None:
    user = None if persona == "anon" else request.getfixturevalue(persona)
    client = api(user)
    url = path.format(**world)
    kwargs: dict[str, Any] = {}
    if body is not None:
        data = body(world) if getattr(body, "needs_world", False) else body()
        kwargs = {"data": data, "format": "multipart" if "files" in data else "json"}
    response = getattr(client, method)(url, **kwargs)
    want = expected[persona]
    if want >= 400:
        assert_error(response, want)
    else:
        assert response.status_code == want, (response.status_code, response.content[:300])
        if response.streaming:
            b"".join(response.streaming_content)


@pytest.mark.parametrize(("persona", "want"), [("alice", 200), ("bob", 200), ("carol", 200), ("mallory", 404)])
@pytest.mark.parametrize("route", ["cases:image_file", "cases:image_thumbnail"])
def test_protected_media_routes_linked_by_the_api_keep_their_access_rule(
    request, client, world, persona, want, route,  # noqa: ANN001
) -> None:
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse(route, args=[world["image"]]))
    assert response.status_code == want
    if want == 200:
        assert response["Content-Type"] == "image/jpeg"
        b"".join(response.streaming_content)


def test_protected_media_routes_send_anonymous_visitors_to_login(client, world) -> None:  # noqa: ANN001
    response = client.get(reverse("cases:image_file", args=[world["image"]]))
    assert response.status_code == 302
    assert "/accounts/login" in response["Location"]


def test_outsider_lists_and_exports_none_of_another_clinics_data(api, mallory, world) -> None:  # noqa: ANN001
    client = api(mallory)
    assert client.get("/api/v1/cases/").json()["results"] == []
    exported = b"".join(client.get("/api/v1/findings/export/?format=json&include_drafts=true").streaming_content)
    body = __import__("json").loads(exported)
    assert body["findings"] == []
    csv_text = b"".join(client.get("/api/v1/findings/export/?format=csv").streaming_content).decode()
    assert csv_text.count("\r\n") == 1  # the header only


def test_user_without_a_clinic_sees_nothing_and_changes_nothing(api, user_factory, world) -> None:  # noqa: ANN001
    loner = user_factory(username="loner", organisation=None, roles=["clinician", "reviewer"])
    client = api(loner)
    assert client.get("/api/v1/cases/").json()["results"] == []
    assert_error(client.get(f"/api/v1/cases/{world['case']}/"), 404)
    assert_error(client.post("/api/v1/cases/", {"patient_ref": "PT-9", "body_site": "back"}, format="json"), 403)
