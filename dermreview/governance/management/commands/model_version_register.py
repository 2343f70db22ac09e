"""`manage.py model_version_register`: register a candidate model version (an operator at the server).

    manage.py model_version_register --model org/name --revision <commit> [--profile card] [--decoding schema]
        [--backend transformers] [--base-model org/base --base-model-revision <commit>] [--label TEXT]
        [--organisation SLUG]

Without --organisation the candidate is for the installation (its active version is every clinic's default).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dermreview.accounts.models import Organisation
from dermreview.governance.services.versions import model_version_register


def organisation_by_slug(slug: str | None) -> Organisation | None:
    if not slug:
        return None
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        raise CommandError(f"No organisation with the slug {slug!r}.")
    return organisation


class Command(BaseCommand):
    help = "Register a candidate model version for the installation or one clinic (it drafts nothing until approved)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--model", required=True, help="Hub id or local path (as DERMREVIEW_MODEL).")
        parser.add_argument("--revision", default="main", help="The revision asked for; pin a commit in production.")
        parser.add_argument("--profile", default="card", help="Prompt profile: a built-in name or a .toml path.")
        parser.add_argument("--decoding", default="schema", choices=["schema", "json", "free"])
        parser.add_argument("--backend", default="transformers", choices=["transformers", "openai"])
        parser.add_argument("--base-model", default="", help="An adapter's base model.")
        parser.add_argument("--base-model-revision", default="")
        parser.add_argument("--label", default="")
        parser.add_argument("--organisation", help="The clinic's slug; omit for the installation.")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = organisation_by_slug(options["organisation"])
        try:
            version = model_version_register(
                user=None, organisation=organisation, model=options["model"], model_revision=options["revision"],
                prompt_profile=options["profile"], decoding=options["decoding"], backend=options["backend"],
                base_model=options["base_model"], base_model_revision=options["base_model_revision"],
                label=options["label"],
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"candidate version {version.pk} for {version.scope_label}: {version}")
