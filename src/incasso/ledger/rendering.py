"""Rows of the customer screens rendered in Python, and the formatting they share with the worklist.

A page of open items is 100 rows of ten cells: through template tags (``amount``, ``bizdate``,
``number``) that is thousands of node renders and a Babel call per cell, which was most of the
customer page's CPU. Here each row is one f-string, every value escaped by ``escape_text`` (what
Django's ``escape`` does), with ``Formats`` prepared once per request: the locale, the date
pattern and the number separators, and each distinct value formatted once.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from contextlib import suppress
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel import Locale
from babel.dates import format_date, get_date_format
from babel.numbers import format_currency, format_decimal
from django.forms.models import ModelChoiceIteratorValue
from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, ngettext

from incasso.core.money import MoneyError, quantize
from incasso.ledger.choices import ItemKind

# Babel locale per UI language, as the screens' template tags use (English as en_GB).
LOCALES = {"en": "en_GB", "fr": "fr_FR", "es": "es_ES", "de": "de_DE", "it": "it_IT", "ro": "ro_RO", "pt": "pt_PT"}


_CENT = Decimal("0.01")


class Formats:
    """Number, money and date formatting for one request's language (prepared once)."""

    def __init__(self, language: str | None = None) -> None:
        language = (language or get_language() or "en").split("-")[0]
        self.language = language
        self.locale = Locale.parse(LOCALES.get(language, "en_GB"))
        pattern = get_date_format("short", locale=self.locale).pattern
        if "yyyy" not in pattern:  # ledgers span decades: always a four-digit year
            pattern = pattern.replace("yy", "yyyy") if "yy" in pattern else pattern.replace("y", "yyyy")
        self.date_pattern = pattern
        # A page repeats its thresholds, day counts and amounts: each value is formatted once.
        self._dates: dict[date, str] = {}
        self._numbers: dict[int | Decimal, str] = {}
        self._decimals: dict[Decimal, str] = {}
        self._money: dict[tuple[Decimal, str], str] = {}
        self._texts: dict[str, str] = {}  # gettext and ngettext answers (a page asks the same ones often)
        self._plurals: dict[tuple[str, int], str] = {}
        # Babel's pattern engine costs ~0.1 ms a number; the locale's separators and each currency's
        # prefix and suffix are read from Babel once, and the digits grouped by Python (checked against
        # Babel for every UI locale in the tests).
        sample = format_decimal(Decimal("1234.5"), format="#,##0.00", locale=self.locale)
        self._group, self._point = sample[1], sample[-3]
        self._currency_affixes: dict[str, tuple[str, str] | None] = {}

    def gettext(self, message: str) -> str:
        text = self._texts.get(message)
        if text is None:
            text = self._texts[message] = gettext(message)
        return text

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        key = (singular, n)
        text = self._plurals.get(key)
        if text is None:
            text = self._plurals[key] = ngettext(singular, plural, n)
        return text

    def _grouped(self, value: Decimal | int, places: int) -> str:
        text = f"{value:,.{places}f}" if places else f"{value:,}"
        return text.replace(",", "\0").replace(".", self._point).replace("\0", self._group)

    def number(self, value: int | Decimal) -> str:
        text = self._numbers.get(value)
        if text is None:
            text = self._numbers[value] = self._grouped(value, 0) if isinstance(value, int) and value >= 0 \
                else format_decimal(value, locale=self.locale)
        return text

    def decimal2(self, value: Decimal) -> str:
        text = self._decimals.get(value)
        if text is None:
            text = self._decimals[value] = self._grouped(Decimal(value).quantize(_CENT, ROUND_HALF_UP), 2)
        return text

    def money(self, value: Decimal, currency: str) -> str:
        key = (value, currency)
        text = self._money.get(key)
        if text is None:
            affixes = self._affixes(currency)
            if affixes is not None and value >= 0 and not (isinstance(value, Decimal) and value.is_signed()):
                text = f"{affixes[0]}{self._grouped(Decimal(value).quantize(_CENT, ROUND_HALF_UP), 2)}{affixes[1]}"
            else:
                amount = value
                with suppress(MoneyError):  # an unknown currency is shown as the ERP sent it
                    amount = quantize(value, currency)
                text = format_currency(amount, currency, locale=self.locale)
            self._money[key] = text
        return text

    def _affixes(self, currency: str) -> tuple[str, str] | None:
        """What Babel puts before and after a positive amount in ``currency`` (None: not two decimals)."""
        if currency not in self._currency_affixes:
            sample = format_currency(Decimal("1234567.89"), currency, locale=self.locale)
            digits = self._grouped(Decimal("1234567.89"), 2)
            affixes = None
            if digits in sample:
                before, after = sample.split(digits, 1)
                affixes = (before, after)
            self._currency_affixes[currency] = affixes
        return self._currency_affixes[currency]

    def date(self, value: date | None) -> str:
        if value is None:
            return ""
        text = self._dates.get(value)
        if text is None:
            text = self._dates[value] = format_date(value, self.date_pattern, locale=self.locale)
        return text


def escape_text(text: object) -> str:
    """Django's ``escape`` without the ``SafeString`` wrapping (the same five replacements)."""
    return html.escape(str(text))


