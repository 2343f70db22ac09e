"""Forms of the review pages. They parse input only: the review services decide what may be signed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.core import signing
from django.utils import timezone

from dermreview.cases.models import BodySite
from dermreview.common.forms import NormalisedTextFormMixin
from dermreview.drafting.models.fields import FIELD_LABELS as FIELD_LABELS  # re-exported for the review views
from dermreview.drafting.models.fields import FINDING_FIELDS, field_spec
from dermreview.review.models.plan import ChangeAspect, ChangeSincePrevious, ManagementPlan
from dermreview.review.services.plan import PlanInput
from dermreview.review.services.queue import AGE_CHOICES, QUEUE_STATUSES
from dermreview.review.services.rules import SUGGESTIONS
from dermreview.review.services.ungradable import UNGRADABLE_REASONS

_OPENED_SALT = "dermreview.review.opened"
LESION_TYPE_HELP = ("A diagnosis class from the list, optionally followed by a qualifier (\u201cBasal cell carcinoma, "
                    "nodular, 6 mm\u201d). High-risk classes need a second reviewer.")


def opened_token(*, case_id: int, opened_at: datetime | None = None) -> str:
    """A signed record of when the review page was opened, so time on task cannot be edited in the browser."""
    opened_at = opened_at or timezone.now()
    return signing.dumps({"case": case_id, "at": opened_at.isoformat()}, salt=_OPENED_SALT)


def opened_at_from_token(token: str, *, case_id: int) -> datetime | None:
    """The time in a token made by `opened_token` for this case, or None when it is missing or tampered with."""
    try:
        data = signing.loads(token, salt=_OPENED_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("case") != case_id:
        return None
    try:
        return datetime.fromisoformat(data["at"])
    except (KeyError, TypeError, ValueError):
        return None


def _finding_field(name: str) -> forms.CharField:
    # Label, limit and widget from the one definition of the fields. Blank allowed here: the service reports a
    # missing field with the policy's own message.
    spec = field_spec(name)
    if spec.multiline:
        return forms.CharField(label=spec.label, required=False, max_length=spec.max_length,
                               widget=forms.Textarea(attrs={"rows": 4}), strip=False)
    attrs: dict[str, Any] = {"autocomplete": "off"}
    if name in SUGGESTIONS:
        attrs["list"] = f"suggest-{name}"
    help_text = LESION_TYPE_HELP if name == "lesion_type" else ""
    return forms.CharField(label=spec.label, required=False, max_length=spec.max_length,
                           widget=forms.TextInput(attrs=attrs), help_text=help_text)


class FindingFieldsForm(NormalisedTextFormMixin, forms.Form):
    """The six finding fields with <datalist> suggestions: the lesion type's are the diagnosis classes, which the
    service requires it to name. Hidden characters are refused on the field (`NormalisedTextFormMixin`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in FINDING_FIELDS:
            self.fields[name] = _finding_field(name)

    def finding_fields(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name) or "" for name in FINDING_FIELDS}

    def finding_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in FINDING_FIELDS]


class BlindFindingForm(FindingFieldsForm):
    """Blind-first entry: the reviewer's own finding before the AI draft is shown."""


class PlanFieldsMixin(forms.Form):
    """The management plan and the change since the previous visit: human-only, never pre-filled from the AI. Not
    required here: the sign-off service decides when they are (`review/services/plan.py`)."""

    management_plan = forms.ChoiceField(required=False, label="Management plan", widget=forms.RadioSelect,
                                        choices=ManagementPlan.choices)
    follow_up_on = forms.DateField(required=False, label="Follow-up visit on",
                                   widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    change_since_previous = forms.ChoiceField(required=False, label="Change since the previous visit",
                                              widget=forms.RadioSelect, choices=ChangeSincePrevious.choices)
    change_aspects = forms.MultipleChoiceField(required=False, label="What changed",
                                               widget=forms.CheckboxSelectMultiple, choices=ChangeAspect.choices)

    def plan_input(self) -> PlanInput:
        data = self.cleaned_data
        return PlanInput(management_plan=data.get("management_plan") or "", follow_up_on=data.get("follow_up_on"),
                         change_since_previous=data.get("change_since_previous") or "",
                         change_aspects=tuple(data.get("change_aspects") or ()))


class ReviewSignForm(PlanFieldsMixin, FindingFieldsForm):
    """Sign-off: the six fields, a "confirm" tick per field, the plan, the attestation, and the hidden concurrency
    state."""

    action = forms.ChoiceField(choices=[("sign", "Sign"), ("reject", "Reject draft and sign my own finding")])
    draft_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    lock_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    opened = forms.CharField(widget=forms.HiddenInput)
    rejection_reason = forms.CharField(
        required=False, max_length=2000, label="Why is the AI draft unusable?",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    attestation = forms.BooleanField(required=False)
    # Blind-first: the fields switched to the AI's value ("Use the AI's value"), comma-separated, kept by review.js.
    taken_from_ai = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in FINDING_FIELDS:
            self.fields[f"confirm_{name}"] = forms.BooleanField(required=False, label="Confirm")

    def confirmed_fields(self) -> set[str]:
        return {name for name in FINDING_FIELDS if self.cleaned_data.get(f"confirm_{name}")}

    def clean_taken_from_ai(self) -> list[str]:
        names = [n.strip() for n in (self.cleaned_data.get("taken_from_ai") or "").split(",") if n.strip()]
        unknown = [n for n in names if n not in FINDING_FIELDS]
        if unknown:
            raise forms.ValidationError("The record of fields taken from the AI draft is damaged: reload the page.")
        return [name for name in FINDING_FIELDS if name in names]

    def rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[name], self[f"confirm_{name}"]) for name in FINDING_FIELDS]


class AmendForm(FindingFieldsForm):
    lock_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    opened = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(required=False, max_length=2000, label="Reason for the amendment",
                             widget=forms.Textarea(attrs={"rows": 2}))
    attestation = forms.BooleanField(required=False)


class UngradableForm(NormalisedTextFormMixin, forms.Form):
    category = forms.ChoiceField(choices=list(UNGRADABLE_REASONS.items()), label="Why")
    detail = forms.CharField(required=False, max_length=120, label="Detail")


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", "Any status")] + [(s.value, s.label) for s in QUEUE_STATUSES])
    body_site = forms.ChoiceField(required=False, choices=[("", "Any body site"), *BodySite.choices])
    lesion_type = forms.CharField(required=False, max_length=100, label="Lesion type (AI draft)",
                                  widget=forms.TextInput(attrs={"list": "suggest-lesion_type",
                                                                "placeholder": "Lesion type (AI draft)"}))
    age = forms.ChoiceField(required=False, choices=[("", "Any age"), *AGE_CHOICES.items()])
