"""Model version records: the one-active rule, the bootstrap of an installation, registering and withdrawing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from dermreview.audit.models import AuditEvent
from dermreview.drafting.models import ModelVersion, ModelVersionStatus
from dermreview.drafting.services.gating import BOOTSTRAP_LABEL, drafting_allowed, model_version_bootstrap
from dermreview.drafting.services.identity import model_identity
from dermreview.governance.models import Approval, ApprovalKind
from dermreview.governance.services.versions import model_version_register, model_version_withdraw
from tests.dermreview.governance.conftest import candidate_version

pytestmark = pytest.mark.django_db


def test_model_version_one_active_per_clinic_and_one_installation_default(clinic: Any, other_clinic: Any) -> None:
    candidate_version(None, status=ModelVersionStatus.ACTIVE)
    candidate_version(clinic, status=ModelVersionStatus.ACTIVE)
    candidate_version(other_clinic, status=ModelVersionStatus.ACTIVE)  # each clinic has its own scope
    with pytest.raises(IntegrityError), transaction.atomic():
        candidate_version(None, status=ModelVersionStatus.ACTIVE, model_id="org/second")
    with pytest.raises(IntegrityError), transaction.atomic():
        candidate_version(clinic, status=ModelVersionStatus.ACTIVE, model_id="org/second")
    # Candidates and retired versions are not limited.
    candidate_version(clinic, model_id="org/third")
    candidate_version(clinic, model_id="org/fourth", status=ModelVersionStatus.RETIRED)
    assert ModelVersion.objects.active().count() == 3


def test_bootstrap_registers_the_configured_model_once_with_an_audited_approval(clinic: Any) -> None:
    assert not ModelVersion.objects.exists()
    assert drafting_allowed(clinic.pk)  # the first question bootstraps
    [version] = ModelVersion.objects.all()
    identity = model_identity()
    assert version.organisation_id is None and version.status == ModelVersionStatus.ACTIVE
    assert version.identity_key == (identity.model_id, identity.model_revision, identity.prompt_version,
                                    identity.backend)
    assert version.label == BOOTSTRAP_LABEL
    [approval] = Approval.objects.all()
    assert approval.kind == ApprovalKind.BOOTSTRAP and approval.run is None and approval.decided_by is None
    event = AuditEvent.objects.get(action="model_version.bootstrap")
    assert event.organisation_id == clinic.pk and event.actor_id is None
    assert model_version_bootstrap() is None  # versions exist: nothing more
    assert ModelVersion.objects.count() == 1 and Approval.objects.count() == 1


def test_register_candidate_works_out_its_identity_and_is_audited(adam: Any, clinic: Any) -> None:
    version = model_version_register(user=adam, organisation=clinic, model="org/new-model", model_revision="abc123",
                                     prompt_profile="unsloth", decoding="json", label="Fine-tune 2")
    assert version.status == ModelVersionStatus.CANDIDATE and version.organisation == clinic
    assert (version.model_id, version.identity_revision) == ("org/new-model", "abc123")
    assert version.prompt_version.startswith("unsloth@") and version.prompt_version.endswith("/json")
    assert ModelVersion.objects.filter(organisation__isnull=True, status="active").exists()  # bootstrapped first
    event = AuditEvent.objects.get(action="model_version.register")
    assert event.organisation_id == clinic.pk and event.details["model_id"] == "org/new-model"
    with pytest.raises(ValidationError, match="already registered"):
        model_version_register(user=adam, organisation=clinic, model="org/new-model", model_revision="abc123",
                               prompt_profile="unsloth", decoding="json")
    with pytest.raises(ValidationError, match="DERMREVIEW_PROMPT"):
        model_version_register(user=adam, organisation=clinic, model="org/new-model", prompt_profile="no-such")


def test_register_belongs_to_the_scope_holders(adam: Any, hana: Any, bob: Any, oscar: Any, clinic: Any) -> None:
    with pytest.raises(PermissionDenied):
        model_version_register(user=bob, organisation=clinic, model="org/x")  # a reviewer
    with pytest.raises(PermissionDenied):
        model_version_register(user=hana, organisation=clinic, model="org/x")  # another clinic's administrator
    with pytest.raises(PermissionDenied):
        model_version_register(user=adam, organisation=None, model="org/x")  # the installation is the operators'
    version = model_version_register(user=oscar, organisation=None, model="org/x")
    assert version.is_installation
    # An installation event is in every clinic's trail.
    assert AuditEvent.objects.filter(action="model_version.register").count() == 2


def test_withdraw_retires_a_candidate_with_a_reason(adam: Any, clinic: Any) -> None:
    version = model_version_register(user=adam, organisation=clinic, model="org/x")
    with pytest.raises(ValidationError):
        model_version_withdraw(version=version, user=adam, reason="  ")
    model_version_withdraw(version=version, user=adam, reason="Superseded by a newer fine-tune.")
    version.refresh_from_db()
    assert version.status == ModelVersionStatus.RETIRED and version.retired_at is not None
    assert AuditEvent.objects.get(action="model_version.withdraw").details["reason"].startswith("Superseded")
    # Retired, the same identity may be registered again.
    assert model_version_register(user=adam, organisation=clinic, model="org/x").pk != version.pk
