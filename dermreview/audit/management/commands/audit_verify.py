from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dermreview.audit.services.verify import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain and report the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_chain_verify()
        if report.ok:
            anchors = (f"{report.anchors_checked} anchors match." if report.anchors_checked
                       else "No anchor written yet.")
            self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.checked} events verified. {anchors}"))
            return
        where = (f" at event #{report.first_broken_sequence}" if report.first_broken_sequence is not None else "")
        ident = f" (id {report.first_broken_id})" if report.first_broken_id is not None else ""
        raise CommandError(f"Audit chain broken{where}{ident}: {report.reason}. "
                           f"{report.checked} events verified.")
