"""A signed lesion type comes from the diagnosis vocabulary, and no spelling trick lets one reviewer finalise a
high-risk finding: hidden characters are refused with a field error, look-alikes and other names of a cancer are
mapped to its class, and AI text that names no class is high-risk until a reviewer picks one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dermreview.cases.models import Case, CaseStatus
from dermreview.drafting.models import FINDING_FIELDS
from dermreview.review.errors import ReviewInvalid
from dermreview.review.forms import AmendForm, ReviewSignForm, UngradableForm, opened_token
from dermreview.review.models import BlindFinding, Review
from dermreview.review.services.blind import blind_finding_record
from dermreview.review.services.finding_checks import clean_fields_collecting
from dermreview.review.services.queue import review_queue
from tests import factories
from tests.dermreview.review.review_helpers import NEVUS, first_draft, ready_case, sign

pytestmark = pytest.mark.django_db

BUT_LESION_TYPE = [name for name in FINDING_FIELDS if name != "lesion_type"]


def _sign_lesion_type(case: Case, reviewer: object, lesion_type: str) -> Review:
    return sign(case, reviewer, fields={**NEVUS, "lesion_type": lesion_type}, confirmed=BUT_LESION_TYPE)


def _status(case: Case) -> str:
    case.refresh_from_db()
    return case.status


@pytest.mark.parametrize(("text", "named", "position"), [
    ("mela\u200bnoma", "U+200B ZERO WIDTH SPACE", 5),
    ("mela\u00adnoma", "U+00AD SOFT HYPHEN", 5),
    ("\u202emelanoma", "U+202E RIGHT-TO-LEFT OVERRIDE", 1),
    ("naevus\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE", 7),
    ("nae\x07vus", "U+0007", 4),
    ("nae\ue000vus", "U+E000", 4),
])
def test_signing_a_hidden_character_is_a_field_error_naming_it(alice, bob, text, named, position):
    case = ready_case(alice)
    with pytest.raises(ReviewInvalid) as caught:
        _sign_lesion_type(case, bob, text)
    message = caught.value.errors["lesion_type"]
    assert named in message and f"at position {position}" in message
    assert _status(case) == CaseStatus.AWAITING_REVIEW and not Review.objects.exists()


def test_hidden_characters_are_refused_in_every_finding_field(alice, bob):
    case = ready_case(alice)
    with pytest.raises(ReviewInvalid) as caught:
        sign(case, bob, fields={**NEVUS, "summary": "Benign.\u200b", "color": "brown\u202e"},
             confirmed=["lesion_type", "symmetry", "borders", "texture"])
    assert {"summary", "color"} <= set(caught.value.errors)
    assert "invisible or direction-changing" in caught.value.errors["summary"]


@pytest.mark.parametrize(("text", "code"), [
    ("mel\u0430noma", "mel"),  # Cyrillic a
    ("\uff4d\uff45\uff4c\uff41\uff4e\uff4f\uff4d\uff41", "mel"),  # fullwidth: NFKC makes it "melanoma"
    ("basal \u1d04ell carcinoma", "bcc"),  # small capital c
    ("lentigo maligna", "lm"),
    ("B.C.C.", "bcc"),
    ("Bowen's disease", "scc-is"),
])
def test_a_high_risk_class_however_written_needs_a_second_review(alice, bob, text, code):
    case = ready_case(alice)  # the AI drafted a benign naevus
    review = _sign_lesion_type(case, bob, text)
    assert _status(case) == CaseStatus.NEEDS_SECOND_REVIEW
    case.refresh_from_db()
    assert case.high_risk and review.lesion_class.code == code and review.lesion_class.high_risk


def test_the_signed_text_is_kept_and_its_class_stored_beside_it(alice, bob):
    case = ready_case(alice)
    review = _sign_lesion_type(case, bob, "Compound naevus, 4 mm")
    assert _status(case) == CaseStatus.FINAL
    assert review.lesion_type == "Compound naevus, 4 mm" and review.lesion_class.code == "naevus-compound"


def test_a_lesion_type_outside_the_vocabulary_is_a_field_error(alice, bob):
    case = ready_case(alice)
    with pytest.raises(ReviewInvalid) as caught:
        _sign_lesion_type(case, bob, "weird blob")
    assert "Not a lesion type of the diagnosis vocabulary" in caught.value.errors["lesion_type"]
    with pytest.raises(ReviewInvalid) as caught:
        _sign_lesion_type(case, bob, "me\u13a2anoma")  # a look-alike no table knows
    assert "alphabets" in caught.value.errors["lesion_type"]
    assert _status(case) == CaseStatus.AWAITING_REVIEW


def test_an_ai_draft_naming_bcc_with_dots_needs_a_second_review_even_when_the_reviewer_disagrees(alice, bob):
    case = ready_case(alice, draft={**NEVUS, "lesion_type": "B.C.C."})
    review = _sign_lesion_type(case, bob, "melanocytic naevus")
    assert _status(case) == CaseStatus.NEEDS_SECOND_REVIEW and review.lesion_class.code == "naevus"


def test_an_unmapped_ai_value_is_high_risk_until_the_reviewer_picks_a_benign_class(alice, bob):
    case = ready_case(alice, draft={**NEVUS, "lesion_type": "weird blob"})
    assert review_queue(user=bob).get(pk=case.pk).is_high_risk
    with pytest.raises(ReviewInvalid):
        sign(case, bob)  # accepting the AI's text: it names no class
    review = _sign_lesion_type(case, bob, "seborrhoeic keratosis")
    assert _status(case) == CaseStatus.FINAL
    assert review.lesion_class.code == "sk" and not review.lesion_class.high_risk


def test_an_unmapped_ai_value_signed_as_a_high_risk_class_needs_a_second_review(alice, bob):
    case = ready_case(alice, draft={**NEVUS, "lesion_type": "weird blob"})
    _sign_lesion_type(case, bob, "nodular melanoma")
    assert _status(case) == CaseStatus.NEEDS_SECOND_REVIEW


def test_a_clinics_own_class_is_accepted_for_that_clinic_only(alice, mallory):
    own = factories.DiagnosisClassFactory(organisation=alice.organisation, name="Porokeratosis")
    errors: dict[str, str] = {}
    fields = {**NEVUS, "lesion_type": "porokeratosis, linear"}
    assert clean_fields_collecting(fields, errors, organisation_id=alice.organisation_id)["lesion_class"] == own
    assert errors == {}
    clean_fields_collecting(fields, errors, organisation_id=mallory.organisation_id)
    assert "lesion_type" in errors


# --- blind-first entry --------------------------------------------------------------------------------------


def test_blind_finding_stores_its_class_and_refuses_hidden_characters(alice, bob):
    case = ready_case(alice, blind_first=True)
    with pytest.raises(ReviewInvalid) as caught:
        blind_finding_record(case=case, reviewer=bob, fields={**NEVUS, "lesion_type": "mela\u200bnoma"})
    assert "U+200B ZERO WIDTH SPACE" in caught.value.errors["lesion_type"]
    with pytest.raises(ReviewInvalid):
        blind_finding_record(case=case, reviewer=bob, fields={**NEVUS, "lesion_type": "weird blob"})
    finding = blind_finding_record(case=case, reviewer=bob, fields={**NEVUS, "lesion_type": "lentigo maligna"})
    assert finding.lesion_class.code == "lm" and BlindFinding.objects.get().lesion_class.high_risk


def test_blind_finding_accepts_the_clinics_own_class(alice, bob):
    own = factories.DiagnosisClassFactory(organisation=alice.organisation, name="Porokeratosis")
    case = ready_case(alice, blind_first=True)
    finding = blind_finding_record(case=case, reviewer=bob, fields={**NEVUS, "lesion_type": "Porokeratosis"})
    assert finding.lesion_class == own


# --- forms: the same refusal, on the field ----------------------------------------------------------------


@pytest.mark.parametrize(("lesion_type", "message"), [
    ("mela\u200bnoma", "U+200B ZERO WIDTH SPACE) at position 5"),  # the form refuses it
    ("weird blob", "Not a lesion type of the diagnosis vocabulary"),  # the service does, on the same field
])
def test_review_page_shows_a_bad_lesion_type_on_its_field(client, alice, bob, lesion_type, message):
    case = ready_case(alice)
    draft = first_draft(case)
    client.force_login(bob)
    assert client.post(reverse("review:claim", args=[case.pk])).status_code == 302
    case.refresh_from_db()
    form = {
        **draft.finding_fields(), "lesion_type": lesion_type, "draft_id": draft.pk,
        "lock_version": case.lock_version, "action": "sign", "attestation": "on",
        "opened": opened_token(case_id=case.pk, opened_at=timezone.now() - timedelta(seconds=30)),
        **{f"confirm_{name}": "on" for name in BUT_LESION_TYPE},
    }
    response = client.post(reverse("review:case", args=[case.pk]), form)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["lesion_type"])
    assert not Review.objects.exists()


def test_review_page_lists_the_vocabulary_for_the_lesion_type(client, alice, bob):
    case = ready_case(alice)
    client.force_login(bob)
    client.post(reverse("review:claim", args=[case.pk]))
    body = client.get(reverse("review:case", args=[case.pk])).content.decode()
    assert '<option value="Lentigo maligna">' in body and '<option value="Basal cell carcinoma">' in body
    assert 'id="hint-lesion_type"' in body


@pytest.mark.parametrize(("form_class", "data", "field"), [
    (ReviewSignForm, {"rejection_reason": "unusable\u200b"}, "rejection_reason"),
    (AmendForm, {"reason": "typo \u202efixed"}, "reason"),
    (UngradableForm, {"category": "other", "detail": "blur\u2060red"}, "detail"),
])
def test_reasons_and_notes_refuse_hidden_characters(form_class, data, field):
    form = form_class(data=data)
    assert not form.is_valid()
    assert "invisible or direction-changing" in " ".join(form.errors[field])


def test_forms_normalise_text_to_nfkc():
    form = UngradableForm(data={"category": "other", "detail": "\uff42\uff4c\uff55\uff52"})
    assert form.is_valid() and form.cleaned_data["detail"] == "blur"
