"""The group map: a pure function from claims and table to one clinic and its roles, and the table's own checks."""

from __future__ import annotations

import json

import pytest

from dermreview.accounts.oidc.mapping import (
    Assignment,
    MappingRefused,
    assignment_for_claims,
    claim_groups,
    parse_group_map,
)

TABLE = parse_group_map(json.dumps({
    "derm-clinicians": {"organisation": "riverside", "role": "clinician"},
    "derm-reviewers": {"organisation": "riverside", "roles": ["reviewer", "auditor"]},
    "hill-clinicians": {"organisation": "hillside", "role": "clinician"},
}))


def _assign(claims: dict, claim: str = "groups") -> Assignment:
    return assignment_for_claims(claims, table=TABLE, groups_claim=claim)


def test_mapping_one_group_gives_its_clinic_and_role() -> None:
    assert _assign({"groups": ["staff", "derm-clinicians"]}) == Assignment(
        organisation="riverside", roles=frozenset({"clinician"}), groups=("derm-clinicians",))


def test_mapping_several_groups_of_one_clinic_add_their_roles() -> None:
    assignment = _assign({"groups": ["derm-clinicians", "derm-reviewers"]})
    assert assignment.roles == {"clinician", "reviewer", "auditor"}
    assert assignment.organisation == "riverside"


def test_mapping_reads_the_configured_claim_and_a_single_string() -> None:
    assert _assign({"roles": "derm-clinicians", "groups": ["hill-clinicians"]}, claim="roles").organisation == (
        "riverside")


@pytest.mark.parametrize("claims", [{}, {"groups": []}, {"groups": ["marketing"]}, {"groups": 42},
                                    {"groups": [{"name": "derm-clinicians"}]}, {"email": "a@riverside.example"}])
def test_mapping_unmapped_claims_are_refused(claims: dict) -> None:
    with pytest.raises(MappingRefused) as refused:
        _assign(claims)
    assert refused.value.reason == "unmapped_group"


def test_mapping_groups_of_two_clinics_are_refused() -> None:
    with pytest.raises(MappingRefused) as refused:
        _assign({"groups": ["derm-clinicians", "hill-clinicians"]})
    assert refused.value.reason == "conflicting_clinics"
    assert set(refused.value.groups) == {"derm-clinicians", "hill-clinicians"}


def test_mapping_group_names_are_matched_exactly() -> None:
    with pytest.raises(MappingRefused):
        _assign({"groups": ["Derm-Clinicians", "derm-clinicians "]})


def test_claim_groups_ignores_non_strings() -> None:
    assert claim_groups({"groups": ["a", 1, None, "b"]}, "groups") == ("a", "b")


@pytest.mark.parametrize(("raw", "message"), [
    ("{not json", "is not valid JSON"),
    ("[]", "must be a JSON object"),
    ('{"g": {"role": "clinician"}}', "group 'g' needs an \"organisation\""),
    ('{"g": {"organisation": "riverside"}}', "needs a \"role\" or a non-empty list"),
    ('{"g": {"organisation": "riverside", "roles": []}}', "needs a \"role\" or a non-empty list"),
    ('{"g": {"organisation": "riverside", "role": "operator"}}', "unknown role(s) ['operator']"),
    ('{"g": {"organisation": "riverside", "role": "superuser"}}', "unknown role(s) ['superuser']"),
    ('{"g": {"organisation": "riverside", "role": "clinician", "is_superuser": true}}', "unknown key(s)"),
])
def test_parse_group_map_refuses_bad_tables_naming_the_problem(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=None) as refused:
        parse_group_map(raw)
    assert message in str(refused.value)


def test_parse_group_map_empty_is_an_empty_table() -> None:
    assert parse_group_map("") == {} and parse_group_map("{}") == {}
