"""Worklist rows and reasons in the reader's language, rendered in Python.

A worklist page shows 50 rows, each with up to a dozen reasons, two amounts, a date and chips. Done
through template tags that is a few thousand node renders and several hundred Babel calls per page;
here each row is one ``format_html`` with formatters prepared once per request (locale, date
pattern, number patterns), which is what keeps the page within its 200 ms under load.

Reasons are stored as compact codes (``incasso.core.collections.strategy.Reason.code``) and put
into words here through gettext, so a French collector reads "2 promesses non tenues en 60 jours".
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel import Locale
from babel.dates import format_date, get_date_format
from babel.numbers import format_currency, format_decimal
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, ngettext

from incasso.core.collections.strategy import RISK_NAMES, Condition, Reason
from incasso.core.money import MoneyError, quantize
from incasso.ledger.choices import RiskClass

# Babel locale per UI language, as the screens' template tags use (English as en_GB).
LOCALES = {"en": "en_GB", "fr": "fr_FR", "es": "es_ES", "de": "de_DE", "it": "it_IT", "ro": "ro_RO", "pt": "pt_PT"}

_CENT = Decimal("0.01")
NEXT_ACTIONS = {
    "follow_up": lambda: gettext("Follow up"),
    "check_promise": lambda: gettext("Check the promise"),
    "call": lambda: gettext("Call"),
    "remind_due_soon": lambda: gettext("Remind before due"),
}
LOWERED = {
    "promise": lambda: gettext("active promise to pay"),
    "plan": lambda: gettext("in a payment plan"),
    "disputed": lambda: gettext("all overdue items disputed"),
}


class Formats:
    """Number, money and date formatting for one request's language (prepared once)."""

    def __init__(self, language: str | None = None) -> None:
        language = (language or get_language() or "en").split("-")[0]
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
        self.reason_items: dict[tuple, str] = {}  # the <li> of each reason code, see ``reasons_html``
        # Babel's pattern engine costs ~0.1 ms a number; the locale's separators and each currency's
        # prefix and suffix are read from Babel once, and the digits grouped by Python (checked against
        # Babel for every UI locale in the tests).
        sample = format_decimal(Decimal("1234.5"), format="#,##0.00", locale=self.locale)
        self._group, self._point = sample[1], sample[-3]
        self._currency_affixes: dict[str, tuple[str, str] | None] = {}

    def _grouped(self, value: Decimal | int, places: int) -> str:
        text = f"{value:,.{places}f}" if places else f"{value:,}"
        return text.replace(",", "\0").replace(".", self._point).replace("\0", self._group)

    def number(self, value: int | Decimal) -> str:
        text = self._numbers.get(value)
        if text is None:
            text = self._numbers[value] = self._grouped(value, 0) if isinstance(value, int) \
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
            if affixes is not None and value >= 0:
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


def reason_text(reason: Reason, formats: Formats) -> str:
    """One reason in the active language ("2 promises broken in 60 days")."""
    if reason.label:
        return reason.label
    n = 0 if reason.value is None else int(reason.value)
    match reason.condition:
        case Condition.OVERDUE_AMOUNT:
            return gettext("%(amount)s overdue (≥ %(threshold)s)") % {
                "amount": formats.decimal2(reason.value), "threshold": formats.decimal2(reason.param)}
        case Condition.DAYS_PAST_DUE:
            return ngettext("oldest item %(n)s day past due (≥ %(threshold)s)",
                            "oldest item %(n)s days past due (≥ %(threshold)s)", n) % {
                "n": formats.number(n), "threshold": formats.number(reason.param)}
        case Condition.DUE_SOON_AMOUNT:
            return gettext("%(amount)s falls due soon (≥ %(threshold)s)") % {
                "amount": formats.decimal2(reason.value), "threshold": formats.decimal2(reason.param)}
        case Condition.BROKEN_PROMISES:
            return ngettext("%(n)s promise broken in %(days)s days", "%(n)s promises broken in %(days)s days", n) % {
                "n": n, "days": reason.param}
        case Condition.OPEN_DISPUTES:
            return ngettext("%(n)s open dispute", "%(n)s open disputes", n) % {"n": n}
        case Condition.CREDIT_LIMIT_USE:
            return gettext("credit limit %(n)s %% used (≥ %(threshold)s %%)") % {
                "n": formats.number(n), "threshold": formats.number(reason.param)}
        case Condition.RISK_CLASS:
            risk = RISK_NAMES.get(n, "")
            label = RiskClass(risk).label if risk in RiskClass.values else str(n)
            return gettext("risk class %(risk)s") % {"risk": label}
        case Condition.DAYS_SINCE_CONTACT:
            if reason.value is None:
                return gettext("never contacted")
            return ngettext("no contact for %(n)s day", "no contact for %(n)s days", n) % {"n": formats.number(n)}
        case Condition.DUNNING_LEVEL:
            return gettext("dunning level %(n)s") % {"n": n}
        case Condition.CUSTOMER_VALUE:
            return gettext("customer value %(amount)s in 12 months") % {"amount": formats.decimal2(reason.value)}
    return str(reason.condition)


