from __future__ import annotations

from django.apps import AppConfig


class PacsConfig(AppConfig):
    name = "dermreview.pacs"
    label = "pacs"
    verbose_name = "DICOM to the hospital archive"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from dermreview.pacs.receivers import dicom_auto_send_on_final, dicom_case_page_panel
        from dermreview.review.models import Review
        from dermreview.review.signals import case_page_shown

        # Review knows nothing of the archive: a sign-off is a saved Review, and whether it made the case final is
        # read after its transaction commits (the case's status is written after the Review row).
        post_save.connect(dicom_auto_send_on_final, sender=Review, dispatch_uid="pacs-auto-send-on-final")
        # The case page (review app, below this one) asks for its extra parts; pacs adds the DICOM panel.
        case_page_shown.connect(dicom_case_page_panel, dispatch_uid="pacs-case-page-panel")