def amount_cell(value: Decimal | None, currency: str, formats: Formats) -> str:
    """What the ``amount`` template tag renders (without ``overdue``): the amount in a span whose
    classes mark negative and zero amounts."""
    if value is None:
        return ""
    classes = " neg" if value < 0 else " zero" if value == 0 else ""
    return f'<span class="amt{classes}">{escape_text(formats.money(value, currency))}</span>'


def open_item_rows(rows: Iterable[tuple], *, formats: Formats, chips: Mapping[int, str],
                   dispute_url: str | None) -> SafeString:
    """The ``<tr>`` of each ``(item, days past due, signed amount)`` on the customer page, laid out as
    the template's loop did. ``chips``: the HTML of an item's payment-plan chip (the collections app
    knows the plans); ``dispute_url``: where to open a dispute, None when the user may not."""
    kinds = {kind: escape_text(label) for kind, label in ItemKind.choices}
    overdue_title = escape_text(gettext("Overdue"))
    dispute_title = escape_text(gettext("Open a dispute on this item"))
    dispute_label = escape_text(gettext("Open dispute"))
    dispute_url = escape_text(dispute_url) if dispute_url else None
    credit_days = '<span class="muted">—</span>'
    overdue_class = ' class="is-overdue"'
    out: list[str] = []
    for item, days, signed_amount in rows:
        is_credit = item.is_credit
        if is_credit:
            days_cell = credit_days
        elif days > 0:
            days_cell = (f'<span class="overdue-text" title="{overdue_title}">▲ '
                         f'{escape_text(formats.number(days))}</span>')
        else:
            days_cell = f'<span class="muted">{escape_text(formats.number(days))}</span>'
        dispute = ""
        if dispute_url and not is_credit:
            dispute = (f'<a class="btn btn-small btn-quiet" href="{dispute_url}?item={item.pk}" '
                       f'title="{dispute_title}">{dispute_label}</a>')
        out.append(
            f'\n        <tr{overdue_class if days > 0 and not is_credit else ""}>'
            f'\n          <td class="mono">{escape_text(item.number)}</td>'
            f'\n          <td>{kinds.get(item.kind) or escape_text(item.kind)}</td>'
            f'\n          <td class="num date">{escape_text(formats.date(item.document_date))}</td>'
            f'\n          <td class="num date">{escape_text(formats.date(item.due_date))}</td>'
            f'\n          <td class="num">{days_cell}</td>'
            f'\n          <td class="num">{amount_cell(signed_amount, item.currency, formats)}</td>'
            f'\n          <td class="num strong">{amount_cell(item.signed_open_amount, item.currency, formats)}</td>'
            f'\n          <td class="ref">{escape_text(item.reference)}</td>'
            f'\n          <td class="chips">{chips.get(item.pk, "")}</td>'
            f'\n          <td>{dispute}</td>'
            f'\n        </tr>\n      '
        )
    if not out:
        empty = escape_text(gettext("No open items."))
        out.append(f'\n        <tr><td colspan="10" class="empty">{empty}</td></tr>\n      ')
    return mark_safe("".join(out))  # noqa: S308 - every value in the rows went through escape_text


class RememberingRenderer(DjangoTemplates):
    """The default form renderer, remembering the HTML of each widget context it has rendered.

    The collections side panel's forms are a dozen widgets (kinds, outcomes, dispute reasons, templates,
    dates...), the same for every customer but the items and contacts; rendered through the widget
    templates they were a third of the panel's CPU. A widget's HTML is a function of its template, its context (name,
    value, attributes, choices: all plain values, frozen into the key) and the language, so what was
    rendered once is reused as is. A context holding anything else is rendered every time.
    """

    limit = 2000  # contexts remembered per process (a few kB each); forgotten all at once beyond

    def __init__(self) -> None:
        super().__init__()
        self._html: dict[tuple, str] = {}

    def render(self, template_name, context, request=None):  # type: ignore[no-untyped-def]
        key = None
        if request is None:
            try:
                key = (template_name, get_language(), _frozen(context))
            except _NotPlain:
                key = None
        if key is None:
            return super().render(template_name, context, request=request)
        html = self._html.get(key)
        if html is None:
            if len(self._html) >= self.limit:
                self._html.clear()
            html = self._html[key] = super().render(template_name, context)
        return html


class _NotPlain(Exception):
    pass


_PLAIN = (str, int, float, bool, Decimal, date, type(None))


def _frozen(value: object) -> object:
    """A hashable copy of a widget context made of plain values (lazy texts as the text they read now)."""
    if type(value) is str:
        return value
    if isinstance(value, _PLAIN):  # typed: 1, 1.0, True and Decimal("1") are equal keys but render apart
        return (type(value).__name__, str(value) if isinstance(value, str) else value)
    if isinstance(value, Promise | ModelChoiceIteratorValue):
        return (type(value).__name__, str(value))
    if isinstance(value, dict):
        return tuple((key, _frozen(item)) for key, item in value.items())
    if isinstance(value, list | tuple):
        return (type(value).__name__, *map(_frozen, value))
    raise _NotPlain(type(value).__name__)


FORMS = RememberingRenderer()  # the customer page's dunning-block form
