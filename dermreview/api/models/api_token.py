from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

PREFIX_LENGTH = 8


def token_digest(key: str) -> str:
    """SHA-256 (hex) of a presented key: what the database stores and looks up, never the key itself."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A user's API token (one at a time), stored as the SHA-256 digest of its key.

    The key is shown once, in the response that creates it (`api_token_issue`); afterwards nobody can read it back,
    the admin and the database included: they show its first characters (`prefix`), enough to tell tokens apart.
    A presented key is hashed and looked up by digest, so a copy of the table or of an admin page authenticates
    nobody. The key has 256 random bits, so an unsalted fast hash is enough (as django-rest-knox and GitHub do).
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_token")
    prefix = models.CharField(max_length=PREFIX_LENGTH, help_text="The key's first characters, to recognise it.")
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 (hex) of the key.")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True, help_text="Updated at most once a minute.")

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def fingerprint(self) -> str:
        """What the audit trail records of this token: the first 16 hex digits of the digest."""
        return self.digest[:16]

    @staticmethod
    def new_key() -> str:
        return secrets.token_urlsafe(32)
