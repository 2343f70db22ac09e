"""Protected media: photos are patient data and are only ever served through an access check.

There is no public MEDIA_URL. Behind nginx (DERMREVIEW_MEDIA_SERVE=x-accel-redirect) Django checks access
and nginx sends the bytes from an `internal` location; with x-sendfile, Apache's mod_xsendfile does.
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from dermreview.audit.services.events import audit_log
from dermreview.cases.access import get_image_for_user
from dermreview.cases.models import LesionImage

THUMBNAIL_CONTENT_TYPE = "image/jpeg"


def image_url(image: LesionImage) -> str:
    return reverse("cases:image_file", args=[image.pk])


def thumbnail_url(image: LesionImage) -> str:
    return reverse("cases:image_thumbnail", args=[image.pk])


@require_safe
def image_file(request: HttpRequest, image_pk: int) -> HttpResponse:
    image = get_image_for_user(request.user, image_pk)
    response = _serve(image.file, content_type=image.content_type, filename=f"image-{image.pk}.jpg")
    # Thumbnails are not audited (a case page shows many); opening the full photo is.
    audit_log(action="image.view", actor=request.user, obj=image, organisation=image.case.organisation)
    return response


@require_safe
def image_thumbnail(request: HttpRequest, image_pk: int) -> HttpResponse:
    image = get_image_for_user(request.user, image_pk)
    return _serve(image.thumbnail, content_type=THUMBNAIL_CONTENT_TYPE, filename=f"image-{image.pk}-thumbnail.jpg")


def _serve(stored: FieldFile, *, content_type: str, filename: str) -> HttpResponse:
    if not stored.name:
        raise Http404("No stored file.")
    mode = settings.DERMREVIEW_MEDIA_SERVE
    if mode == "django":
        try:
            handle = stored.storage.open(stored.name, "rb")
        except FileNotFoundError as exc:
            raise Http404("The stored file is missing.") from exc
        response: HttpResponse = FileResponse(handle, content_type=content_type, filename=filename)
    else:
        response = HttpResponse(b"", content_type=content_type)
        if mode == "x-accel-redirect":
            response["X-Accel-Redirect"] = settings.DERMREVIEW_MEDIA_ACCEL_PREFIX + quote(stored.name)
        else:
            response["X-Sendfile"] = stored.path
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # The file is an image whatever its bytes claim: never let a browser run it as a document.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
