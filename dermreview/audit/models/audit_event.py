from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.db import models

from dermreview.audit.keys import audit_key

GENESIS_HASH = "0" * 64


class HashScheme(models.TextChoices):
    # Events written before the chain was keyed; verification refuses this scheme after the first keyed event.
    SHA256 = "sha256", "SHA-256 (unkeyed, legacy)"
    HMAC_SHA256 = "hmac-sha256", "HMAC-SHA-256 with the audit key"


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def for_organisation(self, organisation_id: int | None) -> AuditEventQuerySet:
        return self.filter(organisation_id=organisation_id)

    def for_case(self, case_id: int) -> AuditEventQuerySet:
        return self.filter(case_id=case_id)


class AuditEvent(models.Model):
    """One thing that happened, append-only.

    Rows are never updated or deleted: on PostgreSQL the application's role has no UPDATE, DELETE or TRUNCATE
    privilege on the table and triggers refuse all three for everyone else. Each row carries an HMAC, keyed with
    a secret kept outside the database, of its own content and of the previous row's (`prev_hash`): a row altered
    or removed breaks the chain, and without the key nobody can recompute a chain that verifies. Periodic anchors
    (the head's sequence and hash, written outside the database) catch a truncated tail. `manage.py audit_verify`
    checks both.
    """

    sequence = models.BigIntegerField(unique=True, help_text="Position in the hash chain, from 1.")
    created_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True, help_text="Kept as text: names outlive renames.")
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    case_id = models.BigIntegerField(null=True, blank=True, db_index=True, help_text="The case this concerns, if any.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    hash_scheme = models.CharField(max_length=16, choices=HashScheme.choices, default=HashScheme.HMAC_SHA256)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-sequence"]
        indexes = [
            models.Index(fields=["organisation", "-created_at"]),
            models.Index(fields=["object_type", "object_id"]),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} by {self.actor_username or 'system'}"

    def canonical_payload(self) -> dict[str, Any]:
        """Everything the hash covers, in a form that survives a database round trip."""
        return {
            "sequence": self.sequence,
            "created_at": self.created_at.isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_username": self.actor_username,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "organisation_id": self.organisation_id,
            "case_id": self.case_id,
            "ip_address": self.ip_address,
            "details": self.details,
        }

    def compute_hash(self) -> str:
        body = json.dumps(self.canonical_payload(), sort_keys=True, separators=(",", ":"), default=str)
        message = (self.prev_hash + body).encode()
        if self.hash_scheme == HashScheme.SHA256:
            return hashlib.sha256(message).hexdigest()
        return hmac.new(audit_key(), message, hashlib.sha256).hexdigest()
