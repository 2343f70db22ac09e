"""Formatting filters for the oversight pages and the case page's audit history. They only format: the data comes
from the views' selectors (the case's audit history from `review.selectors.case_page`)."""

from __future__ import annotations

import json
from typing import Any

from django import template

register = template.Library()


@register.filter
def num(value: float | None, places: int = 4) -> str:
    """A figure to `places` decimals, or an em dash when there is none (no data, or std of a single value)."""
    return "—" if value is None else f"{value:.{int(places)}f}"


@register.filter
def signed(value: float | None, places: int = 4) -> str:
    return "—" if value is None else f"{value:+.{int(places)}f}"


@register.filter
def pct(value: float | None, places: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{int(places)}f} %"


@register.filter
def as_json(value: Any) -> str:
    """Event details as readable JSON (the template escapes it)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
