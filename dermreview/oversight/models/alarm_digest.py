from __future__ import annotations

from django.db import models


class AlarmDigest(models.Model):
    """One daily digest email per organisation and day: the row is the claim that makes a re-run harmless."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField()
    recipients = models.PositiveIntegerField()
    alarm_count = models.PositiveIntegerField()

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["organisation", "day"], name="alarm_digest_once_per_day")]

    def __str__(self) -> str:
        return f"Alarm digest {self.day} for organisation {self.organisation_id}"
