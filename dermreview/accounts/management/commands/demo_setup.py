from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from dermreview.accounts.services.demo import DEMO_USERS, MFA_NOTE, demo_environment_ensure


class Command(BaseCommand):
    help = "Create the demo clinic and its users (idempotent). Password: DERMREVIEW_DEMO_PASSWORD or generated."

    def handle(self, *args: Any, **options: Any) -> None:
        path = settings.VAR_DIR / "demo-credentials.txt"
        creds = demo_environment_ensure(
            credentials_path=path, password=os.environ.get("DERMREVIEW_DEMO_PASSWORD") or None
        )
        users = ", ".join(DEMO_USERS)
        if creds.generated:
            self.stdout.write(self.style.WARNING(
                f"Demo users ({users}) created with the generated password: {creds.password}\n"
                f"It is kept in {path} (mode 600).\n{MFA_NOTE}"
            ))
        else:
            self.stdout.write(f"Demo users ready ({users}); password in {path}. {MFA_NOTE}")
