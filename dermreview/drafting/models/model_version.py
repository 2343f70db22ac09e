"""A model version: one configuration of the model that may write drafts, and the rule that one is active per clinic.

A version records what a governance review needs to name the model exactly: the model (hub id or path) and the
revision asked for, an adapter's base model and its revision, the prompt profile and decoding mode, the backend, and
the identity those come to (`inference_worker.model_identity`: the model id, revision and prompt version its drafts
are stored under), plus the commit(s) a worker actually loaded (`resolved_revision`, filled when one loads it).

    candidate ──approve──▶ active ──(another version approved for the same scope)──▶ retired
        └──────────────────withdraw──────────────────────────────────────────────────▶ retired

Scope: a version belongs to one clinic, or to the installation (no organisation). Exactly one version is active per
scope (a partial unique index on the organisation, counting "none" as one value, as `DraftingControl` does): a
clinic's own active version decides for that clinic, and the installation's active version (the *installation
default*) for every clinic without one. Drafting runs for a clinic only while the configured model's identity is
that clinic's approved version (`dermreview.drafting.services.gating`); the approvals themselves (with the
evaluation they rest on) are the governance app's.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce

from dermreview.accounts.roles import is_operator
from dermreview.cases.models.case import InvalidTransition

if TYPE_CHECKING:
    from inference_worker import WorkerConfig
    from inference_worker.identity import ModelIdentity

# (model id, model revision, prompt version, backend): what makes two versions the same model for governance.
IdentityKey = tuple[str, str, str, str]


def identity_key(identity: ModelIdentity) -> IdentityKey:
    """The governance key of an identity: the draft's identity plus the backend that serves it."""
    return (identity.model_id, identity.model_revision, identity.prompt_version, str(identity.backend))


class ModelVersionStatus(models.TextChoices):
    CANDIDATE = "candidate", "Candidate"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


MODEL_VERSION_TRANSITIONS: dict[str, frozenset[str]] = {
    ModelVersionStatus.CANDIDATE: frozenset({ModelVersionStatus.ACTIVE, ModelVersionStatus.RETIRED}),
    ModelVersionStatus.ACTIVE: frozenset({ModelVersionStatus.RETIRED}),
    ModelVersionStatus.RETIRED: frozenset(),
}


def installation_or_own_clinic(user: Any) -> Q:
    """Rows of the installation (no organisation) and of the user's clinic; an operator's: every row (versions and
    approvals hold configurations and figures, no patient data); anyone else's: none."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if is_operator(user):
        return Q()
    if user.organisation_id is None:
        return Q(pk__in=[])
    return Q(organisation__isnull=True) | Q(organisation_id=user.organisation_id)


class ModelVersionQuerySet(models.QuerySet["ModelVersion"]):
    def visible_to(self, user: Any) -> ModelVersionQuerySet:
        """The installation's versions and the user's clinic's; an operator sees every clinic's."""
        return self.filter(installation_or_own_clinic(user))

    def active(self) -> ModelVersionQuerySet:
        return self.filter(status=ModelVersionStatus.ACTIVE)

    def for_scope(self, organisation_id: int | None) -> ModelVersionQuerySet:
        """The versions of exactly one scope: a clinic's own, or the installation's for None."""
        if organisation_id is None:
            return self.filter(organisation__isnull=True)
        return self.filter(organisation_id=organisation_id)

    def approved_for(self, organisation_id: int | None) -> ModelVersion | None:
        """The active version that decides for a clinic: its own, else the installation default (None: the default)."""
        scope = Q(organisation__isnull=True)
        if organisation_id is not None:
            scope |= Q(organisation_id=organisation_id)
        return self.active().filter(scope).order_by(F("organisation").asc(nulls_last=True)).first()

    def with_identity(self, identity: ModelIdentity) -> ModelVersionQuerySet:
        model_id, revision, prompt_version, backend = identity_key(identity)
        return self.filter(model_id=model_id, identity_revision=revision, prompt_version=prompt_version,
                           backend=backend)


class ModelVersion(models.Model):
    """One configuration of the model, for one clinic or for the installation (see the module docstring)."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The clinic this version is for; empty for the installation (its active one is the default).",
    )
    # The configuration, as DERMREVIEW_MODEL and friends would give it.
    model = models.CharField(max_length=500, help_text="Hub id or local path (DERMREVIEW_MODEL).")
    model_revision = models.CharField(max_length=100, default="main")
    base_model = models.CharField(max_length=500, blank=True, help_text="An adapter's base (DERMREVIEW_BASE_MODEL).")
    base_model_revision = models.CharField(max_length=100, blank=True)
    prompt_profile = models.CharField(max_length=500, default="card")
    decoding = models.CharField(max_length=8, default="schema")
    backend = models.CharField(max_length=20, default="transformers")
    # The identity its drafts are stored under (inference_worker.model_identity of that configuration).
    model_id = models.CharField(max_length=200)
    identity_revision = models.CharField(max_length=100)
    prompt_version = models.CharField(max_length=40)
    resolved_revision = models.CharField(
        max_length=200, blank=True, help_text="The commit(s) a worker's loaded weights came from; blank until loaded.",
    )
    label = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=12, choices=ModelVersionStatus.choices, default=ModelVersionStatus.CANDIDATE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = ModelVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                Coalesce("organisation", Value(0), output_field=models.BigIntegerField()),
                condition=Q(status="active"), name="model_version_one_active_per_scope",
            ),
            models.UniqueConstraint(
                Coalesce("organisation", Value(0), output_field=models.BigIntegerField()),
                "model_id", "identity_revision", "prompt_version", "backend",
                condition=~Q(status="retired"), name="model_version_unique_identity_per_scope",
            ),
            models.CheckConstraint(condition=Q(status__in=ModelVersionStatus.values), name="model_version_status"),
        ]

    def __str__(self) -> str:
        return f"{self.model_id} @ {self.identity_revision} · prompt {self.prompt_version} ({self.backend})"

    @property
    def identity_key(self) -> IdentityKey:
        return (self.model_id, self.identity_revision, self.prompt_version, self.backend)

    @property
    def is_installation(self) -> bool:
        return self.organisation_id is None

    @property
    def scope_label(self) -> str:
        return "installation default" if self.organisation_id is None else str(self.organisation)

    def matches(self, identity: ModelIdentity) -> bool:
        return self.identity_key == identity_key(identity)

    def worker_config(self, base: WorkerConfig) -> WorkerConfig:
        """`base` (the deployment's device, dtype, batch and image settings) running this version's model."""
        changes: dict[str, Any] = {
            "model": self.model, "model_revision": self.model_revision, "base_model": self.base_model,
            "base_model_revision": self.base_model_revision or "main", "prompt_profile": self.prompt_profile,
            "decoding": self.decoding, "backend": self.backend,
        }
        if self.backend == "openai":
            changes["openai_model"] = self.model
        return dataclasses.replace(base, **changes)

    def assert_transition(self, to: str) -> None:
        if to not in MODEL_VERSION_TRANSITIONS.get(self.status, frozenset()):
            raise InvalidTransition(f"A model version cannot go from {self.status} to {to}.")
