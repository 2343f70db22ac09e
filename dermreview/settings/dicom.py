"""DICOM to the hospital archive (dermreview/pacs/), read by base.py; like base.py it reads variables only through
`env()`. A module of its own so that base.py stays under the size rule."""

from __future__ import annotations

import re

from django.core.exceptions import ImproperlyConfigured

from dermreview.settings.registry import env

DERMREVIEW_DICOM_STOW_URL = (env("DERMREVIEW_DICOM_STOW_URL") or "").rstrip("/")
DERMREVIEW_DICOM_USERNAME = env("DERMREVIEW_DICOM_USERNAME")
DERMREVIEW_DICOM_PASSWORD = env("DERMREVIEW_DICOM_PASSWORD")
DERMREVIEW_DICOM_BEARER_TOKEN = env("DERMREVIEW_DICOM_BEARER_TOKEN")
DERMREVIEW_DICOM_TLS_VERIFY = env("DERMREVIEW_DICOM_TLS_VERIFY")
DERMREVIEW_DICOM_CA_BUNDLE = env("DERMREVIEW_DICOM_CA_BUNDLE")
DERMREVIEW_DICOM_TIMEOUT_S = env("DERMREVIEW_DICOM_TIMEOUT_S")
DERMREVIEW_DICOM_MAX_ATTEMPTS = env("DERMREVIEW_DICOM_MAX_ATTEMPTS")
DERMREVIEW_DICOM_INSTITUTION_NAME = env("DERMREVIEW_DICOM_INSTITUTION_NAME")
DERMREVIEW_DICOM_ISSUER_OF_PATIENT_ID = env("DERMREVIEW_DICOM_ISSUER_OF_PATIENT_ID")
DERMREVIEW_DICOM_UID_ROOT = env("DERMREVIEW_DICOM_UID_ROOT")
DERMREVIEW_DICOM_AUTO_SEND = env("DERMREVIEW_DICOM_AUTO_SEND")
# Between attempts: 30 s, doubling, at most 10 minutes (a constant: the archive's outage, not the deployment,
# decides how long retries take, and DERMREVIEW_DICOM_MAX_ATTEMPTS bounds them).
DERMREVIEW_DICOM_RETRY_BACKOFF_S = 30
DERMREVIEW_DICOM_RETRY_BACKOFF_MAX_S = 600

# A UID is at most 64 characters; the root leaves at least 24 digits for the part DermReview generates.
if not re.fullmatch(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*\.", DERMREVIEW_DICOM_UID_ROOT) or len(
        DERMREVIEW_DICOM_UID_ROOT) > 40:
    raise ImproperlyConfigured(
        "DERMREVIEW_DICOM_UID_ROOT must be digits and dots without leading zeros, end with a dot and have at most "
        f"40 characters (got {DERMREVIEW_DICOM_UID_ROOT!r})")
if DERMREVIEW_DICOM_BEARER_TOKEN and (DERMREVIEW_DICOM_USERNAME or DERMREVIEW_DICOM_PASSWORD):
    raise ImproperlyConfigured("Set DERMREVIEW_DICOM_BEARER_TOKEN or DERMREVIEW_DICOM_USERNAME/_PASSWORD, not both")
if bool(DERMREVIEW_DICOM_USERNAME) != bool(DERMREVIEW_DICOM_PASSWORD):
    raise ImproperlyConfigured("DERMREVIEW_DICOM_USERNAME and DERMREVIEW_DICOM_PASSWORD go together")
if DERMREVIEW_DICOM_AUTO_SEND and not DERMREVIEW_DICOM_STOW_URL:
    raise ImproperlyConfigured("DERMREVIEW_DICOM_AUTO_SEND needs DERMREVIEW_DICOM_STOW_URL")
