"""schemathesis against the running app, for every role: no 5xx, and every response matches the OpenAPI document.

The app runs in-process through its WSGI handler (schemathesis' WSGI transport), inside the test's transaction.
Each operation gets schema-valid and schema-violating examples; path parameters are either generated or the ids of
real objects of alice's clinic, so that both the 404 paths and the real handlers are exercised. The example count
is bounded and the data derandomised, so the run is repeatable and takes well under a minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import api_key_for

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 8
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    # Django closes the database connection at the end of each request; inside a test transaction that would end
    # the test's transaction. Django's own test client disconnects the same two receivers.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def real_ids(reviewable_case, final_case, alice) -> dict[str, dict[str, int]]:  # noqa: ANN001
    """Path prefix -> path parameters naming real objects of alice's clinic."""
    from dermreview.cases.models import DiagnosisClass, Lesion, LesionOutcome, Patient

    patient = Patient.objects.create(organisation=alice.organisation, reference="PT-FUZZ-1")
    lesion = Lesion.objects.create(patient=patient, body_site="back")
    reviewable_case.lesion, reviewable_case.patient = lesion, patient  # so the timeline has a visit with a photo
    reviewable_case.save(update_fields=["lesion", "patient"])
    outcome = LesionOutcome.objects.create(
        lesion=lesion, diagnosis_class=DiagnosisClass.objects.filter(active=True).first(),
        diagnosed_on="2026-01-05", recorded_by=alice)
    return {
        "/api/v1/patients/{id}/": {"id": patient.pk},
        "/api/v1/lesions/{id}/": {"id": lesion.pk},
        "/api/v1/outcomes/{id}/": {"id": outcome.pk},
        "/api/v1/cases/{case_pk}/reviews/": {"case_pk": final_case.pk},
        "/api/v1/cases/{case_pk}/": {"case_pk": reviewable_case.pk},
        "/api/v1/cases/{id}/": {"id": reviewable_case.pk},
        "/api/v1/images/{id}/": {"id": reviewable_case.images.get().pk},
        "/api/v1/reviews/{id}/": {"id": final_case.reviews.get().pk},
    }


def _fixed_path(path: str, real_ids: dict[str, dict[str, int]]) -> dict[str, int] | None:
    for prefix, params in real_ids.items():
        if path.startswith(prefix):
            return params
    return None


def _strategy(operation: Any, real_ids: dict[str, dict[str, int]]) -> st.SearchStrategy[Any]:
    strategies = [operation.as_strategy(generation_mode=mode)
                  for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
    fixed = _fixed_path(operation.path, real_ids)
    if fixed is not None:
        strategies.append(operation.as_strategy(path_parameters=fixed))
    return st.one_of(strategies)


@pytest.mark.parametrize("persona", ["alice", "bob", "carol", "mallory", "anon"])
def test_api_answers_every_role_within_its_schema(request, persona, wsgi_app, real_ids) -> None:  # noqa: ANN001
    user = None if persona == "anon" else request.getfixturevalue(persona)
    reader = request.getfixturevalue("carol")
    schema_token = api_key_for(reader)
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/schema/", wsgi_app, headers={"Authorization": f"Token {schema_token}"},
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=_strategy(operation, real_ids))
        def check(case: Any) -> None:
            headers = {}
            if user is not None:
                # DELETE auth/token/ revokes the token: each example gets the user's current one.
                headers["Authorization"] = f"Token {api_key_for(user)}"
            response = case.call(app=wsgi_app, headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)

        check()

