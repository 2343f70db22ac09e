"""The governance pages: who sees what (404 outside the clinic, 403 for roles without a part), the forms, the run
page with its figures and the gate's refusal, the progress endpoint, and approvals on the live model card."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from dermreview.drafting.models import ModelVersion, ModelVersionStatus
from dermreview.governance.models import Approval, EvaluationRun, EvaluationStatus
from tests.dermreview.governance.conftest import candidate_version, signed_cases

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_gate(settings: Any) -> None:
    settings.DERMREVIEW_GATE_MIN_CASES = 5


def _urls(version: ModelVersion, run: EvaluationRun) -> dict[str, tuple[str, str]]:
    return {
        "detail": ("get", reverse("governance:run_detail", args=[run.pk])),
        "progress": ("get", reverse("governance:run_progress", args=[run.pk])),
        "cancel": ("post", reverse("governance:run_cancel", args=[run.pk])),
        "resume": ("post", reverse("governance:run_resume", args=[run.pk])),
        "approve": ("post", reverse("governance:version_approve", args=[version.pk])),
        "withdraw": ("post", reverse("governance:version_withdraw", args=[version.pk])),
    }


def test_outsiders_get_404_and_roles_without_a_part_403(
    client_for: Any, clinic: Any, mallory: Any, hana: Any, alice: Any, bob: Any,
    finished_run: Callable[..., EvaluationRun],
) -> None:
    version = candidate_version(clinic)
    run = finished_run(version, clinic)
    for user in (mallory, hana):  # another clinic's auditor (with every clinical role) and administrator
        client = client_for(user)
        for name, (method, url) in _urls(version, run).items():
            assert getattr(client, method)(url).status_code == 404, (user, name)
    for user in (alice, bob):  # a clinician and a reviewer of the same clinic
        client = client_for(user)
        for name, (method, url) in _urls(version, run).items():
            assert getattr(client, method)(url).status_code == 403, (user, name)
        assert client.get(reverse("oversight:governance")).status_code == 403
    version.refresh_from_db()
    assert version.status == ModelVersionStatus.CANDIDATE and not Approval.objects.filter(run=run).exists()


def test_auditor_reads_the_run_page_with_figures_and_gate_checks_but_cannot_approve(
    client_for: Any, carol: Any, clinic: Any, finished_run: Callable[..., EvaluationRun],
) -> None:
    version = candidate_version(clinic)
    run = finished_run(version, clinic, candidate_f1=0.85, baseline_f1=0.9)
    html = client_for(carol).get(reverse("governance:run_detail", args=[run.pk])).content.decode()
    assert "one photo of a final case against the case's signed finding" in html
    assert '<tr data-field="lesion_type"' in html and "-0.0500" in html
    assert 'data-check="f1:lesion_type"' in html and "<strong>Fails</strong>" in html
    assert "Only this clinic's administrators may approve it." in html
    approve_url = reverse("governance:version_approve", args=[version.pk])
    assert f'action="{approve_url}"' not in html


def test_approve_through_the_page_shows_the_gate_refusal_then_records_the_override(
    client_for: Any, adam: Any, clinic: Any, finished_run: Callable[..., EvaluationRun],
) -> None:
    version = candidate_version(clinic)
    run = finished_run(version, clinic, candidate_f1=0.85, baseline_f1=0.9)
    client = client_for(adam)
    url = reverse("governance:version_approve", args=[version.pk])
    refused = client.post(url, {"run": run.pk, "override_reason": ""})
    assert refused.status_code == 409
    html = refused.content.decode()
    assert 'id="gate-refusal"' in html and "The gate refuses this version" in html
    response = client.post(url, {"run": run.pk, "override_reason": "Summary wording differs; classes agree."})
    assert response.status_code == 302
    approval = Approval.objects.get(version=version)
    assert approval.is_override and approval.override_reason == "Summary wording differs; classes agree."
    # The override is shown on the governance page (and on the live model card: the next test).
    shown = client.get(reverse("oversight:governance")).content.decode()
    assert "Override of the gate" in shown and "Summary wording differs; classes agree." in shown


def test_live_model_card_lists_approvals_and_overrides(
    client_for: Any, adam: Any, carol: Any, clinic: Any, finished_run: Callable[..., EvaluationRun],
) -> None:
    version = candidate_version(clinic)
    run = finished_run(version, clinic, cases=3)
    client_for(adam).post(reverse("governance:version_approve", args=[version.pk]),
                          {"run": run.pk, "override_reason": "Small pilot, reviewed by the lead."})
    html = client_for(carol).get(reverse("oversight:dashboard")).content.decode()
    assert "Model versions approved for this clinic" in html
    assert "Override of the gate" in html and "Small pilot, reviewed by the lead." in html
    assert "3 cases evaluated; the gate needs at least 5." in html
    assert "Bootstrap (no evaluation)" in html  # the installation's first version


def test_register_and_evaluate_from_the_governance_page(
    client_for: Any, adam: Any, clinic: Any, default_version: Any,
) -> None:
    client = client_for(adam)
    page = client.get(reverse("oversight:governance")).content.decode()
    assert "Register a candidate version" in page and "The configured model is the approved version" in page
    response = client.post(reverse("governance:version_register"), {
        "scope": str(clinic.pk), "model": "org/next", "model_revision": "beef01", "prompt_profile": "card",
        "decoding": "json", "backend": "transformers", "label": "Next fine-tune",
    })
    assert response.status_code == 302
    version = ModelVersion.objects.get(model_id="org/next")
    assert version.organisation == clinic and version.label == "Next fine-tune"
    signed_cases(clinic, 2, photos=2)
    started = client.post(reverse("governance:run_start"), {"candidate": version.pk, "since": "2000-01-01"})
    run = EvaluationRun.objects.get(candidate=version)
    assert started.status_code == 302 and started["Location"] == reverse("governance:run_detail", args=[run.pk])
    assert (run.status, run.cases, run.total, run.baseline) == (EvaluationStatus.QUEUED, 2, 8, default_version)
    progress = client.get(reverse("governance:run_progress", args=[run.pk])).json()
    assert progress == {**progress, "status": "queued", "done": 0, "total": 8, "in_progress": True}
    page = client.get(reverse("oversight:governance")).content.decode()
    assert reverse("governance:run_progress", args=[run.pk]) in page and "js/governance.js" in page


def test_operator_without_a_clinic_sees_the_versions_and_every_evaluation(
    client_for: Any, oscar: Any, clinic: Any, finished_run: Callable[..., EvaluationRun],
) -> None:
    run = finished_run(candidate_version(None, model_id="org/for-everyone"), clinic)
    client = client_for(oscar)
    page = client.get(reverse("oversight:governance")).content.decode()
    assert "org/for-everyone" in page and "On the signed cases of" in page
    assert client.get(reverse("governance:run_detail", args=[run.pk])).status_code == 200
