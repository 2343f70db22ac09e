"""Users, groups and applications of the test provider; prints their credentials as JSON for the launcher."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from oauth2_provider.models import Application

from tests.oidc_provider.validator import EXPIRED_TOKENS_APP, WRONG_AUDIENCE_APP

PASSWORD = "provider password 42"  # noqa: S105
# username -> (e-mail, first name, last name, groups)
PEOPLE = {
    "dana": ("dana@riverside.example", "Dana", "Moss", ["derm-clinicians"]),
    "rex": ("rex@riverside.example", "Rex", "Hart", ["derm-reviewers"]),
    "uma": ("uma@riverside.example", "Uma", "Vale", ["marketing"]),
}
APPLICATIONS = {"dermreview": False, WRONG_AUDIENCE_APP: True, EXPIRED_TOKENS_APP: True}  # name -> skip consent


class Command(BaseCommand):
    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--redirect-uri", required=True)
        parser.add_argument("--post-logout-uri", required=True)

    def handle(self, *args: Any, redirect_uri: str, post_logout_uri: str, **options: Any) -> None:
        for username, (email, first, last, groups) in PEOPLE.items():
            user = User.objects.create_user(username, email=email, password=PASSWORD, first_name=first,
                                            last_name=last)
            user.groups.set([Group.objects.get_or_create(name=name)[0] for name in groups])
        credentials = {}
        for name, skip in APPLICATIONS.items():
            client_id, secret = f"{name}-client", f"{name}-secret-0123456789"
            Application.objects.create(
                name=name, client_id=client_id, client_secret=secret, client_type=Application.CLIENT_CONFIDENTIAL,
                authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE, algorithm=Application.RS256_ALGORITHM,
                redirect_uris=redirect_uri, post_logout_redirect_uris=post_logout_uri, skip_authorization=skip,
            )
            credentials[name] = {"client_id": client_id, "client_secret": secret}
        self.stdout.write(json.dumps({"password": PASSWORD, "applications": credentials}))
