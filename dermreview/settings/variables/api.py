"""The REST API's throttles and proxies."""

from __future__ import annotations

from dermreview.settings.variable import Section, Variable

SECTION = Section("REST API", (
    Variable(
        "DERMREVIEW_API_TOKEN_RATE", "rate", default="10/min",
        meaning="Throttle of token requests (`N/s`, `N/min`, `N/hour`, `N/day`).",
    ),
    Variable("DERMREVIEW_API_UPLOAD_RATE", "rate", default="60/min", meaning="Throttle of API uploads."),
    Variable("DERMREVIEW_API_EXPORT_RATE", "rate", default="30/hour", meaning="Throttle of exports."),
    Variable(
        "DERMREVIEW_API_NUM_PROXIES", "int", default=0, minimum=0,
        meaning="Proxies trusted in `X-Forwarded-For` for throttling. Keep 0 with docker compose "
                "(`DERMREVIEW_BEHIND_PROXY` already gives the client's address).",
    ),
))
