"""The account of a person signed in through the identity provider: found by (issuer, subject), created on first
sign-in, and kept in step with the group map at every sign-in. Audited (`auth.oidc.*`)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dermreview.accounts.models import ExternalIdentity, Organisation, User
from dermreview.accounts.oidc.errors import SignInRefused
from dermreview.accounts.oidc.mapping import Assignment
from dermreview.accounts.roles import should_be_staff
from dermreview.accounts.services.credentials import user_credentials_revoke
from dermreview.audit.services.events import audit_log
from dermreview.common.text import normalise_text

_PROFILE = {"email": "email", "first_name": "given_name", "last_name": "family_name"}


def external_identity_sign_in(*, issuer: str, subject: str, claims: Mapping[str, Any],
                              assignment: Assignment) -> User:
    """The user to sign in for `subject` at `issuer`, with the clinic and roles of `assignment`.

    First sign-in: a new account (no usable password) linked to the identity. Later ones: the linked account, its
    clinic and roles set from the map again; a change ends the user's other sessions and API token, as an
    administrator's change would. Raises SignInRefused (nothing written) when the mapped clinic does not exist
    or the account is disabled.
    """
    organisation = Organisation.objects.filter(slug=assignment.organisation).first()
    if organisation is None:
        raise SignInRefused("unknown_clinic", organisation=assignment.organisation, groups=list(assignment.groups))
    with transaction.atomic():
        identity = (ExternalIdentity.objects.select_for_update().select_related("user")
                    .filter(issuer=issuer, subject=subject).first())
        if identity is None:
            user = _account_create(issuer=issuer, subject=subject, claims=claims, organisation=organisation)
            identity = ExternalIdentity.objects.create(user=user, issuer=issuer, subject=subject)
            audit_log(action="auth.oidc.identity_link", actor=user, obj=user, organisation=organisation,
                      details={"issuer": issuer, "subject": subject})
        user = identity.user
        if not user.is_active:
            raise SignInRefused("account_disabled", username=user.username)
        _assignment_apply(user, organisation=organisation, assignment=assignment)
        _profile_update(user, claims)
        identity.last_login_at = timezone.now()
        identity.save(update_fields=["last_login_at"])
    return user


def _account_create(*, issuer: str, subject: str, claims: Mapping[str, Any], organisation: Organisation) -> User:
    user = User(username=_free_username(claims, subject), organisation=organisation)
    user.set_unusable_password()  # the provider is the only way in
    user.save()
    audit_log(action="auth.oidc.account_create", actor=user, obj=user, organisation=organisation,
              details={"issuer": issuer, "subject": subject, "username": user.username})
    return user


def _assignment_apply(user: User, *, organisation: Organisation, assignment: Assignment) -> None:
    current = set(user.groups.values_list("name", flat=True))
    wanted = set(assignment.roles)
    if user.organisation_id == organisation.pk and current == wanted:
        return
    moved = user.organisation_id is not None and user.organisation_id != organisation.pk
    user.organisation = organisation
    user.save(update_fields=["organisation"])
    user.groups.set([Group.objects.get_or_create(name=role)[0] for role in sorted(wanted)])
    user.is_staff = should_be_staff(user)
    user.save(update_fields=["is_staff"])
    if current or moved:
        # Like an administrator's change of role or clinic: sessions and tokens of the old roles end now.
        user_credentials_revoke(user=user, reason="sso: clinic or roles changed by the group map")
    audit_log(action="auth.oidc.roles_sync", actor=user, obj=user, organisation=organisation,
              details={"roles": sorted(wanted), "previous_roles": sorted(current), "groups": list(assignment.groups)})


def _profile_update(user: User, claims: Mapping[str, Any]) -> None:
    changed = []
    for field, claim in _PROFILE.items():
        value = claims.get(claim)
        if not isinstance(value, str):
            continue
        try:
            value = normalise_text(value, field=field, multiline=False).strip()[:150 if field != "email" else 254]
        except ValidationError:
            continue  # a name with hidden characters is left as it was; the sign-in itself goes ahead
        if value != getattr(user, field):
            setattr(user, field, value)
            changed.append(field)
    if changed:
        user.save(update_fields=changed)


def _free_username(claims: Mapping[str, Any], subject: str) -> str:
    """The provider's preferred username when free, else it with a short digest of the subject. Never matched
    against an existing account: a local "alice" and the provider's "alice" may be different people."""
    raw = claims.get("preferred_username") or claims.get("email") or "sso"
    base = re.sub(r"[^\w.@+-]", "", str(raw))[:120] or "sso"
    if not User.objects.filter(username=base).exists():
        return base
    return f"{base}-{hashlib.sha256(f'{subject}'.encode()).hexdigest()[:10]}"
