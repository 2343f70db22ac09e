"""Object storage: photos in an S3-compatible bucket, so web and GPU workers can run on separate hosts."""

from __future__ import annotations

from dermreview.settings.variable import COMPOSE, Section, Variable

SECTION = Section("Object storage", (
    Variable(
        "DERMREVIEW_MEDIA_STORAGE", "choice", default="fs", choices=("fs", "s3"),
        meaning="Where photos, display copies and thumbnails live: `fs` a folder (DERMREVIEW_MEDIA_ROOT) every "
                "service must share, `s3` an S3-compatible bucket (SeaweedFS, MinIO, Ceph, AWS), so GPU workers "
                "need no shared disk (docs/scaling.md).",
    ),
    Variable(
        "DERMREVIEW_S3_ENDPOINT_URL", "url", default=None, choices=("http", "https"), example="http://127.0.0.1:8333",
        meaning="`s3`: the S3 API's address as the web and the workers reach it; unset means AWS itself.",
    ),
    Variable(
        "DERMREVIEW_S3_PUBLIC_ENDPOINT_URL", "url", default=None, choices=("http", "https"),
        shown_default="DERMREVIEW_S3_ENDPOINT_URL", example="",
        meaning="`s3` with presigned delivery: the address browsers reach the bucket at, when it differs from the "
                "internal one (compose: `http://s3:8333` inside, a public name outside). Also joins the CSP `img-src`.",
    ),
    Variable(
        "DERMREVIEW_S3_BUCKET", "str", default=None, example="dermreview-media",
        meaning="`s3`: the bucket (create it first; keep it private: no public ACL, no bucket policy for anonymous "
                "reads). **Required** with `s3`.",
    ),
    Variable("DERMREVIEW_S3_REGION", "str", default="us-east-1", meaning="`s3`: the bucket's region (signing)."),
    Variable(
        "DERMREVIEW_S3_ACCESS_KEY_ID", "str", default=None, example="",
        meaning="`s3`: access key; unset lets boto3 find credentials itself (instance role, `~/.aws`).",
    ),
    Variable(
        "DERMREVIEW_S3_SECRET_ACCESS_KEY", "str", default=None, example="",
        meaning="`s3`: the access key's secret.",
    ),
    Variable(
        "DERMREVIEW_S3_PREFIX", "str", default="", example="",
        meaning="`s3`: a key prefix (folder) inside the bucket, e.g. to share one bucket between installations; "
                "the orphan sweeper only looks under it.",
    ),
    Variable(
        "DERMREVIEW_S3_ADDRESSING_STYLE", "choice", default="path", choices=("path", "virtual", "auto"),
        meaning="`s3`: `path` (`host/bucket/key`, what SeaweedFS and MinIO expect) or `virtual` "
                "(`bucket.host/key`, AWS's preference).",
    ),
    Variable(
        "DERMREVIEW_S3_SSE", "choice", default=None, choices=("AES256", "aws:kms"), example="",
        meaning="`s3`: server-side encryption asked for on every write (`ServerSideEncryption`); unset leaves the "
                "bucket's default.",
    ),
    Variable(
        "DERMREVIEW_S3_SSE_KMS_KEY_ID", "str", default=None, example="",
        meaning="`s3` with `aws:kms`: the KMS key (`SSEKMSKeyId`); unset uses the account's default key.",
    ),
    Variable(
        "DERMREVIEW_MEDIA_DELIVERY", "choice", default="presigned", choices=("presigned", "stream"),
        meaning="`s3`: after Django's access check the browser is redirected to a short-lived signed URL of the "
                "bucket (`presigned`; the bucket must be reachable by browsers) or Django streams the bytes "
                "(`stream`). `fs` ignores it (see DERMREVIEW_MEDIA_SERVE).",
    ),
    Variable(
        "DERMREVIEW_MEDIA_PRESIGNED_TTL_S", "int", default=60, minimum=5, maximum=3600,
        meaning="`s3` with `presigned`: how long a signed photo URL stays valid, seconds. Each page view asks "
                "Django again, so short is safe.",
    ),
    Variable(
        "SEAWEEDFS_ACCESS_KEY", "str", default=None, read_by=COMPOSE,
        required_in_production="e.g. `openssl rand -hex 12`",
        meaning="compose: the access key of the bundled SeaweedFS S3 server (its admin identity); the app services "
                "use it as DERMREVIEW_S3_ACCESS_KEY_ID. **Required.**",
    ),
    Variable(
        "SEAWEEDFS_SECRET_KEY", "str", default=None, read_by=COMPOSE,
        required_in_production="e.g. `openssl rand -hex 24`",
        meaning="compose: that access key's secret (DERMREVIEW_S3_SECRET_ACCESS_KEY). **Required.**",
    ),
    Variable(
        "SEAWEEDFS_SSE_KEY", "str", default=None, read_by=COMPOSE,
        required_in_production="32 random bytes in base64, e.g. `openssl rand -base64 32`",
        meaning="compose: the bundled SeaweedFS's key-encryption key, so DERMREVIEW_S3_SSE=AES256 encrypts photos "
                "at rest (compose sets it). Back it up apart from the `s3-data` volume. **Required.**",
    ),
))
