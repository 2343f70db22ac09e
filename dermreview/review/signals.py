"""Signals the review app sends for apps above it (which review may not import)."""

from __future__ import annotations

from django.dispatch import Signal

# The case page is being rendered: apps above review add their parts to it. Each receiver gets `user` and `case`
# and returns template context, e.g. pacs's DICOM panel (templates/pacs/_case_dicom.html).
case_page_shown = Signal()
