"""Give every existing case its patient and lesion: one patient per distinct reference in a clinic, one lesion per
(reference, body site, lesion label). Laterality and the body-map position are unknown for these: the patient
page lists such lesions as "not placed yet"."""
from __future__ import annotations

from django.db import migrations


def link_cases(apps, schema_editor) -> None:
    Case = apps.get_model("cases", "Case")
    Patient = apps.get_model("cases", "Patient")
    Lesion = apps.get_model("cases", "Lesion")
    patients: dict[tuple[int, str], int] = {}
    lesions: dict[tuple[int, str, str, str], int] = {}
    for case in Case.objects.order_by("created_at", "pk").iterator():
        pkey = (case.organisation_id, case.patient_ref)
        if pkey not in patients:
            patient, _ = Patient.objects.get_or_create(
                organisation_id=case.organisation_id, reference=case.patient_ref,
                defaults={"created_by_id": case.created_by_id},
            )
            patients[pkey] = patient.pk
        lkey = (case.organisation_id, case.patient_ref, case.body_site, case.lesion_label)
        if lkey not in lesions:
            lesion = Lesion.objects.create(
                patient_id=patients[pkey], body_site=case.body_site, label=case.lesion_label,
                laterality="unknown", created_by_id=case.created_by_id,
            )
            lesions[lkey] = lesion.pk
        Case.objects.filter(pk=case.pk).update(patient_id=patients[pkey], lesion_id=lesions[lkey])


def unlink_cases(apps, schema_editor) -> None:
    Case = apps.get_model("cases", "Case")
    Case.objects.update(patient=None, lesion=None)
    # Outcomes recorded since the upgrade hold their lesion (PROTECT); 0008's reverse drops their table anyway.
    apps.get_model("cases", "LesionOutcome").objects.all().delete()
    apps.get_model("cases", "Lesion").objects.all().delete()
    apps.get_model("cases", "Patient").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0008_patients_lesions_outcomes")]
    operations = [migrations.RunPython(link_cases, unlink_cases)]
