"""Governance's answers to what drafting announces (connected in `GovernanceConfig.ready`)."""

from __future__ import annotations

from typing import Any

from dermreview.drafting.models import ModelVersion
from dermreview.governance.models import Approval, ApprovalKind


def approval_record_bootstrap(sender: Any, *, version: ModelVersion, **kwargs: Any) -> None:
    """`drafting.signals.model_version_bootstrapped`: the first version's activation, as a bootstrap approval.

    No evaluation and no person stand behind it: it records that versioning began with the configuration then in
    force (drafting audits it as `model_version.bootstrap`).
    """
    Approval.objects.create(organisation=None, version=version, run=None, kind=ApprovalKind.BOOTSTRAP,
                            decided_by=None, note=version.label, figures={})
