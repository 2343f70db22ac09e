"""Form support for `normalise_text`: every text field of a form normalised, hidden characters refused on the field."""

from __future__ import annotations

from typing import Any

from django import forms

from dermreview.common.text import TextRefused, normalise_text


class NormalisedTextFormMixin:
    """Put first in the bases of a Form or ModelForm: after the fields are cleaned, each text value (every
    CharField, hidden inputs included) is NFKC-normalised and a hidden character is reported on its own field.
    A field whose widget is a Textarea keeps its line breaks; the others take them as spaces."""

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean()  # type: ignore[misc]
        for name, field in self.fields.items():  # type: ignore[attr-defined]
            value = data.get(name)
            if not isinstance(field, forms.CharField) or not isinstance(value, str):
                continue
            try:
                data[name] = normalise_text(value, field=name, multiline=isinstance(field.widget, forms.Textarea))
            except TextRefused as exc:
                self.add_error(name, exc.message)  # type: ignore[attr-defined]
        return data
