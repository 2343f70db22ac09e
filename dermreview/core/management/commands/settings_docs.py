"""`manage.py settings_docs [--check]`: regenerate .env.example and the README's configuration tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dermreview.settings.docs import generated_files, stale_files


class Command(BaseCommand):
    help = (
        "Write .env.example and the README's configuration tables from the registry of environment variables "
        "(dermreview/settings/variables/). With --check, write nothing and fail if either is out of date."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="fail if the files differ; change nothing")
        parser.add_argument("--root", type=Path, default=None, help="repository root (default: BASE_DIR)")

    def handle(self, *args: Any, check: bool = False, root: Path | None = None, **options: Any) -> None:
        root = Path(root or settings.BASE_DIR)
        if check:
            stale = stale_files(root)
            if stale:
                names = ", ".join(str(path.relative_to(root)) for path in stale)
                raise CommandError(f"out of date: {names}. Run `python manage.py settings_docs` and commit the result.")
            self.stdout.write("Configuration docs are up to date.")
            return
        for path, text in generated_files(root).items():
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
                self.stdout.write(f"wrote {path.relative_to(root)}")
