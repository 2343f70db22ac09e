"""`manage.py diagnosis_classes_export --out FILE.json [--organisation SLUG]`: the diagnosis vocabulary as JSON.

For the offline evaluation harness (`python -m inference_worker.evaluate --classes FILE.json`), which never
imports Django: it then matches the model's lesion types to this clinic's classes and high-risk flags, its own
classes included, as the review pages do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dermreview.accounts.models import Organisation
from dermreview.cases.selectors import diagnosis_classes_data


class Command(BaseCommand):
    help = ("Write the active diagnosis classes (the shared ones, plus a clinic's own with --organisation) as "
            "JSON [{code, name, high_risk, synonyms, abbreviations}] for `python -m inference_worker.evaluate "
            "--classes FILE`.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, type=Path, help="The JSON file to write ('-': standard output).")
        parser.add_argument("--organisation", default="", help="A clinic's slug: add its own classes.")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation_id = None
        if options["organisation"]:
            organisation = Organisation.objects.filter(slug=options["organisation"]).first()
            if organisation is None:
                raise CommandError(f"No organisation with the slug {options['organisation']!r}.")
            organisation_id = organisation.pk
        classes = diagnosis_classes_data(organisation_id=organisation_id)
        if not classes:
            raise CommandError("No active diagnosis classes: run the migrations first.")
        text = json.dumps(classes, ensure_ascii=False, indent=1) + "\n"
        out: Path = options["out"]
        if str(out) == "-":
            self.stdout.write(text, ending="")
            return
        out.write_text(text, encoding="utf-8")
        high_risk = sum(row["high_risk"] for row in classes)
        self.stdout.write(f"Wrote {len(classes)} classes ({high_risk} high-risk) to {out}.")
