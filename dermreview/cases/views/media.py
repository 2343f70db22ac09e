"""Protected media: photos are patient data and are only ever served through an access check.

There is no public MEDIA_URL. Behind nginx (DERMREVIEW_MEDIA_SERVE=x-accel-redirect) Django checks access
and nginx sends the bytes from an `internal` location; with x-sendfile, Apache's mod_xsendfile does. With photos in
a bucket (DERMREVIEW_MEDIA_STORAGE=s3) the check stays here, and then the browser is redirected to a signed URL valid
for a minute (DERMREVIEW_MEDIA_DELIVERY=presigned; the redirect itself is never cached) or Django streams the bytes.

Three variants of each photo:
* `display` (long edge <= 2048 px): what the review page, the case page and the viewer show. Cached privately
  by the browser with a strong ETag; a revalidation passes the access check again before it gets its 304.
* `thumbnail`: cached the same way.
* the original (`image_file`, "Open original"): on demand only, never stored by the browser (`no-store`).
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    HttpResponseRedirect,
)
from django.urls import reverse
from django.utils.http import parse_etags
from django.views.decorators.http import require_safe

from dermreview.audit.services.events import audit_log
from dermreview.cases.access import get_image_for_user
from dermreview.cases.models import LesionImage
from dermreview.cases.services.media_storage import media_presigned_url

THUMBNAIL_CONTENT_TYPE = "image/jpeg"
DISPLAY_CONTENT_TYPE = "image/jpeg"
# An hour is one review session: repeat visits cost nothing, and after that the browser asks again, which runs
# the access check again (a user who lost access keeps only what their own browser already had).
MEDIA_MAX_AGE = 3600
CACHE_PRIVATE = f"private, max-age={MEDIA_MAX_AGE}, must-revalidate"
CACHE_NONE = "private, no-store"


def image_url(image: LesionImage) -> str:
    return reverse("cases:image_file", args=[image.pk])


def display_url(image: LesionImage) -> str:
    return reverse("cases:image_display", args=[image.pk])


def thumbnail_url(image: LesionImage) -> str:
    return reverse("cases:image_thumbnail", args=[image.pk])


@require_safe
def image_file(request: HttpRequest, image_pk: int) -> HttpResponse:
    """The original, on demand ("Open original"): not cached, and every opening is audited."""
    image = get_image_for_user(request.user, image_pk)
    response = _serve(image.file, content_type=image.content_type, filename=f"image-{image.pk}.jpg")
    response["Cache-Control"] = CACHE_NONE
    audit_log(action="image.view", actor=request.user, obj=image, organisation=image.case.organisation)
    return response


@require_safe
def image_display(request: HttpRequest, image_pk: int) -> HttpResponse:
    """The display derivative; the original while `manage.py photos_derive` has not made one yet."""
    image = get_image_for_user(request.user, image_pk)
    stored = image.display if image.display.name else image.file
    response = _serve_cached(request, image, stored, content_type=DISPLAY_CONTENT_TYPE,
                             filename=f"image-{image.pk}-display.jpg")
    # Viewing a photo is audited, a revalidation (304) included: the browser only asks after max-age.
    audit_log(action="image.view", actor=request.user, obj=image, organisation=image.case.organisation,
              details={"variant": "display"})
    return response


@require_safe
def image_thumbnail(request: HttpRequest, image_pk: int) -> HttpResponse:
    # Thumbnails are not audited (a case page shows many).
    image = get_image_for_user(request.user, image_pk)
    return _serve_cached(request, image, image.thumbnail, content_type=THUMBNAIL_CONTENT_TYPE,
                         filename=f"image-{image.pk}-thumbnail.jpg")


def media_etag(image: LesionImage, stored: FieldFile) -> str:
    """A strong ETag: the photo's checksum plus the stored file's (random, never reused) name, so a new
    derivative of the same photo gets a new tag."""
    variant = hashlib.sha256(stored.name.encode()).hexdigest()[:16]
    return f'"{image.sha256}-{variant}"'


def _serve_cached(
    request: HttpRequest, image: LesionImage, stored: FieldFile, *, content_type: str, filename: str
) -> HttpResponse:
    """Called only after the access check: a 304 never tells an outsider that a tag is right."""
    if not stored.name:
        raise Http404("No stored file.")
    if _presigned_delivery():
        # A signed URL expires: the redirect must not be cached, only the bytes behind it (privately).
        response = _serve(stored, content_type=content_type, filename=filename, object_cache=CACHE_PRIVATE)
        response["Cache-Control"] = CACHE_NONE
        return response
    etag = media_etag(image, stored)
    if _matches(request.headers.get("If-None-Match", ""), etag):
        response: HttpResponse = HttpResponseNotModified()
        _protect(response)
    else:
        response = _serve(stored, content_type=content_type, filename=filename)
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_PRIVATE
    return response


def _matches(if_none_match: str, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    # If-None-Match compares weakly (RFC 9110 13.1.2).
    return any(tag.removeprefix("W/") == etag for tag in parse_etags(if_none_match))


def _presigned_delivery() -> bool:
    return settings.DERMREVIEW_MEDIA_STORAGE == "s3" and settings.DERMREVIEW_MEDIA_DELIVERY == "presigned"


def _serve(stored: FieldFile, *, content_type: str, filename: str, object_cache: str = CACHE_NONE) -> HttpResponse:
    """Called only after the access check. `object_cache` is the bucket's Cache-Control under presigned delivery."""
    if not stored.name:
        raise Http404("No stored file.")
    if _presigned_delivery():
        url = media_presigned_url(stored, content_type=content_type, filename=filename, cache_control=object_cache)
        redirect = HttpResponseRedirect(url)
        redirect["Cache-Control"] = CACHE_NONE
        return redirect
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
    _protect(response)
    return response


def _protect(response: HttpResponse) -> None:
    response["X-Content-Type-Options"] = "nosniff"
    # The file is an image whatever its bytes claim: never let a browser run it as a document.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
