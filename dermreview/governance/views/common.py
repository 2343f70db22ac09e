"""What every governance view shares: the access checks (403 for roles without a part, 404 outside the scope) and
the forms of the governance page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone

from dermreview.drafting.models import ModelVersion, ModelVersionStatus
from dermreview.drafting.services.identity import worker_config
from dermreview.governance.forms import INSTALLATION, EvaluateForm, RegisterVersionForm
from dermreview.governance.models import EvaluationRun
from dermreview.governance.selectors import GovernanceVersions
from dermreview.governance.services.versions import require_governance_viewer


def get_version_for_user(user: Any, pk: int) -> ModelVersion:
    """A version this user may see; 403 for roles without a part in governance, 404 for another clinic's."""
    require_governance_viewer(user)
    return get_object_or_404(ModelVersion.objects.visible_to(user).select_related("organisation"), pk=pk)


def get_run_for_user(user: Any, pk: int) -> EvaluationRun:
    """An evaluation on this user's clinic's cases (any, for an operator); 403 / 404 as `get_version_for_user`."""
    require_governance_viewer(user)
    runs = EvaluationRun.objects.visible_to(user).select_related("candidate", "baseline", "organisation")
    return get_object_or_404(runs, pk=pk)


def register_scopes(user: Any, versions: GovernanceVersions) -> list[tuple[str, str]]:
    scopes = []
    if versions.can_register_clinic:
        scopes.append((str(user.organisation_id), f"{user.organisation} (this clinic only)"))
    if versions.can_register_installation:
        scopes.append((INSTALLATION, "The installation (its active version is every clinic's default)"))
    return scopes


def evaluation_candidates(user: Any) -> Any:
    return ModelVersion.objects.visible_to(user).filter(status=ModelVersionStatus.CANDIDATE)


def evaluation_organisations(versions: GovernanceVersions) -> list[tuple[int, str]]:
    return [(organisation.pk, organisation.name) for organisation in versions.organisations]


def page_forms(user: Any, versions: GovernanceVersions) -> dict[str, Any]:
    """The register and evaluate forms of the governance page, filled with the configured model's settings."""
    cfg = worker_config()
    register = RegisterVersionForm(scopes=register_scopes(user, versions), initial={
        "model": cfg.model, "model_revision": cfg.model_revision, "base_model": cfg.base_model,
        "base_model_revision": cfg.base_model_revision if cfg.base_model else "", "prompt_profile": cfg.prompt_profile,
        "decoding": cfg.decoding, "backend": cfg.backend,
    })
    evaluate = EvaluateForm(candidates=evaluation_candidates(user), organisations=evaluation_organisations(versions),
                            initial={"since": (timezone.now() - timedelta(days=90)).date()})
    return {"register_form": register, "evaluate_form": evaluate}
