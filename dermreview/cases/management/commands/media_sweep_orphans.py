from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dermreview.cases.services.media_storage import media_orphans_sweep

_DURATION = re.compile(r"^(\d+)([smhd]?)$")
_UNIT_S = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(raw: str) -> timedelta:
    """`90`, `90s`, `30m`, `1h` or `7d`; a clear error otherwise."""
    match = _DURATION.match(raw.strip().lower())
    if not match:
        raise CommandError(f"--older-than must look like 90s, 30m, 1h or 7d; got {raw!r}")
    return timedelta(seconds=int(match[1]) * _UNIT_S[match[2]])


class Command(BaseCommand):
    help = ("Delete stored photos, display copies and thumbnails that no database row references (left by a "
            "process killed mid-upload, or a rolled-back outer transaction), in the folder or the bucket's prefix. "
            "Only objects older than --older-than, so an upload in flight is never swept. Celery beat runs it daily.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", default="1h", type=parse_duration,
                            help="Grace period (default 1h): younger objects are kept. E.g. 30m, 1h, 7d.")
        parser.add_argument("--dry-run", action="store_true", help="List the orphans; delete nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = media_orphans_sweep(older_than=options["older_than"], dry_run=options["dry_run"])
        for name in result.orphans:
            self.stdout.write(f"{'would delete' if options['dry_run'] else 'deleted'} {name}")
        verb = "Would delete" if options["dry_run"] else "Deleted"
        self.stdout.write(f"{verb} {len(result.orphans)} orphan(s) of {result.total} stored object(s); "
                          f"{result.kept_young} unreferenced but younger than the grace period kept.")
