"""Forms of the ledger screens."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class DunningBlockForm(forms.Form):
    """Pause dunning for a customer account: why, and until when."""

    reason = forms.CharField(label=_("Reason"), max_length=200,
                             widget=forms.TextInput(attrs={"placeholder": _("e.g. payment announced by phone")}))
    until = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                            help_text=_("Empty: until someone unblocks it."))

    def __init__(self, *args, today=None, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_until(self):  # type: ignore[no-untyped-def]
        until = self.cleaned_data.get("until")
        if until is not None and self.today is not None and until < self.today:
            raise forms.ValidationError(_("The end date is in the past: enter today or a later date."))
        return until
