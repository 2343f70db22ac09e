"""Photos: where they are stored, how they are sent, and the upload limits."""

from __future__ import annotations

from dermreview.settings.variable import COMPUTED, Section, Variable

SECTION = Section("Photos", (
    Variable(
        "DERMREVIEW_MEDIA_ROOT", "path", default=COMPUTED, shown_default="`var/media`", example="var/media",
        meaning="Where photos and thumbnails are stored (files mode 600, folders 700).",
    ),
    Variable(
        "DERMREVIEW_MEDIA_SERVE", "choice", default="django", choices=("django", "x-accel-redirect", "x-sendfile"),
        meaning="How a photo is sent after the access check: `django` streams it, `x-accel-redirect` hands it to "
                "nginx, `x-sendfile` to Apache.",
    ),
    Variable(
        "DERMREVIEW_MEDIA_ACCEL_PREFIX", "str", default="/protected-media/",
        meaning="The nginx `internal` location that `X-Accel-Redirect` points into (deploy/nginx.conf).",
    ),
    Variable(
        "DERMREVIEW_STATIC_ROOT", "path", default=COMPUTED, shown_default="`var/staticfiles`",
        example="var/staticfiles", meaning="Where `collectstatic` puts CSS and JS for nginx.",
    ),
    Variable(
        "DERMREVIEW_UPLOAD_MAX_BYTES", "int", default=25 * 1024 * 1024, minimum=1024,
        shown_default="`26214400` (25 MB)", meaning="Largest accepted file, bytes.",
    ),
    Variable("DERMREVIEW_UPLOAD_MAX_FILES", "int", default=20, minimum=1, meaning="Files per upload request."),
    Variable(
        "DERMREVIEW_UPLOAD_MAX_PIXELS", "int", default=50_000_000, minimum=10_000,
        meaning="Largest image, checked from the header before decoding (decompression bombs).",
    ),
))
