from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from incasso.collections.actions.plans import PlanTerms
from incasso.collections.choices import ActivityKind, EmailTemplate, Outcome, PlanFrequency, TaskPriority
from incasso.collections.models.strategy import CONDITION_CHOICES
from incasso.core.money import ZERO

DATE = forms.DateInput(attrs={"type": "date"})


class OneQueryChoices(forms.models.ModelChoiceIterator):
    """The choices of a model choice field read with one ordinary query.

    Django's iterator reads them through ``QuerySet.iterator()``, which on PostgreSQL is a server-side cursor
    WITH HOLD outside a transaction: DECLARE, describe, FETCH and CLOSE, four round trips to the server for a
    handful of rows, each a wait for the server's turn on a busy machine (the side panel's senior list was a
    tenth of the panel under load). Same choices, same order, same HTML."""

    def __iter__(self):  # type: ignore[no-untyped-def]
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class OneQueryModelChoiceField(forms.ModelChoiceField):
    iterator = OneQueryChoices


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices, initial=ActivityKind.CALL)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[c for c in Outcome.choices if c[0] != Outcome.SENT])
    contact = forms.TypedChoiceField(label=_("Contact"), required=False, coerce=int, empty_value=None)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    follow_up_on = forms.DateField(label=_("Follow-up date"), required=False, widget=DATE)
    promise_amount = forms.DecimalField(label=_("Promised amount"), required=False, min_value=0, decimal_places=2)
    promise_date = forms.DateField(label=_("Promised date"), required=False, widget=DATE)
    items = forms.TypedMultipleChoiceField(label=_("Items concerned"), required=False, coerce=int)
    # "Disputed" with a reason opens a dispute case over the items concerned, in the same transaction.
    dispute_reason = forms.ChoiceField(label=_("Dispute reason"), required=False)
    disputed_amount = forms.DecimalField(
        label=_("Disputed amount"), required=False, min_value=0, decimal_places=2,
        help_text=_("Only with one item: the part of it the customer disputes (default: its whole open amount)."))

    def __init__(self, *args, contacts=(), items=(), reasons=(), **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["contact"].choices = [("", "—")] + [(c.pk, str(c)) for c in contacts]
        self.fields["items"].choices = [(i.pk, i.number) for i in items]
        self.fields["dispute_reason"].choices = [("", "—")] + [(r.code, r.label()) for r in reasons]
        self.open_amounts = {i.pk: i.open_amount for i in items}

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        amount, when = data.get("promise_amount"), data.get("promise_date")
        if (amount is None) != (when is None):
            raise forms.ValidationError(_("A promise needs both an amount and a date."))
        if data.get("outcome") == Outcome.PROMISED and amount is None:
            self.add_error("promise_amount", _("Enter the promised amount and date."))
        reason, disputed = data.get("dispute_reason"), data.get("disputed_amount")
        if (reason or disputed is not None) and data.get("outcome") != Outcome.DISPUTED:
            self.add_error("dispute_reason", _("A dispute reason goes with the outcome 'disputed'."))
        elif reason:
            chosen = data.get("items") or []
            if not chosen:
                self.add_error("items", _("Choose the disputed items."))
            elif disputed is not None and len(chosen) != 1:
                self.add_error("disputed_amount", _("A disputed amount is given for one item at a time."))
        elif disputed is not None:
            self.add_error("dispute_reason", _("Choose the reason of the dispute."))
        return data

    def dispute_lines(self) -> tuple[tuple[int, Decimal], ...]:
        """Per chosen item, the disputed amount (valid form with a dispute reason)."""
        chosen = self.cleaned_data["items"]
        disputed = self.cleaned_data["disputed_amount"]
        if disputed is not None:
            return ((chosen[0], disputed),)
        return tuple((item_id, self.open_amounts[item_id]) for item_id in chosen)


class EmailForm(forms.Form):
    template = forms.ChoiceField(label=_("Template"), choices=EmailTemplate.choices)
    contact = forms.TypedChoiceField(label=_("To"), required=False, coerce=int, empty_value=None)
    follow_up_on = forms.DateField(label=_("Follow-up date"), required=False, widget=DATE)

    def __init__(self, *args, contacts=(), **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["contact"].choices = [("", _("reminders contact"))] + [
            (c.pk, f"{c} <{c.email}> {c.language.upper()}") for c in contacts if c.email]


def _users():  # type: ignore[no-untyped-def]
    return get_user_model().objects.order_by("username")


class EscalateForm(forms.Form):
    """Hand an account to a senior collector by hand ("second voice")."""

    account = forms.CharField(label=_("Customer account"), max_length=40)
    senior = OneQueryModelChoiceField(label=_("Senior collector"), queryset=get_user_model().objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, seniors=None, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        if seniors is not None:
            self.fields["senior"].queryset = seniors


class ReassignForm(forms.Form):
    customer = forms.IntegerField(widget=forms.HiddenInput)
    collector = forms.ModelChoiceField(label=_("Collector"), queryset=_users())
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)


class AbsenceForm(forms.Form):
    collector = forms.ModelChoiceField(label=_("Absent collector"), queryset=_users())
    substitute = forms.ModelChoiceField(label=_("Substitute"), queryset=_users())
    starts_on = forms.DateField(label=_("From"), widget=DATE)
    ends_on = forms.DateField(label=_("Until"), widget=DATE)


class TaskForm(forms.Form):
    collector = forms.ModelChoiceField(label=_("Collector"), queryset=_users())
    title = forms.CharField(label=_("Task"), max_length=200)
    due_on = forms.DateField(label=_("Due date"), widget=DATE)
    priority = forms.TypedChoiceField(label=_("Priority"), choices=TaskPriority.choices, coerce=int,
                                      initial=TaskPriority.NORMAL)


class StrategyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    segment = forms.CharField(label=_("Segment"), max_length=40, required=False)
    lowered_percent = forms.IntegerField(label=_("Priority kept when lowered (%)"), min_value=0, max_value=100)
    due_soon_days = forms.IntegerField(label=_("Due soon = due within (days)"), min_value=1, max_value=90)


class RuleForm(forms.Form):
    condition = forms.ChoiceField(label=_("Condition"), choices=CONDITION_CHOICES)
    threshold = forms.DecimalField(label=_("Threshold"), decimal_places=2)
    points = forms.IntegerField(label=_("Points"))
    window_days = forms.IntegerField(label=_("Window (days)"), required=False, min_value=1)
    label = forms.CharField(label=_("Reason shown"), required=False, max_length=120)


RuleFormSet = forms.formset_factory(RuleForm, extra=2, can_delete=True)


class PlanForm(forms.Form):
    """The terms of a payment plan as the collector agreed them on the phone."""

    items = forms.TypedMultipleChoiceField(label=_("Items covered"), coerce=int, widget=forms.CheckboxSelectMultiple)
    instalment_count = forms.IntegerField(label=_("Number of instalments"), min_value=1, max_value=60, initial=3)
    frequency = forms.ChoiceField(label=_("Frequency"), choices=PlanFrequency.choices, initial=PlanFrequency.MONTHLY)
    first_due_date = forms.DateField(label=_("First instalment on"), widget=DATE)
    down_payment = forms.DecimalField(label=_("Down payment"), required=False, min_value=0, decimal_places=3)
    down_payment_due = forms.DateField(label=_("Down payment due on"), required=False, widget=DATE)
    fee_amount = forms.DecimalField(label=_("Fee agreed"), required=False, min_value=0, decimal_places=3)
    interest_amount = forms.DecimalField(label=_("Interest agreed"), required=False, min_value=0, decimal_places=3)
    tolerance_days = forms.IntegerField(label=_("Tolerance days"), min_value=0, max_value=30, initial=3)
    note = forms.CharField(label=_("Note for the risk approver"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, items=(), **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [(i.pk, i.number) for i in items]

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        amount, when = data.get("down_payment"), data.get("down_payment_due")
        if amount and when is None:
            self.add_error("down_payment_due", _("A down payment needs its due date."))
        return data

    def terms(self) -> PlanTerms:
        data = self.cleaned_data
        return PlanTerms(
            items=tuple((item_id, None) for item_id in data["items"]), instalment_count=data["instalment_count"],
            frequency=data["frequency"], first_due_date=data["first_due_date"],
            down_payment=data["down_payment"] or ZERO,
            down_payment_due=data["down_payment_due"] if data["down_payment"] else None,
            fee_amount=data["fee_amount"] or ZERO, interest_amount=data["interest_amount"] or ZERO,
            tolerance_days=data["tolerance_days"] if data["tolerance_days"] is not None else 3, note=data["note"],
        )


class PlanDecisionForm(forms.Form):
    note = forms.CharField(label=_("Reason"), required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2}))
