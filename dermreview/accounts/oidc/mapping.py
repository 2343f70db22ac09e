"""From a person's claims to a clinic and roles, by the configured group map. Plain Python, no database.

The map (DERMREVIEW_OIDC_GROUP_MAP) is the only source of a signed-in person's clinic and roles: nothing the user
types or the provider's profile says about them (a department, an e-mail domain) assigns them. Someone whose
groups map to no clinic, or to more than one, is refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dermreview.accounts.roles import CLINIC_ROLES

# Single sign-on never makes an installation operator (a superuser): that stays a local, deliberate grant.
MAPPABLE_ROLES = frozenset(role.value for role in CLINIC_ROLES)


@dataclass(frozen=True, slots=True)
class GroupRule:
    organisation: str  # the clinic's slug
    roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Assignment:
    """What a person's claims give them: one clinic, the roles there, and the groups that granted them."""

    organisation: str
    roles: frozenset[str]
    groups: tuple[str, ...]


class MappingRefused(Exception):
    """The claims give no clinic, or several; `reason` is the audit code."""

    def __init__(self, reason: str, groups: tuple[str, ...]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.groups = groups


def parse_group_map(raw: str) -> dict[str, GroupRule]:
    """The group map from its JSON text; ValueError naming what is wrong (start-up stops on it)."""
    try:
        data = json.loads(raw or "{}")
    except json.JSONDecodeError as exc:
        raise ValueError(f"is not valid JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(data, dict):
        raise ValueError("must be a JSON object: group -> {\"organisation\": slug, \"role\": role}")
    return {str(group): _rule(str(group), entry) for group, entry in data.items()}


def _rule(group: str, entry: Any) -> GroupRule:
    if not isinstance(entry, dict) or not isinstance(entry.get("organisation"), str) or not entry["organisation"]:
        raise ValueError(f"group {group!r} needs an \"organisation\" (a clinic's slug)")
    roles = entry.get("roles", [entry["role"]] if "role" in entry else [])
    if isinstance(roles, str) or not roles or not all(isinstance(role, str) for role in roles):
        raise ValueError(f"group {group!r} needs a \"role\" or a non-empty list of \"roles\"")
    if unknown := sorted(set(roles) - MAPPABLE_ROLES):
        raise ValueError(f"group {group!r}: unknown role(s) {unknown}; use {', '.join(sorted(MAPPABLE_ROLES))}")
    if extra := sorted(set(entry) - {"organisation", "role", "roles"}):
        raise ValueError(f"group {group!r}: unknown key(s) {extra}")
    return GroupRule(organisation=entry["organisation"], roles=tuple(roles))


def claim_groups(claims: Mapping[str, Any], groups_claim: str) -> tuple[str, ...]:
    """The values of the groups claim: a list of strings, or one string; anything else counts as none."""
    value = claims.get(groups_claim)
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)):
        return tuple(item for item in value if isinstance(item, str))
    return ()


def assignment_for_claims(claims: Mapping[str, Any], *, table: Mapping[str, GroupRule],
                          groups_claim: str) -> Assignment:
    """The clinic and roles the claims' groups map to. Raises MappingRefused("unmapped_group") when no group is
    in the table and MappingRefused("conflicting_clinics") when the mapped groups name more than one clinic."""
    groups = claim_groups(claims, groups_claim)
    matched = tuple(group for group in groups if group in table)
    if not matched:
        raise MappingRefused("unmapped_group", groups)
    clinics = {table[group].organisation for group in matched}
    if len(clinics) > 1:
        raise MappingRefused("conflicting_clinics", matched)
    roles = frozenset(role for group in matched for role in table[group].roles)
    return Assignment(organisation=clinics.pop(), roles=roles, groups=matched)
