from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from incasso.cashapp.choices import LineState
from incasso.cashapp.models import BankFileMapping
from incasso.ledger.models import LegalEntity


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):  # type: ignore[no-untyped-def]
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files if f]


class UploadForm(forms.Form):
    files = MultipleFileField(label=_("Bank files"), help_text=_("camt.052/053/054, MT940/942, BAI2, CODA, "
                                                               "Norma 43, CFONB120, X12 820 or a zip of them; "
                                                               "CSV or XLSX with a column mapping"))
    mapping = forms.ModelChoiceField(BankFileMapping.objects.select_related("bank_account"), required=False,
                                     to_field_name="name", label=_("Column mapping (CSV or XLSX files)"),
                                     empty_label=_("None: detect the format"))
    dry_run = forms.BooleanField(label=_("Dry run (check only, import nothing)"), required=False)


class QueueFilter(forms.Form):
    entity = forms.ModelChoiceField(LegalEntity.objects.all(), required=False, label=_("Entity"),
                                    empty_label=_("All entities"))
    state = forms.ChoiceField(required=False, label=_("State"),
                              choices=[("", _("To work")), *LineState.choices, ("all", _("All"))])
    min_confidence = forms.DecimalField(required=False, min_value=Decimal(0), max_value=Decimal(1),
                                        decimal_places=3, label=_("Confidence from"))
    max_confidence = forms.DecimalField(required=False, min_value=Decimal(0), max_value=Decimal(1),
                                        decimal_places=3, label=_("Confidence to"))
    date_from = forms.DateField(required=False, label=_("Booked from"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label=_("Booked to"), widget=forms.DateInput(attrs={"type": "date"}))
    q = forms.CharField(required=False, label=_("Search"))


class RejectForm(forms.Form):
    reason = forms.CharField(max_length=200, label=_("Why is the proposal wrong?"))


class UnapplyForm(forms.Form):
    reason = forms.CharField(max_length=200, label=_("Why unapply?"))


class CashSettingsForm(forms.Form):
    """One entity's matching settings, as a cash application team lead edits them."""

    auto_threshold = forms.DecimalField(
        label=_("Confidence to apply automatically"), min_value=Decimal("0.5"), max_value=Decimal(1),
        decimal_places=3, help_text=_("Proposals at or above this confidence (0.5 to 1) are applied without review."))
    amount_tolerance = forms.DecimalField(
        label=_("Tolerance (amount)"), min_value=Decimal(0), decimal_places=2,
        help_text=_("Largest difference written off, in the currency of the bank line."))
    tolerance_percent = forms.DecimalField(
        label=_("Tolerance (percentage of the amount)"), min_value=Decimal(0), max_value=Decimal(10), decimal_places=2)
    cash_discount_percent = forms.DecimalField(
        label=_("Cash discount (percentage)"), min_value=Decimal(0), max_value=Decimal(20), decimal_places=2)
    cash_discount_days = forms.IntegerField(label=_("Cash discount period (days)"), min_value=0, max_value=365)
    max_combination_items = forms.IntegerField(
        label=_("Most items in one combination"), min_value=1, max_value=50,
        help_text=_("How many open items of a customer the search may combine to explain one payment."))


class MappingForm(forms.ModelForm):
    """A CSV/XLSX column mapping, with an optional sample file whose first lines are previewed."""

    sample = forms.FileField(label=_("Sample file (CSV or XLSX)"), required=False,
                             help_text=_("Its first lines are shown with what the mapping reads from them; "
                                         "nothing is imported."))
    sample_rows = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = BankFileMapping
        fields = ("name", "bank_account", "header_line", "booking_date", "value_date", "sign_convention", "amount",
                  "debit", "credit", "indicator", "credit_markers", "currency", "counterparty_name",
                  "counterparty_iban", "reference", "remittance", "bank_reference", "end_to_end_id", "date_format",
                  "decimal_separator")
