"""Every environment variable DermReview reads, one module per topic, in the order the docs show them.

Adding a variable: add a `Variable` to its topic here, read it with `registry.env()` (settings) or from the process
that owns it, then run `python manage.py settings_docs` to regenerate .env.example and the README's tables.
"""

from __future__ import annotations

from dermreview.settings.variable import Section
from dermreview.settings.variables import (
    api,
    audit,
    core,
    deployment,
    dicom,
    drafting,
    governance,
    model,
    oidc,
    oversight,
    photos,
    review,
    security,
    storage,
)

SECTIONS: tuple[Section, ...] = tuple(
    module.SECTION for module in (
        core, security, oidc, audit, photos, storage, review, drafting, model, oversight, governance, dicom, api, deployment,
    )
)
