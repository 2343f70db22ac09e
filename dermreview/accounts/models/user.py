from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from dermreview.accounts.models.organisation import Organisation


class User(AbstractUser):
    """A person at one clinic. Roles are Django groups (see `dermreview.accounts.roles`)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="users", null=True, blank=True,
        help_text="The clinic whose data this user may see. Users without one see nothing.",
    )

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username
