from __future__ import annotations

from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "dermreview.governance"
    label = "governance"
    verbose_name = "Model governance"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dermreview.drafting.signals import model_version_bootstrapped
        from dermreview.governance.receivers import approval_record_bootstrap

        # Drafting registers the first model version without knowing governance exists; governance records it.
        model_version_bootstrapped.connect(approval_record_bootstrap, dispatch_uid="governance-record-bootstrap")
