from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from incasso.accounts.choices import Role
from incasso.disputes.choices import EscalationLevel, Priority, Resolution
from incasso.disputes.models import ReasonCode, ResolverDepartment, RootCauseCode


class CatalogueChoiceField(forms.ModelChoiceField):
    """Shows a catalogue row in the user's language and posts its code."""

    def label_from_instance(self, obj):  # type: ignore[no-untyped-def]
        return obj.label()


def resolvers():  # type: ignore[no-untyped-def]
    return get_user_model().objects.filter(groups__name=Role.DISPUTE_RESOLVER, is_active=True).order_by("username")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):  # type: ignore[no-untyped-def]
        return obj.get_full_name() or obj.get_username()


class OpenCaseForm(forms.Form):
    reason = CatalogueChoiceField(label=_("Reason"), queryset=ReasonCode.objects.filter(active=True),
                                  to_field_name="code")
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class AssignForm(forms.Form):
    department = CatalogueChoiceField(label=_("Resolver department"), to_field_name="code",
                                      queryset=ResolverDepartment.objects.filter(active=True))
    resolver = UserChoiceField(label=_("Resolver"), queryset=resolvers(), required=False)

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["resolver"].queryset = resolvers()


class ResolveForm(forms.Form):
    resolution = forms.ChoiceField(label=_("Resolution"), choices=[
        (r.value, r.label) for r in Resolution if r not in (Resolution.WRITTEN_OFF, Resolution.WITHDRAWN)])
    root_cause = CatalogueChoiceField(label=_("Root cause"), to_field_name="code",
                                      queryset=RootCauseCode.objects.filter(active=True))
    accepted_amount = forms.DecimalField(label=_("Accepted amount (partial acceptance)"), required=False,
                                         max_digits=18, decimal_places=2, min_value=0)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}))


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))


class ExtendDeadlineForm(forms.Form):
    deadline = forms.DateField(label=_("New deadline"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Why (required)"), max_length=200)


class DeescalateForm(forms.Form):
    level = forms.TypedChoiceField(label=_("Down to level"), coerce=int, choices=[
        (level.value, level.label) for level in EscalationLevel if level != EscalationLevel.TEAM_LEADER])
    reason = forms.CharField(label=_("Why (required)"), max_length=200)
