"""Display derivatives for photos stored before uploads made them (see `image_processing.image_clean`)."""

from __future__ import annotations

import secrets

from django.core.files.base import ContentFile
from django.db import transaction

from dermreview.audit.services.events import audit_log
from dermreview.cases.models import LesionImage
from dermreview.cases.services.image_processing import image_display_derive
from dermreview.cases.services.media_storage import storage_delete_quietly


def image_display_create(*, image: LesionImage) -> bool:
    """Make and store the missing display derivative of one photo; False when it already had one.

    An operator's maintenance action (`manage.py photos_derive`), so there is no user whose permission to check;
    the derivative is made from the stored, already cleaned original. Safe to run twice, or twice at once: the
    row is only updated while its `display` is still empty, and the loser deletes its file.
    """
    if image.display.name:
        return False
    with image.file.open("rb") as stored:
        derived = image_display_derive(data=stored.read())
    storage = image.display.storage
    name = storage.save(f"cases/{image.case_id}/{secrets.token_hex(16)}-display.jpg", ContentFile(derived))
    try:
        with transaction.atomic():
            updated = LesionImage.objects.filter(pk=image.pk, display="").update(display=name)
            if updated:
                audit_log(action="image.display_derived", actor=None, obj=image, organisation=image.case.organisation,
                          details={"byte_size": len(derived)})
    except BaseException:
        storage_delete_quietly(storage, name)
        raise
    if not updated:
        storage_delete_quietly(storage, name)
        return False
    image.display.name = name
    return True
