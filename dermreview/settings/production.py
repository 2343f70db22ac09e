"""Production behind nginx (see docker-compose.yml). Passes `manage.py check --deploy`."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from dermreview.settings.base import *  # noqa: F403
from dermreview.settings.env import env_bool, env_int

# Web, workers and beat run in separate containers: a key generated into each one's var/ would differ, and
# sessions and signed values would break between them. Production takes the key from the environment only.
if not os.environ.get("DJANGO_SECRET_KEY"):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production (e.g. `openssl rand -hex 50`)")
if not os.environ.get("DJANGO_ALLOWED_HOSTS"):
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set in production (the site's host name)")

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
# The container healthcheck calls gunicorn directly over plain HTTP; it must not be bounced to https.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
