"""Input parsing for the governance pages. Forms only validate; services do the work.

Stored free text (labels, override and withdrawal reasons) is NFKC-normalised and refuses hidden characters on the
field (`NormalisedTextFormMixin`).
"""

from __future__ import annotations

from typing import Any

from django import forms

from dermreview.common.forms import NormalisedTextFormMixin
from dermreview.drafting.models import ModelVersion
from dermreview.governance.models import EvaluationRun
from inference_worker import available_profiles
from inference_worker.config import DECODING_MODES

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
INSTALLATION = "installation"


class RegisterVersionForm(NormalisedTextFormMixin, forms.Form):
    """A candidate model version: the configuration the workers would be given, for one scope."""

    scope = forms.ChoiceField(label="For", choices=())
    model = forms.CharField(max_length=500, label="Model (hub id or local path)")
    model_revision = forms.CharField(max_length=100, initial="main", label="Revision (pin a commit in production)")
    base_model = forms.CharField(max_length=500, required=False, label="Adapter base model (if an adapter)")
    base_model_revision = forms.CharField(max_length=100, required=False, label="Base model revision")
    prompt_profile = forms.CharField(max_length=500, initial="card",
                                     help_text=f"A built-in profile ({', '.join(available_profiles())}) or a path.")
    decoding = forms.ChoiceField(choices=[(mode, mode) for mode in DECODING_MODES], initial="schema")
    backend = forms.ChoiceField(choices=[("transformers", "transformers"), ("openai", "openai")],
                                initial="transformers")
    label = forms.CharField(max_length=200, required=False)

    def __init__(self, *args: Any, scopes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = scopes


class EvaluateForm(forms.Form):
    """Which candidate to evaluate, on which clinic's cases signed since when, at most how many."""

    candidate = forms.ModelChoiceField(queryset=ModelVersion.objects.none())
    organisation = forms.TypedChoiceField(label="On the signed cases of", coerce=int, required=False, choices=())
    since = forms.DateField(widget=_DATE, label="Signed on or after")
    limit = forms.IntegerField(min_value=1, required=False, label="At most this many cases (the latest)")

    def __init__(self, *args: Any, candidates: Any, organisations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["candidate"].queryset = candidates
        if organisations:
            self.fields["organisation"].choices = organisations
            self.fields["organisation"].required = True
        else:
            del self.fields["organisation"]


class ApproveForm(NormalisedTextFormMixin, forms.Form):
    """The evaluation an approval rests on, and the override reason when its figures fail the gate."""

    run = forms.ModelChoiceField(queryset=EvaluationRun.objects.none(), required=False, label="Evaluation",
                                 empty_label="— none —")
    override_reason = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
        label="Override reason (only if the figures fail the gate; recorded and audited)",
    )

    def __init__(self, *args: Any, runs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["run"].queryset = runs


class ReasonForm(NormalisedTextFormMixin, forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
