"""Who signed an exported finding: every sign-off of its version, in round order.

A finding row is its version's last sign-off: round 1 for a single review, round 2 for a dual review, round 3 when
a disagreement between rounds 1 and 2 was settled (by a third reviewer, or by the two agreeing). The sign-offs
before it are therefore rounds 1 and 2 at most, and each is one LEFT JOIN of the version's row for that round (only
rounds below the finding's own): a fixed number of columns per finding row, never a query per finding.

The JSON and FHIR records list the signers as dicts (`signer_entries`); the CSV writer joins the same values into
its `;`-separated cells straight from the row (`Signer` tuples), without building the dicts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from django.db.models import F, FilteredRelation, Q, TextField
from django.db.models.functions import Cast

# The rounds a finding's own sign-off can follow; round 3 follows both.
EARLIER_ROUNDS = (1, 2)
_SIGNER_COLUMNS = ("id", "reviewer_id", "reviewer__username", "outcome", "signed_at")
SIGNER_WIDTH = len(_SIGNER_COLUMNS) + 1  # and the round's edited fields, as JSON text


class Signer(NamedTuple):
    """One sign-off of the finding's version, as its row carries it (`edited_text`: its edited fields as JSON)."""

    review_id: int
    round: int
    reviewer_id: int
    username: str
    outcome: str
    signed_at: datetime
    edited_text: str | None


def _alias(round_no: int) -> str:
    return f"round_{round_no}"


def earlier_round_relations() -> dict[str, FilteredRelation]:
    """One LEFT JOIN per earlier round: exactly that round of the same version, and only below the row's own (so a
    round-1 finding joins nothing and a settled finding stays one row)."""
    return {
        _alias(n): FilteredRelation("case__reviews", condition=Q(
            case__reviews__round=n, case__reviews__round__lt=F("round"), case__reviews__version=F("version"),
        ))
        for n in EARLIER_ROUNDS
    }


def earlier_round_lists() -> dict[str, Cast]:
    """Each earlier round's edited fields as JSON text (decoded by `field_names` only when not empty)."""
    return {f"{_alias(n)}_edited_text": Cast(f"{_alias(n)}__edited_fields", TextField()) for n in EARLIER_ROUNDS}


def earlier_round_columns() -> tuple[str, ...]:
    """The `values_list` columns of the earlier rounds, SIGNER_WIDTH per round, in round order."""
    return tuple(
        column for n in EARLIER_ROUNDS
        for column in (*(f"{_alias(n)}__{name}" for name in _SIGNER_COLUMNS), f"{_alias(n)}_edited_text")
    )


def earlier_signers(values: Sequence[Any]) -> list[Signer]:
    """The earlier sign-offs a finding row carries (`earlier_round_columns` values), the missing rounds left out."""
    signers = []
    for round_no, at in zip(EARLIER_ROUNDS, range(0, len(values), SIGNER_WIDTH), strict=True):
        review_id, reviewer_id, username, outcome, signed_at, edited_text = values[at:at + SIGNER_WIDTH]
        if review_id is not None:
            signers.append(Signer(review_id, round_no, reviewer_id, username, outcome, signed_at, edited_text))
    return signers


def signer_entries(earlier: Sequence[Signer], own: Signer) -> list[dict[str, Any]]:
    """The `reviewers` of a finding record: every signer of the version, the finding's own sign-off last."""
    return [
        {"review_id": s.review_id, "round": s.round, "id": s.reviewer_id, "username": s.username,
         "outcome": s.outcome, "edited_fields": field_names(s.edited_text), "signed_at": s.signed_at.isoformat()}
        for s in (*earlier, own)
    ]


def field_names(json_text: str | None) -> list[str]:
    """A stored list of finding-field names, from its JSON text (`["color", "summary"]`)."""
    if not json_text or json_text == "[]":
        return []
    if "\\" in json_text:
        return json.loads(json_text)
    # Plain identifiers, no escapes: split the text instead of running the JSON decoder on every row.
    return [name.strip(' "') for name in json_text[1:-1].split(",")]
