"""Refusals of a DICOM send, as review errors so that the pages and the API answer them alike (review/errors.py)."""

from __future__ import annotations

from dermreview.review.errors import ReviewNotAllowed, ReviewRoleDenied


class DicomNotAllowed(ReviewNotAllowed):
    """409: the case is not final, or no archive is configured. Nothing was written."""


class DicomRoleDenied(ReviewRoleDenied):
    """403: only reviewers and clinic administrators send findings to the archive."""


class DicomDeliveryFailed(Exception):
    """An attempt failed and was recorded on the send; `retry` says whether the worker should try again."""

    def __init__(self, message: str, *, retry: bool, attempts: int) -> None:
        super().__init__(message)
        self.retry = retry
        self.attempts = attempts
