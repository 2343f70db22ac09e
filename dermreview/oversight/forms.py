"""Input parsing for the oversight pages. Forms only validate; services do the work.

Notes and reasons that are stored (alarm notes, the kill switch's reason) are NFKC-normalised and refuse hidden
characters on the field (`NormalisedTextFormMixin`); the filters are queries, not records, and stay as typed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from dermreview.cases.models import BodySite, CaptureType
from dermreview.common.forms import NormalisedTextFormMixin
from dermreview.oversight.selectors.audit_events import AuditFilters
from dermreview.oversight.selectors.filters import OversightFilters, Scorer
from dermreview.oversight.selectors.model_card import FilterChoices

_DATE = forms.DateInput(attrs={"type": "date"})


def _options(values: list[str], any_label: str) -> list[tuple[str, str]]:
    return [("", any_label), *((v, v) for v in values)]


class _DateRangeForm(forms.Form):
    """A form with `date_from` / `date_to` fields whose order is checked."""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data


class OversightFilterForm(_DateRangeForm):
    """The filters of the model card and charts.

    Given `choices` (the dashboard), model and scorer menus list what the organisation's data holds and reject
    anything else; without (the chart endpoints) they accept any short value, which is safe because every query
    is scoped to the viewer's organisation anyway.
    """

    date_from = forms.DateField(required=False, label="Signed from", widget=_DATE)
    date_to = forms.DateField(required=False, label="Signed until", widget=_DATE)
    model_id = forms.CharField(required=False, max_length=200, label="Model")
    model_revision = forms.CharField(required=False, max_length=100, label="Revision")
    prompt_version = forms.CharField(required=False, max_length=40, label="Prompt version")
    reviewer = forms.IntegerField(required=False, min_value=1, label="Reviewer")
    body_site = forms.ChoiceField(required=False, choices=[("", "Any body site"), *BodySite.choices])
    capture_type = forms.ChoiceField(required=False, choices=[("", "Any capture type"), *CaptureType.choices])
    scorer = forms.CharField(required=False, max_length=260, label="Scorer")

    def __init__(self, *args: Any, choices: FilterChoices | None = None,
                 reviewers: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if choices is not None:
            self.fields["model_id"] = forms.ChoiceField(
                required=False, label="Model", choices=_options(choices.model_ids, "Any model"))
            self.fields["model_revision"] = forms.ChoiceField(
                required=False, label="Revision", choices=_options(choices.model_revisions, "Any revision"))
            self.fields["prompt_version"] = forms.ChoiceField(
                required=False, label="Prompt version", choices=_options(choices.prompt_versions, "Any prompt"))
            default = Scorer(settings.BERTSCORE_MODEL, settings.BERTSCORE_NUM_LAYERS)
            scorers = sorted({default, *choices.scorers}, key=lambda s: (s != default, s.model, s.num_layers))
            self.fields["scorer"] = forms.ChoiceField(
                required=False, label="Scorer",
                choices=[("", "Every scorer (charts: the configured one)"), *((s.key, s.label) for s in scorers)])
        if reviewers is not None:
            self.fields["reviewer"] = forms.TypedChoiceField(
                required=False, label="Reviewer", coerce=int, empty_value=None,
                choices=[("", "Any reviewer"), *((str(pk), name) for pk, name in reviewers)])

    def clean_scorer(self) -> Scorer | None:
        raw = self.cleaned_data.get("scorer") or ""
        if not raw:
            return None
        try:
            return Scorer.parse(raw)
        except ValueError:
            raise forms.ValidationError("Choose a scorer from the list.") from None

    def to_filters(self) -> OversightFilters:
        d = self.cleaned_data
        return OversightFilters(
            date_from=d.get("date_from"), date_to=d.get("date_to"), model_id=d.get("model_id") or "",
            model_revision=d.get("model_revision") or "", prompt_version=d.get("prompt_version") or "",
            reviewer_id=d.get("reviewer") or None, body_site=d.get("body_site") or "",
            capture_type=d.get("capture_type") or "", scorer=d.get("scorer"),
        )


class AlarmNoteForm(NormalisedTextFormMixin, forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
        error_messages={"required": "A note is required: say what you checked or did."},
    )


class AuditFilterForm(_DateRangeForm):
    actor = forms.CharField(required=False, max_length=150, label="Actor (user name contains)")
    action = forms.CharField(required=False, max_length=64, label="Action (starts with)")
    object_type = forms.CharField(required=False, max_length=64, label="Object type (e.g. cases.case)")
    object_id = forms.CharField(required=False, max_length=64, label="Object id")
    case = forms.IntegerField(required=False, min_value=1, label="Case #")
    date_from = forms.DateField(required=False, label="From", widget=_DATE)
    date_to = forms.DateField(required=False, label="Until", widget=_DATE)

    def to_filters(self) -> AuditFilters:
        d = self.cleaned_data
        return AuditFilters(
            actor=(d.get("actor") or "").strip(), action=(d.get("action") or "").strip(),
            object_type=(d.get("object_type") or "").strip(), object_id=(d.get("object_id") or "").strip(),
            case_id=d.get("case"), date_from=d.get("date_from"), date_to=d.get("date_to"),
        )


class KillSwitchForm(NormalisedTextFormMixin, forms.Form):
    enabled = forms.TypedChoiceField(choices=[("on", "on"), ("off", "off")], coerce=lambda v: v == "on")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
        error_messages={"required": "A reason is required to turn AI drafting on or off."},
    )
