"""Forms of the patient pages: they parse input only; `cases/services/patients.py` checks and writes."""

from __future__ import annotations

from django import forms

from dermreview.cases.models import BodyMapView, BodySite, FitzpatrickType, Laterality, Sex
from dermreview.common.forms import NormalisedTextFormMixin

_VIEW_CHOICES = [("", "Not on the map"), *BodyMapView.choices]


def _fraction(label: str) -> forms.FloatField:
    # Fractions of the figure, from the top left: the script fills them from a click or a tap.
    return forms.FloatField(label=label, required=False, min_value=0, max_value=1,
                            widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}))


class PatientSearchForm(forms.Form):
    q = forms.CharField(required=False, label="Patient reference", max_length=64)


class PatientForm(forms.Form):
    birth_year = forms.IntegerField(label="Year of birth", required=False, min_value=1900, max_value=2100)
    sex = forms.ChoiceField(label="Sex", required=False, choices=[("", "Not recorded"), *Sex.choices])
    fitzpatrick_type = forms.ChoiceField(label="Fitzpatrick skin type", required=False,
                                         choices=[("", "Not recorded"), *FitzpatrickType.choices])


class LesionForm(NormalisedTextFormMixin, forms.Form):
    prefix = "lesion"  # the page's move form has a view and coordinates too: distinct ids
    body_site = forms.ChoiceField(label="Body site", choices=BodySite.choices)
    laterality = forms.ChoiceField(label="Side", choices=Laterality.choices, initial=Laterality.UNKNOWN)
    label = forms.CharField(label="Label", required=False, max_length=64,
                            help_text="A short label, e.g. 'L3 left shoulder'.")
    view = forms.ChoiceField(label="Body-map view", required=False, choices=_VIEW_CHOICES)
    x = _fraction("Across (0 = figure's left edge, 1 = right edge)")
    y = _fraction("Down (0 = top, 1 = bottom)")

    def clean(self) -> dict[str, object]:
        data = super().clean()
        given = [data.get("view"), data.get("x"), data.get("y")]
        if any(v not in (None, "") for v in given) and any(v in (None, "") for v in given):
            raise forms.ValidationError("A map position needs the view and both coordinates: click the figure, "
                                        "or clear all three.")
        return data


class LesionPlaceForm(forms.Form):
    prefix = "place"
    view = forms.ChoiceField(label="Body-map view", choices=BodyMapView.choices)
    x = _fraction("Across (0 = figure's left edge, 1 = right edge)")
    y = _fraction("Down (0 = top, 1 = bottom)")
