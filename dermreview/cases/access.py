"""The one place that decides whether a user may see a case or an image. Outsiders get 404, never 403."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404

from dermreview.cases.models import Case, LesionImage


def get_case_for_user(user: Any, pk: int | str) -> Case:
    return get_object_or_404(Case.objects.visible_to(user).select_related("created_by", "claimed_by"), pk=pk)


def get_image_for_user(user: Any, pk: int | str) -> LesionImage:
    return get_object_or_404(LesionImage.objects.visible_to(user).select_related("case"), pk=pk)
