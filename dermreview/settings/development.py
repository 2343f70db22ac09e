"""`make run`: a laptop, SQLite and the filesystem broker unless the environment says otherwise."""

from __future__ import annotations

from dermreview.settings.base import *  # noqa: F403
from dermreview.settings.registry import env

DEBUG = env("DJANGO_DEBUG", default=True)
