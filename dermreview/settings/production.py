"""Production behind nginx (see docker-compose.yml). Passes `manage.py check --deploy`."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from dermreview.settings.registry import VARIABLES, env, is_set
from dermreview.settings.variable import SETTINGS

# Checked before base is imported, which would otherwise generate a secret key file first. Web, workers and beat run
# in separate containers: a key generated into each one's var/ would differ, and sessions and signed values would
# break between them. Production takes the key (and the host names) from the environment only.
for _variable in VARIABLES.values():
    if _variable.required_in_production and _variable.read_by == SETTINGS and not is_set(_variable.name):
        raise ImproperlyConfigured(f"{_variable.name} must be set in production ({_variable.required_in_production})")

from dermreview.settings.base import *  # noqa: E402,F403

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env("DJANGO_SECURE_SSL_REDIRECT")
# The container healthcheck calls gunicorn directly over plain HTTP; it must not be bounced to https.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env("DJANGO_HSTS_SECONDS")
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
