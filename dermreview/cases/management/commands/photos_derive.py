from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from PIL import UnidentifiedImageError

from dermreview.cases.models import LesionImage
from dermreview.cases.services.image_display import image_display_create


class Command(BaseCommand):
    help = ("Create the display derivative (long edge <= 2048 px) of every photo stored without one, e.g. after "
            "upgrading. Until then pages show those photos' originals. Safe to rerun.")

    def handle(self, *args: Any, **options: Any) -> None:
        created = failed = 0
        for image in LesionImage.objects.filter(display="").select_related("case__organisation").iterator():
            try:
                created += image_display_create(image=image)
            except (OSError, UnidentifiedImageError) as exc:
                # A missing or unreadable original: report it and go on with the others.
                failed += 1
                self.stderr.write(f"Image {image.pk}: {exc.__class__.__name__}: {exc}")
        self.stdout.write(f"Display derivatives created: {created}; failed: {failed}.")
        if failed:
            raise CommandError(f"{failed} photo(s) could not be derived; see above.")