def reasons_of(codes: Iterable, formats: Formats) -> list[tuple[str, int]]:
    """(text, points) of each stored reason code."""
    result = []
    for code in codes:
        reason = Reason.from_code(code)
        result.append((reason_text(reason, formats), reason.points))
    return result


def reasons_html(codes: Iterable, formats: Formats) -> str:
    """The ``<li>`` items of stored reason codes (each distinct code put into words once per request)."""
    cache = formats.reason_items
    parts = []
    for code in codes:
        key = tuple(code) if isinstance(code, list) else tuple(sorted(code.items()))
        item = cache.get(key)
        if item is None:
            reason = Reason.from_code(code)
            item = cache[key] = (f'<li><span>{escape(reason_text(reason, formats))}</span>'
                                 f'<span class="pts">+{reason.points}</span></li>')
        parts.append(item)
    return "".join(parts)


def worklist_rows(entries: Iterable, *, customers_prefix: str, done_prefix: str, back: str, csrf_token: str,
                  formats: Formats) -> SafeString:
    """The ``<tr>`` of each worklist entry (entries with ``customer__entity`` and ``substitute_for``
    selected: no query here)."""
    done_label = escape(gettext("Done"))
    done_title = escape(gettext("Done for today (d)"))
    escalated = format_html('<span class="chip chip-esc" title="{}">{}</span>',
                            gettext("Escalated to you as second voice"), gettext("escalated"))
    lowered_title = gettext("Priority lowered because of")
    no_points = format_html('<li class="muted">{}</li>', gettext("no rule gave points"))
    overdue_marker = mark_safe('<span class="od-mark" aria-hidden="true">▲</span>')  # noqa: S308 - a constant
    dash = mark_safe('<span class="muted">—</span>')  # noqa: S308 - a constant
    csrf = escape(csrf_token)
    out: list[str] = []
    for entry in entries:
        customer = entry.customer
        url = f"{customers_prefix}{entry.customer_id}/?next={back}"
        chips: list[str] = []
        if entry.substitute_for_id:
            who = entry.substitute_for
            chips.append(format_html(
                '<span class="chip chip-sub" title="{}">{}</span>',
                gettext("You substitute for %(who)s") % {"who": who.get_full_name() or who.username},
                gettext("for %(who)s") % {"who": who.username}))
        if entry.escalated:
            chips.append(escalated)
        for code in entry.lowered_because:
            label = LOWERED[code]() if code in LOWERED else code
            chips.append(format_html('<span class="chip chip-lowered" title="{} {}">{}</span>', lowered_title,
                                     label, label))
        reasons = reasons_html(entry.reasons, formats) or no_points
        overdue = entry.overdue_amount
        overdue_cell = format_html('<span class="amt{}">{}{}</span>', _amount_classes(overdue, overdue=True),
                                   overdue_marker if overdue > 0 else "", formats.money(overdue, entry.currency))
        soon = entry.due_soon_amount
        soon_cell = format_html('<span class="amt{}">{}</span>', _amount_classes(soon),
                                formats.money(soon, entry.currency))
        dpd = entry.max_days_past_due
        dpd_cell = format_html('<span class="overdue-text">▲ {}</span>', formats.number(dpd)) if dpd > 0 else dash
        action = NEXT_ACTIONS[entry.next_action]() if entry.next_action in NEXT_ACTIONS else entry.next_action
        done_url = f"{done_prefix}{entry.pk}/done/"
        out.append(format_html(
            '<tr data-entry="{pk}" tabindex="-1" data-open="{url}" data-call="{url}#log-call" id="entry-{pk}">'
            '<td class="num prio">{priority}</td>'
            '<td class="name"><a href="{url}">{name}</a> <span class="muted mono small">{account} · {entity}</span>'
            '<div class="chips">{chips}</div></td>'
            '<td><ul class="reasons">{reasons}</ul></td>'
            '<td class="num">{overdue}</td><td class="num">{soon}</td><td class="num">{dpd}</td>'
            '<td>{action}<br><span class="muted small">{action_on}</span></td>'
            '<td><form method="post" action="{done}" hx-post="{done}" hx-target="#entry-{pk}" hx-swap="outerHTML">'
            '<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
            '<button type="submit" class="btn btn-small done" title="{done_title}">✓ {done_label}</button>'
            '</form></td></tr>',
            pk=entry.pk, url=url, priority=entry.priority, name=customer.name, account=customer.account,
            entity=customer.entity.code, chips=mark_safe("".join(chips)),  # noqa: S308 - built by format_html
            reasons=mark_safe(reasons), overdue=overdue_cell, soon=soon_cell, dpd=dpd_cell,  # noqa: S308
            action=action, action_on=formats.date(entry.next_action_on), done=done_url,
            csrf=mark_safe(csrf), done_title=mark_safe(done_title), done_label=mark_safe(done_label),  # noqa: S308
        ))
    return mark_safe("".join(out))  # noqa: S308 - every row went through format_html


def _amount_classes(value: Decimal, *, overdue: bool = False) -> str:
    classes = ""
    if value < 0:
        classes += " neg"
    if value == 0:
        classes += " zero"
    if overdue and value > 0:
        classes += " overdue"
    return classes
