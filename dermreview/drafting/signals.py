"""What drafting announces to the apps above it (they connect in their `AppConfig.ready`)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that registers the configured model as the installation's first model version (see
# `drafting.services.gating.model_version_bootstrap`), with `version=`. Governance records it as an approval.
model_version_bootstrapped = Signal()
