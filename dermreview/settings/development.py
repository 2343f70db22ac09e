"""`make run`: a laptop, SQLite and the filesystem broker unless the environment says otherwise."""

from __future__ import annotations

from dermreview.settings.base import *  # noqa: F403
from dermreview.settings.env import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
