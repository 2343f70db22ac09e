"""The test suite. Same code paths as production; only speed-ups that change no behaviour."""

from __future__ import annotations

import os
from pathlib import Path

from dermreview.settings.registry import env

# Tests get their own broker folder so that a `make run` worker never sees their messages. Set in the environment
# (not only here) so that the worker processes the tests start inherit it.
_var = env("DERMREVIEW_VAR_DIR", default=Path(__file__).resolve().parents[2] / "var")
os.environ.setdefault("DERMREVIEW_BROKER_DIR", str(_var / "test-broker"))

from dermreview.settings.base import *  # noqa: E402,F403

# Argon2 is deliberately slow; tests create hundreds of users. One test checks Argon2 is the default.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
