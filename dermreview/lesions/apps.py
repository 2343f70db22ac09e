from django.apps import AppConfig


class LesionsConfig(AppConfig):
    """Following lesions over time: patients on a body map, each lesion's visit timeline, side-by-side comparison,
    follow-up lists and outcomes. The rows (Patient, Lesion, LesionOutcome) live in `cases`; this app reads them
    with the signed findings of `review`, so it sits above both."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "dermreview.lesions"
    label = "lesions"
