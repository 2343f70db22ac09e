from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dermreview.audit.services.verify import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain and report the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_chain_verify()
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.checked} events verified."))
            return
        raise CommandError(
            f"Audit chain broken at event #{report.first_broken_sequence} (id {report.first_broken_id}): "
            f"{report.reason}. {report.checked} events before it verified."
        )
