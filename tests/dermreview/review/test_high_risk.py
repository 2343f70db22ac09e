"""One high-risk predicate: the Python check the sign-off uses and its SQL twin (queue, alarms) agree row by row."""

from __future__ import annotations

import pytest

from dermreview.drafting.models import Draft
from dermreview.oversight.services.alarms import reviewer_behaviour
from dermreview.review.services.queue import review_queue
from dermreview.review.services.rules import high_risk_class_named, high_risk_q, is_high_risk
from tests import factories
from tests.dermreview.oversight.conftest import bulk_reviews, snapshot
from tests.dermreview.review.review_helpers import NEVUS, ready_case

pytestmark = pytest.mark.django_db

# Text -> high-risk under the default classes (melanoma, basal cell carcinoma, squamous cell carcinoma).
TABLE: list[tuple[str, bool]] = [
    ("Melanoma", True),
    ("melanoma in situ", True),
    ("nodular melanoma", True),
    ("  MELANOMA ", True),
    ("Melanoma.", True),
    ("melanomas", True),
    ("amelanotic melanoma", True),
    ("?melanoma", True),
    ("not melanoma", True),  # hedged or negated mentions count: a miss costs more than a second look
    ("rule out melanoma\n", True),
    ("basal cell carcinoma", True),
    ("Basal-cell carcinoma", True),
    ("basal_cell / carcinoma", True),
    ("basal\tcell\ncarcinoma", True),  # any whitespace between words, in both twins
    ("nodular BCC", True),
    ("BCCs", True),
    ("squamous cell carcinoma", True),
    ("cutaneous squamous  cell carcinoma", True),
    ("cSCC", True),
    ("benign naevus", False),
    ("melanocytic nevus", False),
    ("seborrhoeic keratosis", False),
    ("melanomatous", False),
    ("premelanoma", False),
    ("melanoma2", False),
    ("squamous cell", False),
    ("carcinoma", False),
    ("bccx", False),
    ("", False),
]


def _drafts_with_lesion_types(texts: list[str]) -> dict[int, str]:
    """One ready draft per text (all on one photo), as {draft pk: text}."""
    image = factories.LesionImageFactory()
    return {
        factories.DraftFactory(image=image, prompt_version=f"t-{i}", lesion_type=text).pk: text
        for i, text in enumerate(texts)
    }


def _sql_matches(rows: dict[int, str]) -> set[int]:
    return set(Draft.objects.filter(high_risk_q("lesion_type"), pk__in=rows).values_list("pk", flat=True))


def test_is_high_risk_pins_todays_answers():
    assert [text for text, expected in TABLE if is_high_risk(text) != expected] == []


def test_high_risk_python_and_sql_agree_row_by_row():
    rows = _drafts_with_lesion_types([text for text, _ in TABLE])
    in_sql = _sql_matches(rows)
    disagreements = {text: (is_high_risk(text), pk in in_sql) for pk, text in rows.items()
                     if is_high_risk(text) != (pk in in_sql)}
    assert disagreements == {}
    assert len(in_sql) == sum(expected for _, expected in TABLE)


def test_high_risk_twins_follow_the_configured_classes(settings):
    settings.DERMREVIEW_HIGH_RISK_CLASSES = ["Merkel-cell carcinoma"]
    texts = ["merkel cell carcinoma", "MERKEL CELL CARCINOMAS", "melanoma", "basal cell carcinoma", "merkel"]
    rows = _drafts_with_lesion_types(texts)
    in_sql = _sql_matches(rows)
    assert {rows[pk] for pk in in_sql} == {text for text in texts if is_high_risk(text)}
    assert {rows[pk] for pk in in_sql} == {"merkel cell carcinoma", "MERKEL CELL CARCINOMAS"}
    assert high_risk_class_named("Merkel cell carcinoma") == "merkel cell carcinoma"


def test_no_configured_classes_means_nothing_is_high_risk(settings, alice):
    settings.DERMREVIEW_HIGH_RISK_CLASSES = []
    rows = _drafts_with_lesion_types(["melanoma", "nevus"])
    assert _sql_matches(rows) == set()
    assert not is_high_risk("melanoma")
    # The queue still builds its query (an always-false filter, not an error).
    ready_case(alice, draft={**NEVUS, "lesion_type": "melanoma"})
    assert [case.is_high_risk for case in review_queue(user=alice)] == [False]


@pytest.mark.parametrize(("lesion_type", "expected"), [
    ("Nodular melanoma", True), ("basal-cell carcinoma", True), ("seborrhoeic keratosis", False)])
def test_queue_flags_a_case_exactly_when_its_draft_is_high_risk(alice, lesion_type, expected):
    case = ready_case(alice, draft={**NEVUS, "lesion_type": lesion_type})
    queued = review_queue(user=alice).get(pk=case.pk)
    assert queued.is_high_risk is expected is is_high_risk(lesion_type)


def test_alarm_counts_a_high_risk_draft_as_the_sign_off_does(alice, bob):
    # Before: only an exact class name ("melanoma") counted here, so "nodular melanoma" drafts escaped the alarm.
    for lesion_type in ["nodular melanoma", "BCC", "benign naevus"]:
        bulk_reviews(organisation=alice.organisation, reviewer=bob, count=1,
                     draft_snapshot=snapshot(fields={"lesion_type": lesion_type}))
    (behaviour,) = reviewer_behaviour(organisation_id=alice.organisation_id, window=10, high_risk_only=True)
    assert behaviour.n == 2


def test_high_risk_case_flag_still_counts_for_the_alarm(alice, bob):
    bulk_reviews(organisation=alice.organisation, reviewer=bob, count=3, high_risk=True,
                 draft_snapshot=snapshot(fields={"lesion_type": "benign naevus"}))
    (behaviour,) = reviewer_behaviour(organisation_id=alice.organisation_id, window=10, high_risk_only=True)
    assert behaviour.n == 3
