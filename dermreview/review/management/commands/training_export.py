"""`manage.py training_export --organisation SLUG --out DIR`: a clinic's signed findings as a training set.

Writes OUT/train.jsonl, OUT/eval.jsonl, OUT/all.jsonl, OUT/images/ and OUT/manifest.json (see
`dermreview/review/services/training/`), ready for::

    python -m inference_worker.finetune --data OUT/train.jsonl --images OUT/images --base MODEL --out DIR
    python -m inference_worker.evaluate --labels OUT/eval.jsonl --images OUT/images --model DIR
"""

from __future__ import annotations

import argparse
import getpass
from datetime import datetime, time
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from dermreview.accounts.models import Organisation, User
from dermreview.review.services.training import ExportRefused, training_export


def _moment(text: str) -> datetime:
    """An ISO 8601 date (midnight) or date and time; without a zone, the installation's."""
    parsed = parse_datetime(text)
    if parsed is None:
        day = parse_date(text)
        if day is None:
            raise argparse.ArgumentTypeError(f"not an ISO 8601 date or date and time: {text!r}")
        parsed = datetime.combine(day, time.min)
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no password-file entry (some containers)
        return ""


class Command(BaseCommand):
    help = ("Export a clinic's final, signed findings (never AI drafts) as a de-identified training set: photos "
            "re-encoded under random names, patients and cases as keyed pseudonyms, split by patient into train "
            "and eval, cases whose patient opted out left out. Audited.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", required=True, help="The clinic's slug.")
        parser.add_argument("--out", required=True, type=Path, help="A new (or empty) folder to write.")
        parser.add_argument("--since", type=_moment, help="Findings made final at or after this date/time.")
        parser.add_argument("--until", type=_moment, help="Findings made final before this date/time.")
        parser.add_argument("--eval-fraction", type=float, default=0.2,
                            help="Share of patients held out for evaluation (default 0.2).")
        parser.add_argument("--seed", type=int, default=0,
                            help="Split seed (default 0): the same seed keeps every patient in the same split.")
        parser.add_argument("--user", default="",
                            help="The clinic administrator who authorised the export (recorded as its actor).")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(slug=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"No organisation with the slug {options['organisation']!r}.")
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"No active user {options['user']!r}.")
        try:
            result = training_export(
                organisation=organisation, out=options["out"], since=options["since"], until=options["until"],
                eval_fraction=options["eval_fraction"], seed=options["seed"], user=user, run_by=_os_user(),
            )
        except (ExportRefused, PermissionDenied) as exc:
            raise CommandError(str(exc)) from None
        counts, excluded = result.manifest["counts"], result.manifest["excluded"]
        splits = ", ".join(f"{name} {row['photos']} photos / {row['patients']} patients"
                           for name, row in counts["by_split"].items())
        left_out = ", ".join(f"{reason} {n}" for reason, n in excluded["cases"].items() if n) or "none"
        self.stdout.write(f"Exported {counts['photos']} photos of {counts['cases']} cases ({splits}) to {result.out}.")
        self.stdout.write(f"Cases left out: {left_out}. Details: {result.out / 'manifest.json'}.")
