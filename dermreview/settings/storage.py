"""Where photos live, read by base.py: a private folder (the embedded default) or an S3-compatible bucket.

A module of its own so that base.py stays under the size rule; like base.py it reads variables only through `env()`.
Every photo, display copy and thumbnail goes through Django's default storage (`STORAGES["default"]`), so the code
that reads and writes them is the same for both; docs/scaling.md explains when to choose `s3`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from dermreview.settings.registry import env

DERMREVIEW_MEDIA_STORAGE = env("DERMREVIEW_MEDIA_STORAGE")
DERMREVIEW_MEDIA_DELIVERY = env("DERMREVIEW_MEDIA_DELIVERY")
DERMREVIEW_MEDIA_PRESIGNED_TTL_S = env("DERMREVIEW_MEDIA_PRESIGNED_TTL_S")
DERMREVIEW_S3_PUBLIC_ENDPOINT_URL = env("DERMREVIEW_S3_PUBLIC_ENDPOINT_URL") or env("DERMREVIEW_S3_ENDPOINT_URL")

_FILESYSTEM: dict[str, Any] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    # No "location": the storage follows MEDIA_ROOT, so tests can point it at a temporary folder.
    "OPTIONS": {"file_permissions_mode": 0o600, "directory_permissions_mode": 0o700},
}


def s3_options(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """django-storages' S3Storage options from the environment (`environ`, default os.environ)."""
    def read(name: str) -> Any:
        return env(name, environ=environ)

    bucket = read("DERMREVIEW_S3_BUCKET")
    if not bucket:
        raise ImproperlyConfigured("DERMREVIEW_MEDIA_STORAGE=s3 needs DERMREVIEW_S3_BUCKET")
    object_parameters: dict[str, str] = {}
    if sse := read("DERMREVIEW_S3_SSE"):
        object_parameters["ServerSideEncryption"] = sse
    if kms_key := read("DERMREVIEW_S3_SSE_KMS_KEY_ID"):
        if sse != "aws:kms":
            raise ImproperlyConfigured("DERMREVIEW_S3_SSE_KMS_KEY_ID needs DERMREVIEW_S3_SSE=aws:kms")
        object_parameters["SSEKMSKeyId"] = kms_key
    return {
        "bucket_name": bucket,
        "endpoint_url": read("DERMREVIEW_S3_ENDPOINT_URL"),
        "region_name": read("DERMREVIEW_S3_REGION"),
        "access_key": read("DERMREVIEW_S3_ACCESS_KEY_ID"),
        "secret_key": read("DERMREVIEW_S3_SECRET_ACCESS_KEY"),
        "location": read("DERMREVIEW_S3_PREFIX").strip("/"),
        "addressing_style": read("DERMREVIEW_S3_ADDRESSING_STYLE"),
        "signature_version": "s3v4",
        # Photos are written once under random keys: a name that exists gets a new one, never an overwrite.
        "file_overwrite": False,
        # Patient data: never a public ACL, whatever the bucket's default; URLs are signed, and short-lived.
        "default_acl": "private",
        "querystring_auth": True,
        "querystring_expire": read("DERMREVIEW_MEDIA_PRESIGNED_TTL_S"),
        "object_parameters": object_parameters,
    }


if DERMREVIEW_MEDIA_STORAGE == "s3" and env("DERMREVIEW_MEDIA_SERVE") != "django":
    # nginx and Apache send files from a local folder; a bucket has none (presigned delivery does that job).
    raise ImproperlyConfigured("DERMREVIEW_MEDIA_SERVE must be `django` with DERMREVIEW_MEDIA_STORAGE=s3; "
                               "use DERMREVIEW_MEDIA_DELIVERY=presigned to let browsers fetch from the bucket")
if DERMREVIEW_MEDIA_STORAGE == "s3":
    _DEFAULT_STORAGE: dict[str, Any] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": s3_options()}
else:
    _DEFAULT_STORAGE = _FILESYSTEM

STORAGES = {
    "default": _DEFAULT_STORAGE,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def presigned_origins(environ: Mapping[str, str] | None = None) -> list[str]:
    """The origins browsers fetch photos from under presigned delivery (for the CSP's `img-src`); none otherwise."""
    def read(name: str) -> Any:
        return env(name, environ=environ)

    if read("DERMREVIEW_MEDIA_STORAGE") != "s3" or read("DERMREVIEW_MEDIA_DELIVERY") != "presigned":
        return []
    bucket, region = read("DERMREVIEW_S3_BUCKET"), read("DERMREVIEW_S3_REGION")
    public = read("DERMREVIEW_S3_PUBLIC_ENDPOINT_URL") or read("DERMREVIEW_S3_ENDPOINT_URL")
    if not public:
        return [f"https://{bucket}.s3.{region}.amazonaws.com", f"https://s3.{region}.amazonaws.com"]
    parts = urlsplit(public)
    # Virtual-hosted addressing puts the bucket in the host name; `auto` may choose either.
    origins = {"path": [parts.netloc], "virtual": [f"{bucket}.{parts.netloc}"]}.get(
        read("DERMREVIEW_S3_ADDRESSING_STYLE"), [parts.netloc, f"{bucket}.{parts.netloc}"]
    )
    return [f"{parts.scheme}://{netloc}" for netloc in origins]
