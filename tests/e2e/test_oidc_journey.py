"""Single sign-on in a real browser against a real OpenID Connect provider (tests/oidc_provider/, started by
tests/oidc_server.py): "Sign in with ..." on DermReview's log-in page, the provider's own log-in and consent pages,
and back, signed in with the clinic and role the group map gives; log-out ends both sessions. Each refusal (a token
for another audience, an expired token, a group mapped to no clinic) shows its own message and creates no account;
a clinic with local passwords disabled refuses the password form."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from dermreview.accounts.models import ExternalIdentity, User
from dermreview.audit.models import AuditEvent
from tests.factories import OrganisationFactory, UserFactory
from tests.oidc_server import OidcProvider, sso_settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def _riverside():  # noqa: ANN202
    # The role groups come from a data migration, which a transactional test's flush may have removed.
    for role in ("clinician", "reviewer", "auditor", "clinic_admin"):
        Group.objects.get_or_create(name=role)
    return OrganisationFactory(name="Riverside Dermatology", slug="riverside")


def _sign_in_at_provider(page, provider: OidcProvider, username: str) -> None:  # noqa: ANN001
    """From DermReview's log-in page through the provider's log-in page (and its consent page, if it asks)."""
    page.goto("/accounts/login/")
    page.click("#sso-sign-in")
    page.wait_for_url(lambda url: url.startswith("http://127.0.0.1") and "/accounts/login/" in url)
    page.fill("#id_username", username)
    page.fill("#id_password", provider.password)
    page.click("#provider-sign-in")
    page.wait_for_url(lambda url: "/o/authorize/" in url or url.startswith("http://localhost"))
    if "/o/authorize/" in page.url:
        page.click("input[name=allow]")
    page.wait_for_url(lambda url: url.startswith("http://localhost"))


def test_sso_sign_in_maps_clinic_and_role_and_sign_out_ends_both_sessions(page, settings, oidc_provider) -> None:  # noqa: ANN001
    sso_settings(settings, oidc_provider)
    clinic = _riverside()
    # A local account with the provider user's e-mail address and username: a different person as far as
    # DermReview knows, never matched by e-mail.
    local = UserFactory(username="dana", email="dana@riverside.example", organisation=clinic, roles=["auditor"])

    page.goto("/accounts/login/")
    assert page.locator("#sso-sign-in").inner_text() == "Sign in with Riverside Hospital"
    _sign_in_at_provider(page, oidc_provider, "dana")
    page.wait_for_url("**/cases/")

    identity = ExternalIdentity.objects.select_related("user").get()
    user = identity.user
    assert (identity.issuer, identity.subject) == (oidc_provider.issuer, identity.subject)
    assert user.pk != local.pk and user.username.startswith("dana-")
    assert user.organisation == clinic and set(user.groups.values_list("name", flat=True)) == {"clinician"}
    assert not user.has_usable_password() and (user.first_name, user.last_name) == ("Dana", "Moss")
    assert user.username in page.locator(".whoami").inner_text()
    assert "Riverside Dermatology" in page.locator(".whoami").inner_text()
    actions = list(AuditEvent.objects.filter(actor=user).order_by("sequence").values_list("action", flat=True))
    assert actions[:2] == ["auth.oidc.account_create", "auth.oidc.identity_link"]
    assert {"auth.oidc.roles_sync", "auth.login", "auth.oidc.login"} <= set(actions)

    page.click(".whoami button[type=submit]")  # Log out: DermReview, then the provider's end-session endpoint
    page.wait_for_url(lambda url: url.startswith("http://localhost") and "/accounts/login/" in url)
    page.goto("/cases/")
    assert "/accounts/login/" in page.url  # DermReview's session has ended
    page.click("#sso-sign-in")  # ... and the provider's: it asks for the password again
    page.wait_for_url(lambda url: url.startswith("http://127.0.0.1") and "/accounts/login/" in url)
    assert AuditEvent.objects.filter(actor=user, action="auth.logout").count() == 1

    # Signing in again finds the same account by (issuer, subject): nothing new is created.
    page.fill("#id_username", "dana")
    page.fill("#id_password", oidc_provider.password)
    page.click("#provider-sign-in")
    page.wait_for_url(lambda url: "/o/authorize/" in url or url.startswith("http://localhost"))
    if "/o/authorize/" in page.url:
        page.click("input[name=allow]")
    page.wait_for_url("**/cases/")
    assert ExternalIdentity.objects.count() == 1 and User.objects.count() == 2


def test_sso_reviewer_still_enrols_local_two_factor(page, settings, oidc_provider) -> None:  # noqa: ANN001
    """The documented choice: DermReview's own second factor applies to single sign-on users too."""
    sso_settings(settings, oidc_provider)
    _riverside()
    _sign_in_at_provider(page, oidc_provider, "rex")
    page.wait_for_url("**/accounts/mfa/enrol/**")
    assert set(User.objects.get(external_identities__isnull=False).groups.values_list("name", flat=True)) == {
        "reviewer"}


@pytest.mark.parametrize(("app", "username", "reason", "wording"), [
    ("wrong-audience", "dana", "wrong_audience", "issued this sign-in for a different application"),
    ("expired-tokens", "dana", "expired_token", "had already expired"),
    ("dermreview", "uma", "unmapped_group", "Your account is not mapped to a clinic; ask your administrator"),
])
def test_sso_refusals_say_why_and_create_no_account(page, settings, oidc_provider, app, username, reason,  # noqa: ANN001
                                                    wording) -> None:
    sso_settings(settings, oidc_provider, app=app)
    _riverside()
    users_before = User.objects.count()

    _sign_in_at_provider(page, oidc_provider, username)
    page.wait_for_url("**/accounts/oidc/callback/**")
    refusal = page.locator("#sso-refusal")
    assert refusal.get_attribute("data-reason") == reason
    assert wording in refusal.inner_text()

    assert User.objects.count() == users_before and not ExternalIdentity.objects.exists()
    assert AuditEvent.objects.filter(action="auth.oidc.refused", details__reason=reason).count() == 1
    page.goto("/cases/")
    assert "/accounts/login/" in page.url  # nobody was signed in


def test_password_login_refused_where_the_clinic_uses_sso_only(page, settings, oidc_provider) -> None:  # noqa: ANN001
    sso_settings(settings, oidc_provider)
    clinic = _riverside()
    clinic.local_password_login = False
    clinic.save()
    UserFactory(username="olga", organisation=clinic, roles=["clinician"])

    page.goto("/accounts/login/")
    page.fill("#id_username", "olga")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#password-login-refused").inner_text() == (
        "Your clinic does not use DermReview passwords: use \"Sign in with Riverside Hospital\".")
    page.goto("/cases/")
    assert "/accounts/login/" in page.url
    olga = User.objects.get(username="olga")
    refused = AuditEvent.objects.get(action="auth.login_refused")
    assert (refused.object_id, refused.details["reason"]) == (str(olga.pk), "local_password_login_disabled")
