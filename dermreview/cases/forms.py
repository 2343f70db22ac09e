from __future__ import annotations

from django import forms

from dermreview.cases.models import BodySite, Case, CaseStatus, Laterality
from dermreview.common.forms import NormalisedTextFormMixin


class CaseForm(NormalisedTextFormMixin, forms.ModelForm):
    """Validates input only; `case_create` / `case_update` do the writing. Text is NFKC and a hidden character
    (invisible, format, direction-changing, control) is an error on its field."""

    # The side of a new lesion (a known lesion keeps its own): stored on the Lesion, not on the case.
    laterality = forms.ChoiceField(label="Side", choices=Laterality.choices, initial=Laterality.UNKNOWN,
                                   required=False)

    class Meta:
        model = Case
        fields = ["patient_ref", "body_site", "laterality", "lesion_label", "clinical_notes"]
        widgets = {"clinical_notes": forms.Textarea(attrs={"rows": 4})}


class CaseVisitForm(NormalisedTextFormMixin, forms.ModelForm):
    """A new visit of a known lesion (`?lesion=<id>`): the patient, site and label come from the lesion."""

    class Meta:
        model = Case
        fields = ["clinical_notes"]
        widgets = {"clinical_notes": forms.Textarea(attrs={"rows": 4})}


class CaseEditForm(NormalisedTextFormMixin, forms.ModelForm):
    class Meta:
        model = Case
        fields = ["body_site", "lesion_label", "clinical_notes"]
        widgets = {"clinical_notes": forms.Textarea(attrs={"rows": 4})}


class CaseFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Patient ref or lesion label", max_length=64)
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *CaseStatus.choices])
    body_site = forms.ChoiceField(required=False, choices=[("", "Any site"), *BodySite.choices])


class CaseTrainingUseForm(forms.Form):
    """The patient's choice about model training; `case_training_opt_out_set` does the writing."""

    training_opt_out = forms.BooleanField(
        required=False, label="The patient opted out of the use of this case for model training",
        help_text="Not part of the signed finding: change it whenever the patient tells you, also after sign-off.",
    )
