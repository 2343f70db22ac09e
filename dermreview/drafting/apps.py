from __future__ import annotations

from django.apps import AppConfig


class DraftingConfig(AppConfig):
    name = "dermreview.drafting"
    label = "drafting"
    verbose_name = "AI drafting"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dermreview.cases.signals import images_stored
        from dermreview.drafting.receivers import drafts_queue_for_stored_images

        # Cases stores photos without knowing drafting exists; drafting listens (see cases/signals.py).
        images_stored.connect(drafts_queue_for_stored_images, dispatch_uid="drafting-queue-for-stored-images")
