"""The customer page's open-item rows rendered in Python are the template loop they replaced, byte for byte."""

from __future__ import annotations

from datetime import date

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import translation

from incasso.ledger.choices import ItemKind
from incasso.testing.builders import a_customer, an_entity, an_item

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 15)

# The loop of ledger/customer_detail.html before the rows were rendered in Python: the reference.
TEMPLATE_ROWS = """{% load i18n incasso_ui payment_plans %}{% items_in_plan items as in_plan %}
      {% for item, days, signed_amount in items %}
        <tr{% if days > 0 and not item.is_credit %} class="is-overdue"{% endif %}>
          <td class="mono">{{ item.number }}</td>
          <td>{{ item.get_kind_display }}</td>
          <td class="num date">{{ item.document_date|bizdate }}</td>
          <td class="num date">{{ item.due_date|bizdate }}</td>
          <td class="num">{% if item.is_credit %}<span class="muted">—</span>{% elif days > 0 %}<span class="overdue-text" title="{% translate 'Overdue' %}">▲ {{ days|number }}</span>{% else %}<span class="muted">{{ days|number }}</span>{% endif %}</td>
          <td class="num">{% amount signed_amount item.currency %}</td>
          <td class="num strong">{% amount item.signed_open_amount item.currency %}</td>
          <td class="ref">{{ item.reference }}</td>
          <td class="chips">{% plan_chip in_plan item.pk %}</td>
          <td>{% if can_change and not item.is_credit %}<a class="btn btn-small btn-quiet" href="{% url 'disputes:open_case' customer.pk %}?item={{ item.pk }}" title="{% translate 'Open a dispute on this item' %}">{% translate "Open dispute" %}</a>{% endif %}</td>
        </tr>
      {% empty %}
        <tr><td colspan="10" class="empty">{% translate "No open items." %}</td></tr>
      {% endfor %}"""  # noqa: E501 - the template as it was
PYTHON_ROWS = """{% load ledger_rows payment_plans %}{% plan_chips items as chips %}
      {% item_rows items chips customer can_change %}"""


def rows_of(customer):  # type: ignore[no-untyped-def]
    return [(item, (TODAY - item.due_date).days, -item.amount if item.is_credit else item.amount)
            for item in customer.items.exclude(open_amount=0).order_by("due_date", "id")]


def render(source: str, customer, can_change: bool) -> str:  # type: ignore[no-untyped-def]
    context = {"items": rows_of(customer), "customer": customer, "can_change": can_change,
               "request": RequestFactory().get("/")}
    return Template(source).render(Context(context))


@pytest.fixture
def customer():  # type: ignore[no-untyped-def]
    paris = an_entity("FR01", timezone="Europe/Paris")
    acme = a_customer(paris, "C-100", name='<script>alert("Acme")</script> & Fils')
    an_item(acme, "<script>x</script>", amount="1234567.89", due_date=date(2026, 1, 31),
            reference='PO "7" <b>&</b>')
    an_item(acme, "INV-2", amount="800.00", open_amount="0.01", due_date=date(2026, 3, 31))
    an_item(acme, "INV-3", amount="12.50", due_date=TODAY)
    an_item(acme, "PAY-1", kind=ItemKind.PAYMENT, amount="200.00", due_date=date(2026, 3, 1))
    an_item(acme, "CN-1", kind=ItemKind.CREDIT_NOTE, amount="99.99", open_amount="50", due_date=date(2025, 3, 1))
    an_item(acme, "INV-USD", amount="500.00", currency="USD", due_date=date(2026, 2, 28))
    an_item(acme, "INV-JPY", amount="123456", currency="JPY", due_date=date(2036, 2, 28))
    an_item(acme, "INV-XXX", amount="5.00", currency="XTS", due_date=date(2026, 2, 1))
    return acme


@pytest.mark.parametrize("language", ["en", "fr", "de", "ro", "pt"])
@pytest.mark.parametrize("can_change", [True, False])
def test_python_rows_are_the_template_rows(customer, language, can_change):  # type: ignore[no-untyped-def]
    with translation.override(language):
        expected = render(TEMPLATE_ROWS, customer, can_change)
        rendered = render(PYTHON_ROWS, customer, can_change)

    assert rendered == expected


def test_python_rows_escape_what_the_erp_sent(customer):  # type: ignore[no-untyped-def]
    html = render(PYTHON_ROWS, customer, True)

    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert 'PO &quot;7&quot; &lt;b&gt;&amp;&lt;/b&gt;' in html


def test_no_open_items_reads_so(customer):  # type: ignore[no-untyped-def]
    customer.items.all().delete()

    assert render(PYTHON_ROWS, customer, True) == render(TEMPLATE_ROWS, customer, True)
    assert "No open items." in render(PYTHON_ROWS, customer, True)
