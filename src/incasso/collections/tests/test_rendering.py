"""The pages' Python rendering: escaping on the worklist, and the side panel's remembered widgets."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.forms.renderers import DjangoTemplates
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe

from incasso.audit.events import SYSTEM
from incasso.collections.actions.worklist import build_worklists
from incasso.collections.forms import ActivityForm, EmailForm
from incasso.collections.rendering import WIDGETS
from incasso.collections.tests.stories import AS_OF, a_portfolio
from incasso.disputes.queries import active_reasons
from incasso.ledger.models import Item
from incasso.ledger.rendering import RememberingRenderer, _frozen
from incasso.testing.builders import a_customer, an_item

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]

NASTY = '<script>alert("x")</script> & <b>Fils</b>'


@pytest.fixture
def portfolio(team):  # type: ignore[no-untyped-def]
    portfolio = a_portfolio(team)
    nasty = a_customer(portfolio.paris, "<X&Y>", name=NASTY, collector=team.anna)
    an_item(nasty, '<img src=x onerror="1">', amount="25000.00", due_date=AS_OF - timedelta(days=90),
            reference='"><script>')
    build_worklists(AS_OF, by=SYSTEM)
    portfolio.nasty = nasty
    return portfolio


def test_the_worklist_escapes_what_the_erp_sent(client, team, portfolio):  # type: ignore[no-untyped-def]
    client.force_login(team.anna)

    html = client.get(reverse("collections:worklist")).content.decode()

    assert "<script>" not in html and "<b>Fils</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;Fils&lt;/b&gt;" in html
    assert "&lt;X&amp;Y&gt; · FR01" in html


def test_the_customer_page_escapes_what_the_erp_sent(client, team, portfolio):  # type: ignore[no-untyped-def]
    client.force_login(team.anna)

    html = client.get(reverse("ledger:customer_detail", args=[portfolio.nasty.pk])).content.decode()

    assert "<script>" not in html and "<img" not in html
    assert "&lt;img src=x onerror=&quot;1&quot;&gt;" in html and "&quot;&gt;&lt;script&gt;" in html


@pytest.mark.parametrize("language", ["en", "fr", "ro"])
def test_remembered_widgets_are_the_rendered_ones(portfolio, language):  # type: ignore[no-untyped-def]
    items = list(Item.objects.filter(customer=portfolio.nasty)) + list(Item.objects.filter(customer=portfolio.acme))
    plain, remembering = DjangoTemplates(), RememberingRenderer()

    def html(renderer, data=None):  # type: ignore[no-untyped-def]
        form = ActivityForm(data, items=items, reasons=active_reasons(), renderer=renderer)
        email = EmailForm(renderer=renderer)
        return [str(form[name]) for name in form.fields] + [str(email["template"]), str(form.non_field_errors())]

    invalid = {"kind": "call", "outcome": "promised", "promise_amount": "12", "items": [items[0].pk]}
    with translation.override(language):
        expected = [html(plain), html(plain, invalid)]
        first = [html(remembering), html(remembering, invalid)]
        again = [html(remembering), html(remembering, invalid)]

    assert first == expected and again == expected
    assert any("&lt;img src=x" in widget for widget in first[0])


def test_a_widget_is_remembered_per_language(portfolio):  # type: ignore[no-untyped-def]
    renderer = RememberingRenderer()
    with translation.override("en"):
        english = str(EmailForm(renderer=renderer)["template"])
    with translation.override("fr"):
        french = str(EmailForm(renderer=renderer)["template"])

    assert english != french and len(renderer._html) == 2
    assert WIDGETS is not renderer


def test_keys_keep_values_that_render_apart_apart():  # type: ignore[no-untyped-def]
    assert len({_frozen(value) for value in (1, True, 1.0, Decimal("1"), "1")}) == 5
    assert _frozen({"a": [1, (2, "x")]}) == _frozen({"a": [1, (2, "x")]})
    assert _frozen([1]) != _frozen((1,))
    assert _frozen(mark_safe("<b>")) != _frozen("<b>")  # noqa: S308 - a constant
