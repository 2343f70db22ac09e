"""`manage.py model_evaluate`: shadow-evaluate a candidate version on a clinic's signed cases.

    manage.py model_evaluate --candidate ID --since YYYY-MM-DD [--limit N] [--organisation SLUG] [--sync]

By default the evaluation is queued (GPU queue, below live drafting; scoring on the scoring queue) and the command
returns; follow it on the governance page. --sync runs it here to the end (this host needs the model libraries)
and prints the figures. --organisation defaults to the candidate's clinic; an installation candidate needs it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dermreview.drafting.models import FINDING_FIELDS, ModelVersion
from dermreview.governance.management.commands.model_version_register import organisation_by_slug
from dermreview.governance.models import EvaluationRun
from dermreview.governance.services.evaluation import evaluation_start
from dermreview.governance.services.local_run import evaluation_run_here


class Command(BaseCommand):
    help = "Shadow-evaluate a candidate model version on a clinic's signed cases (queued, or --sync here)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--candidate", type=int, required=True, help="The candidate version's id.")
        parser.add_argument("--since", type=date.fromisoformat, required=True,
                            help="Cases whose final sign-off is on or after this day (YYYY-MM-DD).")
        parser.add_argument("--limit", type=int, help="At most this many cases (the latest).")
        parser.add_argument("--organisation", help="The clinic's slug (default: the candidate's clinic).")
        parser.add_argument("--sync", action="store_true", help="Run it in this process instead of queueing it.")

    def handle(self, *args: Any, **options: Any) -> None:
        candidate = ModelVersion.objects.filter(pk=options["candidate"]).select_related("organisation").first()
        if candidate is None:
            raise CommandError(f"No model version {options['candidate']}.")
        organisation = organisation_by_slug(options["organisation"]) or candidate.organisation
        if organisation is None:
            raise CommandError("An installation candidate needs --organisation: whose signed cases to use.")
        try:
            run = evaluation_start(candidate=candidate, organisation=organisation, since=options["since"],
                                   limit=options["limit"], user=None, send=not options["sync"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"evaluation {run.pk}: {run.cases} cases, {run.total} drafts to make")
        if not options["sync"]:
            self.stdout.write("queued; follow it on the governance page")
            return
        run = evaluation_run_here(run_id=run.pk, progress=self._progress)
        self._report(run)

    def _progress(self, run: EvaluationRun) -> None:
        self.stdout.write(f"  {run.done}/{run.total} drafted")

    def _report(self, run: EvaluationRun) -> None:
        self.stdout.write(f"evaluation {run.pk} {run.status}{': ' + run.error if run.error else ''}")
        results = run.results or {}
        if not results:
            return
        candidate, baseline = results["candidate"], results.get("baseline") or {}
        differences = results.get("differences") or {}
        for name in FINDING_FIELDS:
            mine, theirs = candidate["fields"][name], (baseline.get("fields") or {}).get(name) or {}
            diff = differences.get(name) or {}
            self.stdout.write(f"  {name:12} candidate {_fmt(mine.get('mean'))} (n={mine.get('n')})"
                              f"  active {_fmt(theirs.get('mean'))}  difference {_fmt(diff.get('mean'), signed=True)}"
                              f" [{_fmt(diff.get('low'), signed=True)}, {_fmt(diff.get('high'), signed=True)}]")
        self.stdout.write(f"  failures: candidate {candidate['failures']}  active {baseline.get('failures', {})}")


def _fmt(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.4f}" if signed else f"{value:.4f}"
