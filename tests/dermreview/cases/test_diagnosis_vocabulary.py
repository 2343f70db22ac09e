"""The diagnosis vocabulary (seeded by migration, extended by a clinic's administrator) and the case's free text:
NFKC, and hidden characters refused with the character and its position, in the form, the API and the service."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from dermreview.audit.models import AuditEvent
from dermreview.cases.forms import CaseEditForm, CaseForm
from dermreview.cases.models import Case, DiagnosisClass
from dermreview.cases.services.case import case_create, case_update
from dermreview.cases.services.diagnosis_class import diagnosis_class_save
from tests.factories import DiagnosisClassFactory

pytestmark = pytest.mark.django_db

MELANOMAS = ["mel", "mel-is", "mel-ss", "mel-nod", "lm", "lmm", "mel-acral", "mel-amel", "mel-desmo"]
KERATINOCYTE_CANCERS = ["bcc", "bcc-nod", "bcc-sup", "bcc-morph", "scc", "scc-is", "ka"]
BENIGN = ["naevus", "naevus-dysplastic", "naevus-blue", "naevus-spitz", "sk", "df", "haemangioma", "solar-lentigo",
          "ak", "bkl"]


def test_seeded_vocabulary_flags_every_melanoma_and_keratinocyte_cancer_and_no_benign_class():
    shared = {c.code: c for c in DiagnosisClass.objects.filter(organisation__isnull=True)}
    assert len(shared) >= 50 and all(c.active for c in shared.values())
    assert {code: shared[code].high_risk for code in MELANOMAS + KERATINOCYTE_CANCERS} == dict.fromkeys(
        MELANOMAS + KERATINOCYTE_CANCERS, True)
    assert {code: shared[code].high_risk for code in BENIGN} == dict.fromkeys(BENIGN, False)
    assert "B.C.C." not in shared["bcc"].abbreviations and "BCC" in shared["bcc"].abbreviations  # dots don't matter
    assert "Bowen's disease" in shared["scc-is"].synonyms and "rodent ulcer" in shared["bcc"].synonyms


def test_every_shared_name_means_one_class():
    vocabulary = DiagnosisClass.objects.vocabulary()
    for diagnosis in vocabulary.classes:
        for term in diagnosis.terms():
            assert vocabulary.match(term) == diagnosis, term


# --- free text of a case --------------------------------------------------------------------------------------


def test_case_service_refuses_hidden_characters_naming_the_field(alice):
    with pytest.raises(ValidationError) as caught:
        case_create(user=alice, patient_ref="PT-0001", body_site="back", lesion_label="L1\u200b left",
                    clinical_notes="Itchy.\u202e")
    errors = caught.value.message_dict
    assert "U+200B ZERO WIDTH SPACE) at position 3" in errors["lesion_label"][0]
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in errors["clinical_notes"][0]
    assert not Case.objects.exists()


def test_case_service_normalises_text_to_nfkc_and_keeps_note_line_breaks(alice):
    case = case_create(user=alice, patient_ref="\uff30\uff34-0001", body_site="back", lesion_label="L1",
                       clinical_notes="First line.\r\nSecond line.")
    assert case.patient_ref == "PT-0001" and case.clinical_notes == "First line.\nSecond line."
    with pytest.raises(ValidationError) as caught:
        case_update(case=case, user=alice, lesion_label="L\u20601")
    assert "U+2060 WORD JOINER" in caught.value.message_dict["lesion_label"][0]


@pytest.mark.parametrize("form_class", [CaseForm, CaseEditForm])
def test_case_forms_report_a_hidden_character_on_its_field(form_class):
    form = form_class(data={"patient_ref": "PT-1", "body_site": "back", "lesion_label": "L\u200d1",
                            "clinical_notes": "ok"})
    assert not form.is_valid()
    assert "U+200D ZERO WIDTH JOINER) at position 2" in form.errors["lesion_label"][0]


def test_case_form_names_a_hidden_character_in_the_patient_reference():
    form = CaseForm(data={"patient_ref": "PT\u200b-1", "body_site": "back"})
    assert not form.is_valid() and "U+200B ZERO WIDTH SPACE" in form.errors["patient_ref"][0]


def test_case_api_refuses_hidden_characters_with_a_field_error(alice):
    client = APIClient()
    client.force_authenticate(alice)
    response = client.post("/api/v1/cases/", {"patient_ref": "PT\u200b-1", "body_site": "back",
                                              "lesion_label": "L1\u202e", "clinical_notes": "ok"}, format="json")
    assert response.status_code == 400, response.content
    fields = response.json()["fields"]
    assert "U+200B ZERO WIDTH SPACE" in fields["patient_ref"][0] and "U+202E" in fields["lesion_label"][0]
    created = client.post("/api/v1/cases/", {"patient_ref": "PT-2", "body_site": "back",
                                             "lesion_label": "\uff2c\uff11"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["lesion_label"] == "L1"


# --- a clinic's own classes -----------------------------------------------------------------------------------


def test_clinic_admin_adds_a_class_for_their_clinic_and_it_is_audited(adam):
    added = diagnosis_class_save(user=adam, diagnosis_class=DiagnosisClass(
        code="porokeratosis", name="Porokeratosis", synonyms=["porokeratosis of Mibelli"], high_risk=False))
    assert added.organisation_id == adam.organisation_id
    event = AuditEvent.objects.get(action="diagnosis_class.create")
    assert event.actor == adam and event.details["name"] == "Porokeratosis"
    assert DiagnosisClass.objects.vocabulary(adam.organisation_id).match("porokeratosis of mibelli") == added
    assert DiagnosisClass.objects.vocabulary(None).match("porokeratosis") is None


def test_clinic_class_cannot_take_a_shared_name_nor_change_a_shared_or_foreign_class(adam, hana, bob):
    with pytest.raises(ValidationError) as caught:
        diagnosis_class_save(user=adam, diagnosis_class=DiagnosisClass(
            code="my-mel", name="Mole", synonyms=["melanoma"], high_risk=False))
    assert "Already names a shared class" in str(caught.value)
    shared = DiagnosisClass.objects.get(organisation=None, code="mel")
    shared.high_risk = False
    with pytest.raises(PermissionDenied):
        diagnosis_class_save(user=adam, diagnosis_class=shared)
    foreign = DiagnosisClassFactory(organisation=hana.organisation)
    with pytest.raises(PermissionDenied):
        diagnosis_class_save(user=adam, diagnosis_class=foreign)
    with pytest.raises(PermissionDenied):
        diagnosis_class_save(user=bob, diagnosis_class=DiagnosisClass(code="x", name="X"))
    assert DiagnosisClass.objects.get(pk=shared.pk).high_risk


def test_admin_lists_shared_and_own_classes_and_edits_only_own(client_for, adam, hana):
    own = DiagnosisClassFactory(organisation=adam.organisation, name="Porokeratosis")
    foreign = DiagnosisClassFactory(organisation=hana.organisation, name="Hana's lesion")
    client = client_for(adam)
    listed = client.get(reverse("admin:cases_diagnosisclass_changelist") + "?all=")
    assert listed.status_code == 200
    names = {c.name for c in listed.context["cl"].queryset}
    assert {"Porokeratosis", "Melanoma"} <= names and foreign.name not in names
    shared = DiagnosisClass.objects.get(organisation=None, code="mel")
    page = client.get(reverse("admin:cases_diagnosisclass_change", args=[shared.pk]))
    assert page.status_code == 200 and page.context["has_change_permission"] is False
    assert client.get(reverse("admin:cases_diagnosisclass_change", args=[foreign.pk])).status_code == 302
    changed = client.post(reverse("admin:cases_diagnosisclass_change", args=[own.pk]), {
        "code": own.code, "name": own.name, "synonyms": "poro\nDSAP", "abbreviations": "", "high_risk": "on",
        "active": "on", "ordering": 5})
    assert changed.status_code == 302, changed.context["adminform"].form.errors if changed.context else ""
    own.refresh_from_db()
    assert own.synonyms == ["poro", "DSAP"] and own.high_risk
    assert AuditEvent.objects.filter(action="diagnosis_class.update", actor=adam).exists()
    refused = client.post(reverse("admin:cases_diagnosisclass_add"), {
        "code": "hidden", "name": "Hidden", "synonyms": "mela\u200bnoma", "abbreviations": "", "ordering": 1})
    assert refused.status_code == 200 and "U+200B" in str(refused.context["adminform"].form.errors["synonyms"])
