"""Real accuracy against recorded outcomes, on a fixture whose every figure is computed by hand below.

The fixture (model version A = m/one @ r1 · prompt p1 unless said; outcome date D = 2026-06-01):

| lesion | patient (Fitzpatrick) | outcome (confirmed by)       | counted visit: AI / blind / signed, plan, capture            |
|--------|-----------------------|------------------------------|--------------------------------------------------------------|
| L1     | P1 (II)               | Melanoma (histopathology)    | Melanoma / naevus / Melanoma (v2; v1 naevus voided), biopsy, dermoscopic |
| L2     | P1 (II)               | Melanoma (histopathology)    | naevus / Melanoma / Melanoma, biopsy, dermoscopic (D-5; the D-60 visit is older and the D+3 visit is after) |
| L3     | P1 (II)               | BCC (histopathology; an older naevus outcome voided) | BCC / BCC / BCC, biopsy, dermoscopic (signed on D itself) |
| L4     | P1 (II)               | Melanoma in situ (histopathology) | no class ("unusual pigmented blob") / none / Dysplastic naevus, biopsy, clinical |
| L5     | P2 (V)                | naevus (follow-up)           | Melanoma / naevus / naevus, monitor, clinical                 |
| L6     | P2 (V)                | naevus (histopathology)      | naevus / Melanoma / Melanoma, biopsy, clinical                |
| L7     | P3 (not recorded)     | SK (expert consensus)        | BCC / SK / SK, discharge, clinical                            |
| L8     | P3 (not recorded)     | Dysplastic naevus (histopathology) | naevus / naevus / naevus, monitor, clinical            |
| L9     | P1                    | Melanoma                     | only visit signed D+2: not counted (no visit before)          |
| L10    | P1                    | none                         | a signed visit, no outcome: not counted                        |
| L11    | P2                    | Melanoma (histopathology)    | model m/two: Melanoma / none / Melanoma (its own group)       |
| L12    | P3                    | naevus (follow-up)           | no draft (manual): - / none / naevus (the no-draft group)      |
| other  | another clinic        | Melanoma                     | Melanoma / - / Melanoma: never counted here                   |

High-risk (positive = the outcome's class is high-risk: L1-L4), model A:
- AI:    L1 TP, L2 FN, L3 TP, L4 TP (no class counts as high-risk), L5 FP, L6 TN, L7 FP, L8 TN -> TP 3 FN 1 TN 2 FP 2
- blind: L1 FN, L2 TP, L3 TP, (L4 none), L5 TN, L6 FP, L7 TN, L8 TN               -> TP 2 FN 1 TN 3 FP 1 (n 7)
- final: L1 TP, L2 TP, L3 TP, L4 FN, L5 TN, L6 FP, L7 TN, L8 TN                    -> TP 3 FN 1 TN 3 FP 1
Exact class: AI 3/8 (L1, L3, L6), blind 4/7 (L2, L3, L5, L7), final 5/8 (L1, L2, L3, L5, L7).
Biopsied or excised (plan biopsy, or histopathology): L1 L2 L3 L4 L6 L8 = 6; melanomas among them L1 L2 L4 = 3;
NNB = 6 / 3 = 2.0.

Wilson 95% by hand, z = 1.959964, z^2 = 3.841459:
  centre = (p + z^2/2n) / (1 + z^2/n), half = z * sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n)
- 3/4: denominator 1 + 3.841459/4 = 1.960365; centre (0.75 + 0.480182)/1.960365 = 0.627527;
       half 1.959964 * sqrt(0.046875 + 0.060023)/1.960365 = 0.326885 -> 0.3006-0.9544
- 2/4: centre (0.5 + 0.480182)/1.960365 = 0.500000; half 1.959964 * sqrt(0.0625 + 0.060023)/1.960365
       = 0.349961 -> 0.1500-0.8500
- 2/3: denominator 1 + 3.841459/3 = 2.280486; centre (0.666667 + 0.640243)/2.280486 = 0.573084;
       half 1.959964 * sqrt(0.074074 + 0.106707)/2.280486 = 0.365424 -> 0.2077-0.9385
- 3/6: denominator 1.640243; centre (0.5 + 0.320122)/1.640243 = 0.500000; half 1.959964 * sqrt(0.041667 +
       0.026676)/1.640243 = 0.312384 -> 0.1876-0.8124; the NNB interval inverts it: 1/0.8124 = 1.2309 to
       1/0.1876 = 5.3300
- 1/2 (AI, melanoma exactly: L1 found, L2 missed): 0.0945-0.9055; 5/6 (its specificity: only L5 called
  melanoma among the six others): denominator 1.640243, centre (0.833333 + 0.320122)/1.640243 = 0.703222,
  half 0.266725 -> 0.4365-0.9699
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dermreview.cases.models import Case, CaseStatus, DiagnosisClass, Lesion, LesionOutcome, Patient
from dermreview.oversight.selectors.accuracy import NO_DRAFT, outcome_readings
from dermreview.oversight.selectors.accuracy_figures import accuracy_page
from dermreview.oversight.selectors.strata import SPLITS
from dermreview.review.models import ReviewOutcome
from tests.dermreview.oversight.conftest import snapshot
from tests.factories import BlindFindingFactory, DraftFactory, LesionImageFactory, ReviewFactory, UserFactory

pytestmark = pytest.mark.django_db

D = date(2026, 6, 1)
MODEL_A = ("m/one", "r1", "p1")
MODEL_B = ("m/two", "r2", "p2")
MEL, NAEVUS, BCC = "Melanoma", "Melanocytic naevus", "Basal cell carcinoma"
SK, DYSPLASTIC, NO_CLASS_TEXT = "Seborrhoeic keratosis", "Dysplastic naevus", "unusual pigmented blob"


def _at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _class(code: str) -> DiagnosisClass:
    return DiagnosisClass.objects.get(organisation__isnull=True, code=code)


def _lesion(patient: Patient) -> Lesion:
    return Lesion.objects.create(patient=patient, body_site="back")


def _outcome(lesion: Lesion, code: str, *, by, confirm: str = "histopathology", voided: bool = False) -> None:  # noqa: ANN001
    LesionOutcome.objects.create(
        lesion=lesion, diagnosis_class=_class(code), diagnosed_on=D, confirm_type=confirm, recorded_by=by,
        voided_at=timezone.now() if voided else None, voided_by=by if voided else None,
        void_reason="entered on the wrong lesion" if voided else "",
    )


def _visit(lesion: Lesion, *, by, signed: datetime, final: str, ai: str | None = None,  # noqa: ANN001
           blind: str | None = None, plan: str = "monitor", capture: str = "clinical", model=MODEL_A,  # noqa: ANN001
           voided_first: str | None = None) -> Case:
    case = Case.objects.create(
        organisation=lesion.patient.organisation, patient=lesion.patient, lesion=lesion,
        patient_ref=lesion.patient.reference, body_site=lesion.body_site, status=CaseStatus.FINAL,
        blind_first=blind is not None, created_by=by,
    )
    image = LesionImageFactory(case=case, capture_type=capture, uploaded_by=by)
    draft = None
    if ai is not None:
        draft = DraftFactory(image=image, model_id=model[0], model_revision=model[1], prompt_version=model[2],
                             lesion_type=ai)
    if blind is not None:
        BlindFindingFactory(case=case, reviewer=by, lesion_type=blind)
    common = {"case": case, "reviewer": by, "draft": draft, "management_plan": plan,
              "outcome": ReviewOutcome.EDITED if draft else ReviewOutcome.MANUAL,
              "draft_snapshot": snapshot(*model, fields={"lesion_type": ai}) if draft else {}}
    version = 1
    if voided_first is not None:
        ReviewFactory(**common, version=1, lesion_type=voided_first, signed_at=signed - timedelta(days=1),
                      voided_at=signed)
        version = 2
    ReviewFactory(**common, version=version, lesion_type=final, signed_at=signed)
    return case


@pytest.fixture
def fixture(clinic, other_clinic, bob, mallory):  # noqa: ANN001, ANN201
    p1 = Patient.objects.create(organisation=clinic, reference="P1", fitzpatrick_type="II")
    p2 = Patient.objects.create(organisation=clinic, reference="P2", fitzpatrick_type="V")
    p3 = Patient.objects.create(organisation=clinic, reference="P3")
    lesions = {name: _lesion(p) for name, p in [("L1", p1), ("L2", p1), ("L3", p1), ("L4", p1), ("L5", p2),
                                                 ("L6", p2), ("L7", p3), ("L8", p3), ("L9", p1), ("L10", p1),
                                                 ("L11", p2), ("L12", p3)]}
    before = _at(D - timedelta(days=10))
    _visit(lesions["L1"], by=bob, signed=before, final=MEL, ai=MEL, blind=NAEVUS, plan="biopsy",
           capture="dermoscopic", voided_first=NAEVUS)
    _visit(lesions["L2"], by=bob, signed=_at(D - timedelta(days=60)), final=NAEVUS, ai=NAEVUS)
    _visit(lesions["L2"], by=bob, signed=_at(D - timedelta(days=5)), final=MEL, ai=NAEVUS, blind=MEL,
           plan="biopsy", capture="dermoscopic")
    _visit(lesions["L2"], by=bob, signed=_at(D + timedelta(days=3)), final=NAEVUS, ai=MEL)
    _visit(lesions["L3"], by=bob, signed=_at(D, 23), final=BCC, ai=BCC, blind=BCC, plan="biopsy",
           capture="dermoscopic")
    _visit(lesions["L4"], by=bob, signed=before, final=DYSPLASTIC, ai=NO_CLASS_TEXT, plan="biopsy")
    _visit(lesions["L5"], by=bob, signed=before, final=NAEVUS, ai=MEL, blind=NAEVUS)
    _visit(lesions["L6"], by=bob, signed=before, final=MEL, ai=NAEVUS, blind=MEL, plan="biopsy")
    _visit(lesions["L7"], by=bob, signed=before, final=SK, ai=BCC, blind=SK, plan="discharge")
    _visit(lesions["L8"], by=bob, signed=before, final=NAEVUS, ai=NAEVUS, blind=NAEVUS)
    _visit(lesions["L9"], by=bob, signed=_at(D + timedelta(days=2)), final=MEL, ai=MEL, plan="biopsy")
    _visit(lesions["L10"], by=bob, signed=before, final=MEL, ai=MEL, plan="biopsy")
    _visit(lesions["L11"], by=bob, signed=before, final=MEL, ai=MEL, plan="biopsy", model=MODEL_B)
    _visit(lesions["L12"], by=bob, signed=before, final=NAEVUS)
    for name, code in [("L1", "mel"), ("L2", "mel"), ("L3", "bcc"), ("L4", "mel-is"), ("L6", "naevus"),
                       ("L8", "naevus-dysplastic"), ("L9", "mel"), ("L11", "mel")]:
        _outcome(lesions[name], code, by=bob)
    _outcome(lesions["L5"], "naevus", by=bob, confirm="serial imaging showing no change")
    _outcome(lesions["L7"], "sk", by=bob, confirm="single image expert consensus")
    _outcome(lesions["L12"], "naevus", by=bob, confirm="serial imaging showing no change")
    # L3's first outcome was a mistake, voided; its current one is the BCC below it.
    LesionOutcome.objects.filter(lesion=lesions["L3"]).update(voided_at=timezone.now(), voided_by=bob,
                                                              void_reason="wrong lesion")
    _outcome(lesions["L3"], "bcc", by=bob)
    # Another clinic's lesion: a perfect AI and reviewer there must not move this clinic's figures.
    outsider = _lesion(Patient.objects.create(organisation=other_clinic, reference="P1", fitzpatrick_type="II"))
    _visit(outsider, by=UserFactory(organisation=other_clinic, roles=["reviewer"]), signed=before, final=MEL,
           ai=MEL, plan="biopsy")
    _outcome(outsider, "mel", by=mallory)
    return lesions


def _group(page, model):  # noqa: ANN001, ANN202
    return next(g for g in page.groups if g.model == model)


def _reader(group, key):  # noqa: ANN001, ANN202
    return next(r for r in group.readers if r.key == key)


def _bounds(figure):  # noqa: ANN001, ANN202
    return round(figure.p.low, 4), round(figure.p.high, 4)


def test_the_counted_visit_is_the_last_signed_on_or_before_the_outcome(fixture, clinic):
    data = outcome_readings(organisation_id=clinic.pk)
    by_lesion = {r.lesion_id: r for r in data.readings}
    assert data.with_outcome == 11 and data.no_visit_before == 1  # L9 only: its one visit is after D
    assert fixture["L9"].pk not in by_lesion and fixture["L10"].pk not in by_lesion
    l2 = by_lesion[fixture["L2"].pk]  # the D-5 visit, not the D-60 one (older) nor the D+3 one (after)
    assert l2.readings == {"final": "mel", "ai": "naevus", "human": "mel"} and l2.capture == "dermoscopic"
    assert by_lesion[fixture["L3"].pk].truth == "bcc"  # the voided naevus outcome is not the truth
    assert by_lesion[fixture["L1"].pk].readings["final"] == "mel"  # v2 stands; the voided v1 said naevus
    assert by_lesion[fixture["L4"].pk].readings == {"final": "naevus-dysplastic", "ai": None}
    assert by_lesion[fixture["L12"].pk].model == NO_DRAFT


def test_high_risk_sensitivity_specificity_and_wilson_bounds_match_the_hand_count(fixture, clinic):
    group = _group(accuracy_page(organisation_id=clinic.pk, min_n=1), MODEL_A)
    assert group.n == 8
    ai, human, final = (_reader(group, k) for k in ("ai", "human", "final"))
    assert (ai.high_risk.tp, ai.high_risk.fn, ai.high_risk.tn, ai.high_risk.fp) == (3, 1, 2, 2)
    assert (human.high_risk.tp, human.high_risk.fn, human.high_risk.tn, human.high_risk.fp) == (2, 1, 3, 1)
    assert (final.high_risk.tp, final.high_risk.fn, final.high_risk.tn, final.high_risk.fp) == (3, 1, 3, 1)
    assert (ai.n, human.n, final.n) == (8, 7, 8)
    assert ai.high_risk.sensitivity.p.value == 0.75 and _bounds(ai.high_risk.sensitivity) == (0.3006, 0.9544)
    assert ai.high_risk.specificity.p.value == 0.5 and _bounds(ai.high_risk.specificity) == (0.1500, 0.8500)
    assert _bounds(human.high_risk.sensitivity) == (0.2077, 0.9385)
    assert _bounds(human.high_risk.specificity) == (0.3006, 0.9544)
    assert _bounds(final.high_risk.sensitivity) == (0.3006, 0.9544)
    assert (ai.accuracy.p.successes, human.accuracy.p.successes, final.accuracy.p.successes) == (3, 4, 5)
    melanoma = dict((info.code, cell) for info, cell in ai.per_class)["mel"]
    assert (melanoma.tp, melanoma.fn, melanoma.tn, melanoma.fp) == (1, 1, 5, 1)
    assert _bounds(melanoma.sensitivity) == (0.0945, 0.9055) and _bounds(melanoma.specificity) == (0.4365, 0.9699)
    assert [info.code for info, _ in group.class_rows] == ["mel", "mel-is", "bcc"]


def test_number_needed_to_biopsy_per_melanoma(fixture, clinic):
    biopsies = _group(accuracy_page(organisation_id=clinic.pk, min_n=1), MODEL_A).biopsies
    assert (biopsies.biopsied, biopsies.melanomas, biopsies.nnb) == (6, 3, 2.0)
    assert _bounds(biopsies.melanoma_yield) == (0.1876, 0.8124)
    low, high = biopsies.nnb_interval
    assert (round(low, 4), round(high, 4)) == (1.2309, 5.3300)


def test_confusion_tables_of_ai_and_final_against_the_outcome(fixture, clinic):
    group = _group(accuracy_page(organisation_id=clinic.pk, min_n=1), MODEL_A)
    ai, final = group.confusions
    ai_rows = {name: dict(zip(ai.columns, counts, strict=True)) for name, counts, _ in ai.rows}
    assert ai_rows["Melanoma"] == {"Melanoma": 1, "Basal cell carcinoma": 0, "Melanocytic naevus": 1,
                                   "no matching class (treated as high-risk)": 0}
    assert ai_rows["Melanoma in situ"]["no matching class (treated as high-risk)"] == 1
    assert ai_rows["Seborrhoeic keratosis"]["Basal cell carcinoma"] == 1
    final_rows = {name: (dict(zip(final.columns, counts, strict=True)), correct) for name, counts, correct in final.rows}
    assert final_rows["Melanoma"] == ({"Melanoma": 2, "Basal cell carcinoma": 0, "Dysplastic naevus": 0,
                                       "Melanocytic naevus": 0, "Seborrhoeic keratosis": 0}, 2)
    assert final_rows["Melanocytic naevus"][0]["Melanoma"] == 1  # L6
    assert sum(sum(counts) for _, counts, _ in final.rows) == 8


def test_groups_per_model_version_and_the_no_draft_group(fixture, clinic):
    page = accuracy_page(organisation_id=clinic.pk, min_n=1)
    assert [g.model for g in page.groups] == [MODEL_A, MODEL_B, NO_DRAFT]
    second = _group(page, MODEL_B)
    assert second.n == 1 and _reader(second, "ai").high_risk.tp == 1
    manual = _group(page, NO_DRAFT)
    assert [r.key for r in manual.readers] == ["human", "final"] and manual.n == 1


def test_strata_by_fitzpatrick_type_and_capture(fixture, clinic):
    group = _group(accuracy_page(organisation_id=clinic.pk, split=SPLITS["fitzpatrick"], min_n=1), MODEL_A)
    assert [(s.label, s.n) for s in group.strata] == [("Type II", 4), ("Type V", 2), ("Not recorded", 2)]
    final_v = _reader(group.strata[1], "final").high_risk
    assert (final_v.tp, final_v.fn, final_v.tn, final_v.fp) == (0, 0, 1, 1)
    assert _reader(group.strata[0], "final").high_risk.sensitivity.p.successes == 3
    group = _group(accuracy_page(organisation_id=clinic.pk, split=SPLITS["capture"], min_n=1), MODEL_A)
    assert [(s.value, s.n) for s in group.strata] == [("clinical", 5), ("dermoscopic", 3)]


def test_other_clinics_data_is_never_counted(fixture, clinic, other_clinic):
    theirs = accuracy_page(organisation_id=other_clinic.pk, min_n=1)
    assert [(g.model, g.n) for g in theirs.groups] == [(MODEL_A, 1)]
    ours = accuracy_page(organisation_id=clinic.pk, min_n=1)
    assert sum(g.n for g in ours.groups) == 10


def test_below_the_minimum_n_a_figure_is_not_enough_data(fixture, clinic):
    group = _group(accuracy_page(organisation_id=clinic.pk), MODEL_A)  # the default minimum, 10
    assert not _reader(group, "ai").high_risk.sensitivity.enough
    assert group.biopsies.nnb == 2.0 and not group.biopsies.melanoma_yield.enough


def test_accuracy_page_access(client_for, fixture, alice, bob, carol, mallory, clinic):
    url = reverse("oversight:accuracy")
    assert client_for(alice).get(url).status_code == 403
    assert client_for(bob).get(url).status_code == 403
    admin = UserFactory(username="ada", organisation=clinic, roles=["admin"])
    assert client_for(admin).get(url).status_code == 200
    response = client_for(carol).get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "m/one @ r1" in body and "m/two @ r2" in body and "not enough data" in body
    assert "11 lesions with a current outcome" in body
    # mallory audits the other clinic: she sees its one lesion and nothing of this clinic's.
    theirs = client_for(mallory).get(url).content.decode()
    assert "1 lesion with a current outcome" in theirs and "m/two" not in theirs


def test_accuracy_page_split_and_bad_split(client_for, fixture, carol):
    client = client_for(carol)
    body = client.get(reverse("oversight:accuracy"), {"split": "fitzpatrick"}).content.decode()
    assert 'data-stratum="V"' in body and 'data-stratum="not-recorded"' in body
    assert "may vary depending on skin tones, image quality" in body
    response = client.get(reverse("oversight:accuracy"), {"split": "age"})
    assert response.status_code == 400 and "Unknown split" in response.content.decode()


def test_accuracy_page_query_count_does_not_grow_with_lesions(client_for, fixture, carol, bob, clinic):
    client = client_for(carol)
    url = reverse("oversight:accuracy") + "?split=capture"
    client.get(url)
    with CaptureQueriesContext(connection) as first:
        assert client.get(url).status_code == 200
    patient = Patient.objects.get(organisation=clinic, reference="P2")
    for _ in range(5):
        lesion = _lesion(patient)
        _visit(lesion, by=bob, signed=_at(D - timedelta(days=3)), final=MEL, ai=MEL, blind=NAEVUS, plan="biopsy")
        _outcome(lesion, "mel", by=bob)
    with CaptureQueriesContext(connection) as second:
        assert client.get(url).status_code == 200
    assert len(second) == len(first)
    # The figures themselves: four queries (classes, outcomes, sign-offs, blind findings); the rest of the page's
    # queries are the session, the user and the layout's, the same on every page.
    with CaptureQueriesContext(connection) as figures:
        accuracy_page(organisation_id=clinic.pk, split=SPLITS["capture"])
    assert len(figures) == 4
