from __future__ import annotations

from django.db import models


class Organisation(models.Model):
    """A clinic. Every case, image, draft and review belongs to exactly one; nothing crosses between them."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    local_password_login = models.BooleanField(
        default=True,
        help_text="Whether this clinic's users may log in with a DermReview password. Off: single sign-on only "
                  "(the password form refuses them, pointing at the sign-in button).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
