"""Registering and withdrawing model versions, and who may act on a scope's versions.

A clinic's versions are its administrators' (they register candidates, evaluate and approve them for their clinic);
the installation's versions, whose active one is the default for every clinic without its own, are the operators'.
Auditors read everything of their clinic; clinicians and reviewers have no part in it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dermreview.accounts.models import Organisation
from dermreview.accounts.roles import Role, has_role, is_clinic_admin, is_operator
from dermreview.audit.services.events import audit_log
from dermreview.common.text import normalise_text
from dermreview.drafting.models import ModelVersion, ModelVersionStatus
from dermreview.drafting.services.gating import model_version_bootstrap
from dermreview.drafting.services.identity import model_identity, worker_config
from dermreview.drafting.services.installation_audit import audit_every_clinic


def may_view_governance(user: Any) -> bool:
    """The governance pages: a clinic's auditors and administrators, and the installation's operators."""
    if is_operator(user) or is_clinic_admin(user):
        return True
    return has_role(user, Role.AUDITOR) and getattr(user, "organisation_id", None) is not None


def require_governance_viewer(user: Any) -> None:
    if not may_view_governance(user):
        raise PermissionDenied("Model governance is for a clinic's auditors and administrators, and operators.")


def version_scope_refusal(*, user: Any, organisation_id: int | None) -> str:
    """Why `user` may not register, approve or withdraw versions of this scope; "" when they may."""
    if organisation_id is None:
        return "" if is_operator(user) else "Only the installation's operators manage the installation default."
    if not is_clinic_admin(user):
        return "Only the clinic's administrators manage its model versions."
    if user.organisation_id != organisation_id:
        return "You may manage only your own clinic's model versions."
    return ""


def audit_version_event(*, action: str, user: Any, obj: Any, organisation: Organisation | None,
                        details: dict[str, Any]) -> None:
    """A clinic's version event in that clinic's trail; an installation one in every clinic's."""
    if organisation is not None:
        audit_log(action=action, actor=user, obj=obj, organisation=organisation, details=details)
    else:
        audit_every_clinic(action=action, actor=user, obj=obj, details=details)


@transaction.atomic
def model_version_register(
    *, user: Any, organisation: Organisation | None, model: str, model_revision: str = "main",
    prompt_profile: str = "card", decoding: str = "schema", backend: str = "transformers", base_model: str = "",
    base_model_revision: str = "", label: str = "",
) -> ModelVersion:
    """Register a candidate version for a clinic (`organisation`) or the installation (None). Audited.

    `user` None is a command run by an operator at the server. The configuration is checked as the worker would
    check it (a bad prompt profile or decoding mode is refused) and its identity is worked out without loading the
    model. A version of the same identity that is already a candidate or active in this scope is refused.
    """
    organisation_id = organisation.pk if organisation is not None else None
    if user is not None and (refusal := version_scope_refusal(user=user, organisation_id=organisation_id)):
        raise PermissionDenied(refusal)
    # The configuration in force becomes the baseline before anything else is registered (see drafting's gating).
    model_version_bootstrap()
    version = ModelVersion(
        organisation=organisation, model=model.strip(), model_revision=model_revision.strip() or "main",
        base_model=base_model.strip(), base_model_revision=base_model_revision.strip(),
        prompt_profile=prompt_profile.strip() or "card", decoding=decoding.strip(), backend=backend.strip(),
        label=normalise_text(label, field="label", multiline=False).strip(), created_by=user,
        status=ModelVersionStatus.CANDIDATE,
    )
    try:
        identity = model_identity(version.worker_config(worker_config()))
    except ValueError as exc:
        raise ValidationError(str(exc), code="invalid_configuration") from None
    version.model_id, version.identity_revision = identity.model_id, identity.model_revision
    version.prompt_version = identity.prompt_version
    existing = (ModelVersion.objects.for_scope(organisation_id).exclude(status=ModelVersionStatus.RETIRED)
                .with_identity(identity).first())
    if existing is not None:
        raise ValidationError(f"This model version is already registered for {existing.scope_label} "
                              f"(version {existing.pk}, {existing.get_status_display().lower()}).", code="duplicate")
    version.save()
    audit_version_event(action="model_version.register", user=user, obj=version, organisation=organisation,
                        details=version_details(version))
    return version


@transaction.atomic
def model_version_withdraw(*, version: ModelVersion, user: Any, reason: str) -> ModelVersion:
    """Retire a candidate that will not be approved (the active version is retired only by approving another)."""
    if refusal := version_scope_refusal(user=user, organisation_id=version.organisation_id):
        raise PermissionDenied(refusal)
    reason = normalise_text(reason, field="reason", multiline=True).strip()
    if not reason:
        raise ValidationError("Give a reason for withdrawing this candidate.", code="reason_required")
    version = ModelVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != ModelVersionStatus.CANDIDATE:
        raise ValidationError("Only a candidate can be withdrawn; an active version is replaced by approving another.",
                              code="not_candidate")
    version.status, version.retired_at = ModelVersionStatus.RETIRED, timezone.now()
    version.save(update_fields=["status", "retired_at"])
    audit_version_event(action="model_version.withdraw", user=user, obj=version, organisation=version.organisation,
                        details={**version_details(version), "reason": reason})
    return version


def version_details(version: ModelVersion) -> dict[str, Any]:
    """What an audit event says about a version."""
    return {
        "version_id": version.pk, "model": version.model, "model_revision": version.model_revision,
        "base_model": version.base_model, "prompt_profile": version.prompt_profile, "decoding": version.decoding,
        "backend": version.backend, "model_id": version.model_id, "identity_revision": version.identity_revision,
        "prompt_version": version.prompt_version, "scope": version.scope_label,
    }
