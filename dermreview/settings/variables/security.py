"""Security and accounts: HTTPS in production, the proxy, sessions, lockouts, two-factor sign-in, demo users."""

from __future__ import annotations

from dermreview.settings.variable import DEMO_SETUP, Section, Variable

SECTION = Section("Security and accounts", (
    Variable(
        "DJANGO_SECURE_SSL_REDIRECT", "bool", default=True,
        meaning="Production: redirect HTTP to HTTPS (`/healthz` is exempt for container probes).",
    ),
    Variable(
        "DJANGO_HSTS_SECONDS", "int", default=31536000, minimum=0,
        meaning="Production: Strict-Transport-Security max-age.",
    ),
    Variable(
        "DERMREVIEW_BEHIND_PROXY", "bool", default=False,
        meaning="Take the client's address from `X-Real-IP`, set by our nginx, for audit events and lockouts. Only "
                "when that proxy is the sole way in (docker compose sets it).",
    ),
    Variable(
        "DERMREVIEW_SESSION_AGE_S", "int", default=8 * 3600, minimum=60, shown_default="`28800` (8 h)",
        meaning="Idle session expiry, seconds; every request extends it. Sessions also end with the browser.",
    ),
    Variable(
        "DERMREVIEW_LOGIN_FAILURE_LIMIT", "int", default=5, minimum=1,
        meaning="Failed log-ins (per username and address) before a lockout.",
    ),
    Variable(
        "DERMREVIEW_LOGIN_LOCKOUT_MINUTES", "int", default=15, minimum=1, meaning="Length of that lockout, minutes.",
    ),
    Variable(
        "DERMREVIEW_MFA_REQUIRED_ROLES", "list", default=["reviewer", "auditor", "clinic_admin", "operator"],
        meaning="Roles that must use two-factor authentication (an authenticator app, TOTP, with one-time recovery "
                "codes): they enrol at their first log-in and enter a code at every log-in and to obtain an API "
                "token. Any of `clinician`, `reviewer`, `auditor`, `clinic_admin`, `operator` (superusers). A user "
                "outside these roles who has enrolled is asked for a code too.",
    ),
    Variable(
        "DERMREVIEW_DEMO_PASSWORD", "str", default="", read_by=DEMO_SETUP,
        shown_default="generated into `var/demo-credentials.txt`",
        meaning="Password of the demo users that `make run` creates.",
    ),
))
