from __future__ import annotations

from django import forms


class CodeForm(forms.Form):
    """One code: the authenticator's six digits, or (when verifying) a recovery code. Validates input only."""

    code = forms.CharField(
        label="Code", max_length=32, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false",
                                      "autocapitalize": "off"}),
    )


class EnrolmentCodeForm(CodeForm):
    code = forms.CharField(
        label="Code from your authenticator app", max_length=16, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )
