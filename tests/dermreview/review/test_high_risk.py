"""One high-risk predicate, through the diagnosis vocabulary: the Python check the sign-off uses and its SQL twin
(queue, alarms) agree row by row, Unicode attacks included."""

from __future__ import annotations

import pytest

from dermreview.cases.models import CaseStatus, diagnosis_class_match
from dermreview.drafting.models import Draft
from dermreview.oversight.services.alarms import reviewer_behaviour
from dermreview.review.errors import ReviewNotAllowed
from dermreview.review.services.queue import review_queue, review_queue_counts
from dermreview.review.services.rules import (
    UNRECOGNISED,
    any_high_risk,
    high_risk_class_named,
    high_risk_q,
    is_high_risk,
)
from tests import factories
from tests.dermreview.oversight.conftest import bulk_reviews, snapshot
from tests.dermreview.review.review_helpers import CARD_MELANOMA, NEVUS, engine_drafted_case, ready_case, sign

pytestmark = pytest.mark.django_db

# AI draft text -> high-risk. Text that names no class of the vocabulary is high-risk until a human picks one.
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
    ("benign naevus, ?melanoma", True),  # the most serious class named wins
    ("basal cell carcinoma", True),
    ("Basal-cell carcinoma", True),
    ("basal_cell / carcinoma", True),
    ("basal\tcell\ncarcinoma", True),
    ("nodular BCC", True),
    ("BCCs", True),
    ("squamous cell carcinoma", True),
    ("cutaneous squamous  cell carcinoma", True),
    ("cSCC", True),
    # the attacks of the security issue: hidden characters, look-alikes, other names of the same cancers
    ("mela\u200bnoma", True),  # zero-width space
    ("mela\u00adnoma", True),  # soft hyphen
    ("mel\u2060anoma", True),  # word joiner
    ("\u202emelanoma\u202c", True),  # right-to-left override
    ("mel\u0430noma", True),  # Cyrillic a
    ("m\u0435lanoma", True),  # Cyrillic e
    ("\uff4d\uff45\uff4c\uff41\uff4e\uff4f\uff4d\uff41", True),  # fullwidth
    ("\U0001d426\U0001d41e\U0001d425\U0001d41a\U0001d427\U0001d428\U0001d426\U0001d41a", True),  # mathematical bold
    ("basal \u1d04ell carcinoma", True),  # small capital c
    ("\u0392CC", True),  # Greek capital Beta
    ("lentigo maligna", True),
    ("Lentigo maligna melanoma", True),
    ("B.C.C.", True),
    ("bcc", True),
    ("b.c.c", True),
    ("rodent ulcer", True),
    ("Bowen's disease", True),
    ("Bowen\u2019s disease", True),
    ("SCC in situ", True),
    ("keratoacanthoma", True),
    ("Merkel-cell carcinoma", True),
    # no class named: high-risk until a reviewer picks one
    ("weird blob", True),
    ("melanomatous", True),
    ("premelanoma", True),
    ("melanoma2", True),
    ("carcinoma", True),
    ("bccx", True),
    ("me\u13a2anoma", True),  # a look-alike no table knows (Cherokee): the mixed word matches nothing
    ("", True),
    # benign classes
    ("benign naevus", False),
    ("melanocytic nevus", False),
    ("Naevi", False),
    ("mole", False),
    ("seborrhoeic keratosis", False),
    ("Seborrheic keratosis.", False),
    ("S.K.", False),
    ("blue nevus", False),
    ("dermatofibroma", False),
    ("actinic keratosis", False),
    ("solar lentigo", False),
    ("cherry angioma", False),
    ("haemangioma", False),
    ("\uff53\uff45\uff42\uff4f\uff52\uff52\uff48\uff4f\uff45\uff49\uff43 keratosis", False),  # fullwidth, benign
]


def _drafts_with_lesion_types(texts: list[str]) -> dict[int, str]:
    """One ready draft per text (all on one photo), as {draft pk: text}."""
    image = factories.LesionImageFactory()
    return {
        factories.DraftFactory(image=image, prompt_version=f"t-{i}", lesion_type=text).pk: text
        for i, text in enumerate(texts)
    }


def _sql_matches(rows: dict[int, str], organisation_id: int | None = None) -> set[int]:
    drafts = Draft.objects.filter(pk__in=rows)
    q = high_risk_q("lesion_type", rows=drafts, organisation_id=organisation_id)
    return set(drafts.filter(q).values_list("pk", flat=True))


def test_is_high_risk_pins_todays_answers():
    assert [text for text, expected in TABLE if is_high_risk(text) != expected] == []


def test_high_risk_python_and_sql_agree_row_by_row():
    rows = _drafts_with_lesion_types([text for text, _ in TABLE])
    in_sql = _sql_matches(rows)
    disagreements = {text: (is_high_risk(text), pk in in_sql) for pk, text in rows.items()
                     if is_high_risk(text) != (pk in in_sql)}
    assert disagreements == {}
    assert len(in_sql) == sum(expected for _, expected in TABLE)


def test_high_risk_sql_twin_counts_a_text_written_after_it_was_built_as_high_risk():
    rows = _drafts_with_lesion_types(["benign naevus", "melanoma"])
    drafts = Draft.objects.filter(pk__in=rows)
    q = high_risk_q("lesion_type", rows=drafts)
    later = factories.DraftFactory(lesion_type="dermatofibroma")  # benign, but unseen when the filter was built
    assert set(Draft.objects.filter(q).values_list("lesion_type", flat=True)) == {"melanoma", "dermatofibroma"}
    assert later.pk not in rows


