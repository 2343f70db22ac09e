"""Migrations cases 0008/0009 on a copy of the schema before lesions (cases 0007, review 0008), with its data.

Today's cases carry a free-text patient reference, body site and lesion label. After the upgrade there is one
patient per (clinic, reference) and one lesion per (clinic, reference, site, label), every case points at both,
and nothing links across clinics; the way back drops the new rows and leaves the cases as they were.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.migration_helpers import migrate_to_latest

BEFORE_LESIONS = [("cases", "0007_case_training_opt_out"), ("review", "0008_review_outcome_resolving")]
AFTER_LINKING = [("cases", "0009_link_cases_to_lesions")]

# (clinic, reference, body site, label): three visits of one lesion, a second lesion of the same patient (another
# label), a third (the same label at another site), and the same reference in the other clinic (another patient).
VISITS = [
    ("riverside", "PT-00042", "back", "L1"),
    ("riverside", "PT-00042", "back", "L1"),
    ("riverside", "PT-00042", "back", "L1"),
    ("riverside", "PT-00042", "back", "L2"),
    ("riverside", "PT-00042", "face", "L1"),
    ("riverside", "PT-00077", "back", "L1"),
    ("hilltop", "PT-00042", "back", "L1"),
]


def _migrate(targets: list[tuple[str, str]]) -> Any:
    """Move the schema to `targets`; the historical models of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def _old_cases(apps: Any, users: dict[str, Any]) -> list[int]:
    Case = apps.get_model("cases", "Case")
    start = timezone.now() - timedelta(days=400)
    ids = []
    for n, (clinic, reference, site, label) in enumerate(VISITS):
        user = users[clinic]
        case = Case.objects.create(
            organisation_id=user.organisation_id, patient_ref=reference, body_site=site, lesion_label=label,
            created_by_id=user.pk, status="final",
        )
        # Visits months apart, so "oldest first" is a real order and not the insertion order by accident.
        Case.objects.filter(pk=case.pk).update(created_at=start + timedelta(days=90 * n))
        ids.append(case.pk)
    return ids


@pytest.mark.django_db(transaction=True)
def test_old_cases_become_visits_of_one_patient_and_lesion_per_clinic(alice, mallory) -> None:  # noqa: ANN001
    old = _migrate(BEFORE_LESIONS)
    assert "cases_lesion" not in connection.introspection.table_names()
    case_ids = _old_cases(old, {"riverside": alice, "hilltop": mallory})

    new = _migrate(AFTER_LINKING)

    Case, Patient, Lesion = (new.get_model("cases", name) for name in ("Case", "Patient", "Lesion"))
    cases = {c.pk: c for c in Case.objects.filter(pk__in=case_ids).select_related("patient", "lesion__patient")}
    assert all(c.patient_id is not None and c.lesion_id is not None for c in cases.values())
    patients = Counter((p.organisation_id, p.reference) for p in Patient.objects.all())
    assert patients == {(alice.organisation_id, "PT-00042"): 1, (alice.organisation_id, "PT-00077"): 1,
                        (mallory.organisation_id, "PT-00042"): 1}
    lesions = Counter((les.patient.organisation_id, les.patient.reference, les.body_site, les.label)
                      for les in Lesion.objects.select_related("patient"))
    assert set(lesions.values()) == {1}
    assert len(lesions) == 5  # L1 back, L2 back, L1 face (PT-00042), L1 back (PT-00077), L1 back (hilltop)
    for case in cases.values():
        # The rows the case names, in the case's own clinic; the lesion belongs to the case's patient.
        assert case.patient.organisation_id == case.organisation_id
        assert case.lesion.patient_id == case.patient_id
        assert (case.patient.reference, case.lesion.body_site, case.lesion.label) == (
            case.patient_ref, case.body_site, case.lesion_label)
        assert case.lesion.laterality == "unknown" and case.lesion.map_x is None
    first_three = [cases[pk].lesion_id for pk in case_ids[:3]]
    assert len(set(first_three)) == 1, "three visits of one lesion are one lesion"
    assert cases[case_ids[0]].patient_id != cases[case_ids[6]].patient_id, "same reference, other clinic"
    assert cases[case_ids[0]].lesion.created_by_id == alice.pk

    migrate_to_latest()


@pytest.mark.django_db(transaction=True)
def test_downgrade_drops_patients_lesions_and_outcomes_and_keeps_the_cases(alice, mallory) -> None:  # noqa: ANN001
    case_ids = _old_cases(_migrate(BEFORE_LESIONS), {"riverside": alice, "hilltop": mallory})
    new = _migrate(AFTER_LINKING)
    # An outcome recorded after the upgrade must not block the way back (it goes with its lesion).
    lesion = new.get_model("cases", "Case").objects.get(pk=case_ids[0]).lesion
    # A transactional test's flush empties the seeded vocabulary: a class of the clinic's own will do.
    diagnosis = new.get_model("cases", "DiagnosisClass").objects.create(
        organisation_id=alice.organisation_id, code="mel-test", name="Test melanoma", high_risk=True)
    new.get_model("cases", "LesionOutcome").objects.create(
        lesion_id=lesion.pk, diagnosis_class_id=diagnosis.pk, diagnosed_on=date(2026, 3, 1), recorded_by_id=alice.pk,
    )

    old = _migrate(BEFORE_LESIONS)

    tables = connection.introspection.table_names()
    assert not {"cases_patient", "cases_lesion", "cases_lesionoutcome"} & set(tables)
    Case = old.get_model("cases", "Case")
    rows = Case.objects.filter(pk__in=case_ids).order_by("pk").values_list("patient_ref", "body_site", "lesion_label")
    assert [tuple(row) for row in rows] == [visit[1:] for visit in VISITS]

    migrate_to_latest()
    # And up again: the same rows come back.
    from dermreview.cases.models import Case as TodayCase

    assert TodayCase.objects.filter(pk__in=case_ids, lesion__isnull=False).count() == len(VISITS)
