"""Scenario of the pacs tests: alice's case with a clinical and a dermoscopic photo, signed final by bob through the
real sign-off service (one field edited from the AI draft), on a left-sided lesion of a pseudonymous patient."""

from __future__ import annotations

from typing import Any

import pytest

from dermreview.cases.models import CaptureType, Case, Lesion, Patient
from dermreview.cases.models.lesion import Laterality
from tests.dermreview.api.conftest import api  # noqa: F401 - the API tests' token clients, as a fixture here
from tests.dermreview.review.review_helpers import NEVUS, first_draft, ready_case, sign

EDITED = {**NEVUS, "color": "light brown with a darker centre"}


def signed_final_case(owner: Any, reviewer: Any, **case_fields: Any) -> Case:
    case = ready_case(owner, drafts=2, **case_fields)
    patient = Patient.objects.create(organisation=owner.organisation, reference=case.patient_ref, sex="female",
                                     birth_year=1970)
    lesion = Lesion.objects.create(patient=patient, body_site=case.body_site, laterality=Laterality.LEFT,
                                   label=case.lesion_label)
    Case.objects.filter(pk=case.pk).update(patient=patient, lesion=lesion)
    case.images.filter(capture_type=CaptureType.DERMOSCOPIC).update(dermoscopy_polarised=True,
                                                                    dermoscopy_contact=False)
    draft = first_draft(case)
    confirmed = [name for name in NEVUS if EDITED[name] == draft.finding_fields()[name]]
    sign(case, reviewer, fields=EDITED, confirmed=confirmed)
    case.refresh_from_db()
    return case


@pytest.fixture
def final_case(alice: Any, bob: Any) -> Case:
    return signed_final_case(alice, bob)


@pytest.fixture
def clinic_admin(clinic: Any) -> Any:
    from tests import factories

    return factories.UserFactory(username="adam-pacs", organisation=clinic, roles=["clinic_admin"])


@pytest.fixture
def archive_settings(settings: Any) -> Any:
    """An archive configured at an address where nothing listens (no Orthanc needed: for refusals and failures)."""
    from tests.orthanc_server import _free_port

    settings.DERMREVIEW_DICOM_STOW_URL = f"http://127.0.0.1:{_free_port()}/dicom-web"
    settings.DERMREVIEW_DICOM_TIMEOUT_S = 5
    return settings
