"""The one-query choices of the escalation form's senior list: the same HTML as Django's own iterator, read
with ordinary queries (no server-side cursor on PostgreSQL)."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from incasso.accounts.actions import create_user_with_roles
from incasso.accounts.choices import Role
from incasso.audit.events import SYSTEM
from incasso.collections.actions.portfolio import seniors
from incasso.collections.forms import EscalateForm
from incasso.collections.rendering import WIDGETS

pytestmark = pytest.mark.django_db


class _DjangoChoices(EscalateForm):
    senior = forms.ModelChoiceField(label=EscalateForm.base_fields["senior"].label,
                                    queryset=get_user_model().objects.none())


def test_senior_list_is_the_same_html_in_one_plain_query(team) -> None:  # type: ignore[no-untyped-def]
    create_user_with_roles("zoe <script>", "pw-zoe-12345678", [Role.SENIOR_COLLECTOR], by=SYSTEM)
    create_user_with_roles("ana-lead", "pw-ana-12345678", [Role.TEAM_LEADER], by=SYSTEM)
    for language in ("en", "fr", "ro"):
        with translation.override(language):
            for data in (None, {"senior": str(get_user_model().objects.get(username="ana-lead").pk)}):
                ours = EscalateForm(data, seniors=seniors(), auto_id="escalate_%s", renderer=WIDGETS)
                django = _DjangoChoices(data, seniors=seniors(), auto_id="escalate_%s")
                django.fields["senior"].queryset = seniors()
                with CaptureQueriesContext(connection) as queries:
                    html = str(ours["senior"])
                with CaptureQueriesContext(connection) as djangos_queries:
                    assert html == str(django["senior"])
                assert "zoe &lt;script&gt;" in html and "ana-lead" in html
                assert len(queries) == len(djangos_queries)
                assert all(query["sql"].lstrip().startswith("SELECT") for query in queries), queries
                assert ours.is_valid() == django.is_valid()
