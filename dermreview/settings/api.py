"""The REST API's settings, read by base.py: DRF (authentication, parsers, throttles, errors) and the OpenAPI schema.

A module of its own so that base.py stays under the size rule; like base.py it reads variables only through `env()`.
"""

from __future__ import annotations

from dermreview.settings.registry import env

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so that an anonymous call gets 401 with `WWW-Authenticate: Token` rather than a bare 403.
        "dermreview.api.authentication.AuditedTokenAuthentication",
        "dermreview.accounts.mfa.api.MfaSessionAuthentication",  # DRF's, refusing a session owing its 2nd factor
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: the browsable API would put HTML (and inline script) on API paths; /api/v1/docs/ is the browser.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "dermreview.api.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "dermreview.api.schema.DermReviewAutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["dermreview.api.throttling.ActionScopedThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api_token": env("DERMREVIEW_API_TOKEN_RATE"),
        "api_upload": env("DERMREVIEW_API_UPLOAD_RATE"),
        "api_export": env("DERMREVIEW_API_EXPORT_RATE"),
    },
    # Throttles key anonymous callers by REMOTE_ADDR, as django-axes does (behind nginx the proxy middleware sets
    # it from X-Real-IP): trusting X-Forwarded-For would let any client pick its own throttle bucket.
    "NUM_PROXIES": env("DERMREVIEW_API_NUM_PROXIES"),
    "EXCEPTION_HANDLER": "dermreview.api.errors.api_exception_handler",
    # `?format=` names the export format (json, csv, fhir), not a DRF renderer.
    "URL_FORMAT_OVERRIDE": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DermReview API",
    "DESCRIPTION": (
        "AI dermatology drafts behind mandatory human review. An AI draft is never a diagnosis: every payload that "
        "carries one says `\"kind\": \"ai_draft\", \"reviewed\": false`. Only a reviewer's sign-off makes a finding "
        "final. Authenticate with `Authorization: Token <key>` (POST /api/v1/auth/token/) or a browser session. "
        "Errors are always JSON: `{\"error\": code, \"detail\": text, \"fields\": {field: [messages]}}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema describes no patient data, but the whole app sits behind login: token or session.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the installed drf-spectacular-sidecar: the docs page works without internet access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "dermreview.cases.models.case.CaseStatus",
        "BodySiteEnum": "dermreview.cases.models.case.BodySite",
        "AiDraftKindEnum": "dermreview.api.serializers.common.KIND_AI_DRAFT",
        "SignedFindingKindEnum": "dermreview.api.serializers.common.KIND_SIGNED_FINDING",
        "BlindFindingKindEnum": "dermreview.api.serializers.common.KIND_BLIND_FINDING",
        "ExportRecordKindEnum": "dermreview.api.serializers.common.KIND_EXPORT_RECORD",
        # A draft's status in the draft endpoint and, status only, in a lesion's timeline.
        "AiDraftStatusEnum": "dermreview.api.serializers.drafts.DRAFT_API_STATUSES",
    },
}