@pytest.mark.parametrize(("text", "code"), [
    ("Amelanotic MELANOMA in situ", "mel-amel"),
    ("nodular B.C.C., 6 mm", "bcc-nod"),
    ("benign naevus, ?melanoma", "mel"),
    ("blue naevus", "naevus-blue"),
    ("Bowen's disease", "scc-is"),
    ("mel\u0430noma", "mel"),
    ("basal \u1d04ell carcinoma", "bcc"),
    ("SK", "sk"),
    ("weird blob", None),
    ("naevus with surrounding dermatitis", "naevus"),  # benign: the class named first
])
def test_diagnosis_class_match_maps_names_synonyms_and_abbreviations(text, code):
    found = diagnosis_class_match(text)
    assert (found.code if found else None) == code


def test_high_risk_class_named_names_only_a_mapped_high_risk_class():
    assert high_risk_class_named("B.C.C.") == "Basal cell carcinoma"
    assert high_risk_class_named("melanocytic nevus") is None
    assert high_risk_class_named("weird blob") is None  # names no class (is_high_risk still says True)
    assert any_high_risk(["melanocytic nevus", "weird blob"]) == UNRECOGNISED
    assert any_high_risk(["melanocytic nevus", "dermatofibroma"]) is None


def test_a_clinics_own_class_decides_for_that_clinic_only(alice, mallory):
    factories.DiagnosisClassFactory(organisation=alice.organisation, name="Porokeratosis of Mibelli",
                                    synonyms=["porokeratosis"], high_risk=False)
    assert not is_high_risk("porokeratosis", organisation_id=alice.organisation_id)
    assert is_high_risk("porokeratosis", organisation_id=mallory.organisation_id)  # unknown there
    rows = _drafts_with_lesion_types(["porokeratosis", "melanoma"])
    assert {rows[pk] for pk in _sql_matches(rows, alice.organisation_id)} == {"melanoma"}
    assert {rows[pk] for pk in _sql_matches(rows, mallory.organisation_id)} == {"porokeratosis", "melanoma"}


@pytest.mark.parametrize(("lesion_type", "expected"), [
    ("Nodular melanoma", True), ("basal-cell carcinoma", True), ("B.C.C.", True), ("mel\u0430noma", True),
    ("weird blob", True), ("seborrhoeic keratosis", False)])
def test_queue_flags_a_case_exactly_when_its_draft_is_high_risk(alice, bob, lesion_type, expected):
    case = ready_case(alice, draft={**NEVUS, "lesion_type": lesion_type})
    queued = review_queue(user=bob).get(pk=case.pk)
    assert queued.is_high_risk is expected is is_high_risk(lesion_type)
    assert review_queue_counts(cases=review_queue(user=bob)).high_risk == int(expected)


def test_alarm_counts_a_high_risk_draft_as_the_sign_off_does(alice, bob):
    # "nodular melanoma", "B.C.C." and an unmapped text count; a benign class does not.
    for lesion_type in ["nodular melanoma", "B.C.C.", "mel\u0430noma", "weird blob", "benign naevus"]:
        bulk_reviews(organisation=alice.organisation, reviewer=bob, count=1,
                     draft_snapshot=snapshot(fields={"lesion_type": lesion_type}))
    (behaviour,) = reviewer_behaviour(organisation_id=alice.organisation_id, window=10, high_risk_only=True)
    assert behaviour.n == 4


def test_high_risk_case_flag_still_counts_for_the_alarm(alice, bob):
    bulk_reviews(organisation=alice.organisation, reviewer=bob, count=3, high_risk=True,
                 draft_snapshot=snapshot(fields={"lesion_type": "benign naevus"}))
    (behaviour,) = reviewer_behaviour(organisation_id=alice.organisation_id, window=10, high_risk_only=True)
    assert behaviour.n == 3


def test_a_card_melanoma_drafted_by_the_engine_needs_a_second_different_reviewer(alice, bob, dave):
    # Queued, claimed and stored from the engine's result by the real drafting services, in the card's words.
    case = engine_drafted_case(alice, finding=CARD_MELANOMA)
    assert not case.high_risk and review_queue(user=bob).get(pk=case.pk).is_high_risk

    first = sign(case, bob)  # takes the AI's lesion type: the class it maps to is what is signed
    case.refresh_from_db()
    assert first.lesion_class.code == "mel-ss" and first.lesion_class.high_risk
    assert case.status == CaseStatus.NEEDS_SECOND_REVIEW and case.high_risk
    with pytest.raises(ReviewNotAllowed) as caught:
        sign(case, bob)
    assert caught.value.code == "same_reviewer"
    sign(case, dave)
    case.refresh_from_db()
    assert case.status == CaseStatus.FINAL


def test_a_card_melanoma_draft_needs_a_second_reviewer_even_when_the_first_calls_it_a_naevus(alice, bob):
    case = engine_drafted_case(alice, finding=CARD_MELANOMA)

    sign(case, bob, fields={**CARD_MELANOMA, "lesion_type": "Melanocytic naevus"},
         confirmed=[name for name in CARD_MELANOMA if name != "lesion_type"])

    case.refresh_from_db()
    assert case.status == CaseStatus.NEEDS_SECOND_REVIEW
