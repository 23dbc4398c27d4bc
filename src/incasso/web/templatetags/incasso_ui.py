"""Template tags for the screens: money and dates in the user's locale, sortable headers, roles.

Money is formatted with Babel in the locale of the active UI language (English as en_GB, the
convention of a European shared-service centre), rounded at the currency's minor unit. Negative
amounts keep their minus sign and get the ``neg`` class, so they are marked by more than colour.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlencode

from babel.dates import format_date, format_datetime, get_date_format
from babel.numbers import format_currency, format_decimal
from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import get_language, to_locale

from incasso.accounts.choices import Role
from incasso.accounts.rules import roles_of
from incasso.core.money import MoneyError, quantize
from incasso.ledger.choices import ItemKind

register = template.Library()

# Babel locale per UI language; the bare language would give US conventions for English.
_LOCALES = {"en": "en_GB", "fr": "fr_FR", "es": "es_ES", "de": "de_DE", "it": "it_IT", "ro": "ro_RO", "pt": "pt_PT"}


def ui_locale() -> str:
    language = (get_language() or "en").split("-")[0]
    return _LOCALES.get(language, to_locale(language))


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    """``1234.5|money:"EUR"`` → ``1 234,50 €`` in French, ``€1,234.50`` in English."""
    if amount is None or amount == "":
        return ""
    amount = Decimal(amount)
    with suppress(MoneyError):  # an unknown currency is shown as the ERP sent it rather than hidden
        amount = quantize(amount, currency)
    return format_currency(amount, currency, locale=ui_locale())


@register.simple_tag
def amount(value: Decimal | None, currency: str, overdue: bool = False) -> str:
    """A right-aligned amount cell's content: negative amounts carry the sign and a class."""
    if value is None:
        return ""
    classes = ["amt"]
    if value < 0:
        classes.append("neg")
    if value == 0:
        classes.append("zero")
    if overdue and value > 0:
        classes.append("overdue")
        return format_html('<span class="{}"><span class="od-mark" aria-hidden="true">▲</span>{}</span>',
                           " ".join(classes), money(value, currency))
    return format_html('<span class="{}">{}</span>', " ".join(classes), money(value, currency))


@register.filter
def number(value: int | Decimal | None) -> str:
    if value is None:
        return ""
    return format_decimal(value, locale=ui_locale())


@register.filter
def bizdate(value: date | None, style: str = "short") -> str:
    """A business date (due, document, as-of) in the user's locale; ``short`` keeps a 4-digit year."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if style == "short":
        locale = ui_locale()
        # Babel's short pattern has a two-digit year in most locales; ledgers span decades.
        pattern = get_date_format("short", locale=locale).pattern
        if "yyyy" not in pattern:
            pattern = pattern.replace("yy", "yyyy") if "yy" in pattern else pattern.replace("y", "yyyy")
        return format_date(value, pattern, locale=locale)
    return format_date(value, style, locale=ui_locale())


@register.filter
def moment(value: datetime | None) -> str:
    """A record time (audit event) in the server's timezone, in the user's locale."""
    if value is None:
        return ""
    return format_datetime(timezone.localtime(value), "short", locale=ui_locale())


@register.simple_tag
def role_labels(user) -> list[str]:  # type: ignore[no-untyped-def]
    """The display names of the user's roles, in the Role enum's order."""
    roles = roles_of(user)
    return [str(role.label) for role in Role if role.value in roles]


@register.simple_tag(takes_context=True)
def sort_header(context, field: str, label: str, param: str = "sort", numeric: bool = False) -> str:  # type: ignore[no-untyped-def]
    """A column header link that sorts by ``field``, toggling the direction; keeps other filters."""
    request = context["request"]
    current = request.GET.get(param, "")
    if current == field:
        target, state, arrow = f"-{field}", "ascending", "▲"
    elif current == f"-{field}":
        target, state, arrow = field, "descending", "▼"
    else:
        target, state, arrow = field, "none", ""
    query = request.GET.copy()
    query[param] = target
    for key in [k for k in query if k == "page" or k.endswith("_page")]:
        query.pop(key)
    return format_html(
        '<th scope="col" aria-sort="{}" class="{}"><a href="?{}">{}'
        '<span class="sort-arrow" aria-hidden="true">{}</span></a></th>',
        state, "num" if numeric else "", query.urlencode(), label, arrow,
    )


@register.simple_tag(takes_context=True)
def page_url(context, page_number: int, param: str = "page") -> str:  # type: ignore[no-untyped-def]
    """The current URL with another page number, keeping filters and sorting."""
    query = context["request"].GET.copy()
    query[param] = page_number
    return "?" + query.urlencode()


@register.simple_tag
def drill_url(params: dict, bucket: int | None = None) -> str:  # type: ignore[type-arg]
    """The drill-down list of the items behind one aging cell (``bucket`` None: the whole row)."""
    query = {key: value for key, value in params.items() if value not in (None, "")}
    if bucket is not None:
        query["bucket"] = bucket
    return reverse("reports:aging_items") + "?" + urlencode(query)


@register.filter
def kind_label(kind: str) -> str:
    """The translated name of an item kind code (``invoice`` → ``Facture``)."""
    try:
        return str(ItemKind(kind).label)
    except ValueError:
        return kind
