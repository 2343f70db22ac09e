"""Whether AI drafting may run for a clinic now: the kill switches and the model-version rule, in one place.

Drafting for a clinic's photos runs only while

1. the DERMREVIEW_DRAFTING_ENABLED setting, the global kill switch and the clinic's own switch allow it
   (`DraftingControl`), and
2. the configured model (its identity: model id, revision, prompt version and backend) is the clinic's approved
   version: the clinic's own active `ModelVersion`, or, when it has none, the installation default (the active
   version without a clinic).

A clinic failing either rule is *paused*, and its drafts behave exactly as under the kill switch: they are created
and wait `queued`, no worker claims them, the reconciler leaves them alone, reviewers enter findings by hand, and the
moment the rule allows drafting again (a switch turned on, a version approved) the waiting drafts are sent. So
changing DERMREVIEW_MODEL without an approved version pauses drafting rather than drafting with an unreviewed model.

Bootstrap: an installation that has never had a model version (an upgrade, a fresh `make run`) registers the
configured model as its installation default the first time the rule is asked, with an audited "bootstrap" record
(no evaluation), so that existing installations keep drafting; from then on a change of model needs an approval.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from dermreview.accounts.models import Organisation
from dermreview.drafting.models import DraftingControl, ModelVersion, ModelVersionStatus, identity_key
from dermreview.drafting.models.model_version import IdentityKey
from dermreview.drafting.services.identity import ModelIdentity, model_identity, worker_config
from dermreview.drafting.services.installation_audit import audit_every_clinic
from dermreview.drafting.signals import model_version_bootstrapped

BOOTSTRAP_LABEL = "Bootstrap: the configuration in force when versioning began (no evaluation)"


def drafting_allowed(organisation_id: int | None = None, *, identity: ModelIdentity | None = None,
                     bootstrap: bool = True) -> bool:
    """Whether drafting may run for a clinic's photos now (None: the installation-wide switches only).

    `bootstrap=False` for pages: they read, and never register the first version themselves (an installation
    without versions drafts with its configured model, which is what the bootstrap would register).
    """
    if not DraftingControl.drafting_allowed(organisation_id):
        return False
    if organisation_id is None:
        return True
    return version_approved(organisation_id=organisation_id, identity=identity or model_identity(),
                            bootstrap=bootstrap)


def paused_organisation_ids(*, identity: ModelIdentity | None = None) -> frozenset[int]:
    """The clinics paused by their own switch or by the model-version rule, for drafts of `identity` (default: the
    configured model). The setting and the global switch are not counted here (`drafting_allowed()` says those)."""
    identity = identity or model_identity()
    return DraftingControl.paused_organisation_ids() | version_paused_organisation_ids(identity=identity)


def version_approved(*, organisation_id: int, identity: ModelIdentity, bootstrap: bool = True) -> bool:
    """Whether `identity` is the clinic's approved version (its own active one, else the installation default)."""
    active = _active_keys(identity, scope=Q(organisation__isnull=True) | Q(organisation_id=organisation_id),
                          bootstrap=bootstrap)
    wanted = identity_key(identity)
    if organisation_id in active:
        return active[organisation_id] == wanted
    return active.get(None) == wanted


def version_paused_organisation_ids(*, identity: ModelIdentity) -> frozenset[int]:
    """The clinics for which `identity` is not the approved version. One query (two without a matching default)."""
    active = _active_keys(identity)
    wanted = identity_key(identity)
    if active.pop(None, None) == wanted:
        return frozenset(pk for pk, key in active.items() if pk is not None and key != wanted)
    matching = [pk for pk, key in active.items() if key == wanted]
    return frozenset(Organisation.objects.exclude(pk__in=matching).values_list("pk", flat=True))


def _active_keys(identity: ModelIdentity, *, scope: Q | None = None,
                 bootstrap: bool = True) -> dict[int | None, IdentityKey]:
    rows = ModelVersion.objects.active().filter(scope or Q()).values_list(
        "organisation_id", "model_id", "identity_revision", "prompt_version", "backend")
    active: dict[int | None, IdentityKey] = {row[0]: (row[1], row[2], row[3], row[4]) for row in rows}
    if not active:
        unversioned = (model_version_bootstrap(identity=identity) is not None if bootstrap
                       else not ModelVersion.objects.exists())
        if unversioned:
            active[None] = identity_key(identity)
    return active


def model_version_bootstrap(*, identity: ModelIdentity | None = None) -> ModelVersion | None:
    """Register the configured model as the active installation default if no model version exists at all.

    Returns the new version, or None when versions exist already (or another process registered it at the same
    moment). Audited in every clinic's trail (`model_version.bootstrap`, a system action) and announced with
    `drafting.signals.model_version_bootstrapped`, which governance records as a bootstrap approval.
    """
    if ModelVersion.objects.exists():
        return None
    identity = identity or model_identity()
    cfg = worker_config()
    described = cfg if identity_key(model_identity(cfg)) == identity_key(identity) else None
    try:
        with transaction.atomic():
            version = ModelVersion.objects.create(
                organisation=None, status=ModelVersionStatus.ACTIVE, activated_at=timezone.now(), label=BOOTSTRAP_LABEL,
                model=described.model if described else identity.model_id,
                model_revision=described.model_revision if described else identity.model_revision,
                base_model=described.base_model if described else "",
                base_model_revision=described.base_model_revision if described and described.base_model else "",
                prompt_profile=described.prompt_profile if described else "",
                decoding=described.decoding if described else identity.prompt_version.rpartition("/")[2],
                backend=str(identity.backend), model_id=identity.model_id, identity_revision=identity.model_revision,
                prompt_version=identity.prompt_version,
            )
            audit_every_clinic(action="model_version.bootstrap", actor=None, obj=version, details={
                "model_id": version.model_id, "model_revision": version.identity_revision,
                "prompt_version": version.prompt_version, "backend": version.backend, "reason": BOOTSTRAP_LABEL,
            })
            model_version_bootstrapped.send(sender=ModelVersion, version=version)
    except IntegrityError:
        return None
    return version
