"""Worklist rows and reasons in the reader's language, rendered in Python.

A worklist page shows 50 rows, each with up to a dozen reasons, two amounts, a date and chips. Done
through template tags that is a few thousand node renders and several hundred Babel calls per page;
here each row is one f-string with formatters prepared once per request (``ledger.rendering.Formats``:
locale, date pattern, number patterns), which is what keeps the page within its 200 ms under load.

Reasons are stored as compact codes (``incasso.core.collections.strategy.Reason.code``) and put
into words here through gettext, so a French collector reads "2 promesses non tenues en 60 jours".
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from incasso.core.collections.strategy import RISK_NAMES, Condition, Reason
from incasso.ledger.choices import RiskClass
from incasso.ledger.rendering import Formats, RememberingRenderer, escape_text

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


def reason_text(reason: Reason, formats: Formats) -> str:
    """One reason in the active language ("2 promises broken in 60 days")."""
    if reason.label:
        return reason.label
    n = 0 if reason.value is None else int(reason.value)
    match reason.condition:
        case Condition.OVERDUE_AMOUNT:
            return formats.gettext("%(amount)s overdue (≥ %(threshold)s)") % {
                "amount": formats.decimal2(reason.value), "threshold": formats.decimal2(reason.param)}
        case Condition.DAYS_PAST_DUE:
            return formats.ngettext("oldest item %(n)s day past due (≥ %(threshold)s)",
                                    "oldest item %(n)s days past due (≥ %(threshold)s)", n) % {
                "n": formats.number(n), "threshold": formats.number(reason.param)}
        case Condition.DUE_SOON_AMOUNT:
            return formats.gettext("%(amount)s falls due soon (≥ %(threshold)s)") % {
                "amount": formats.decimal2(reason.value), "threshold": formats.decimal2(reason.param)}
        case Condition.BROKEN_PROMISES:
            return formats.ngettext("%(n)s promise broken in %(days)s days",
                                    "%(n)s promises broken in %(days)s days", n) % {"n": n, "days": reason.param}
        case Condition.OPEN_DISPUTES:
            return formats.ngettext("%(n)s open dispute", "%(n)s open disputes", n) % {"n": n}
        case Condition.CREDIT_LIMIT_USE:
            return formats.gettext("credit limit %(n)s %% used (≥ %(threshold)s %%)") % {
                "n": formats.number(n), "threshold": formats.number(reason.param)}
        case Condition.RISK_CLASS:
            risk = RISK_NAMES.get(n, "")
            label = RiskClass(risk).label if risk in RiskClass.values else str(n)
            return formats.gettext("risk class %(risk)s") % {"risk": label}
        case Condition.DAYS_SINCE_CONTACT:
            if reason.value is None:
                return formats.gettext("never contacted")
            return formats.ngettext("no contact for %(n)s day", "no contact for %(n)s days", n) % {
                "n": formats.number(n)}
        case Condition.DUNNING_LEVEL:
            return formats.gettext("dunning level %(n)s") % {"n": n}
        case Condition.CUSTOMER_VALUE:
            return formats.gettext("customer value %(amount)s in 12 months") % {
                "amount": formats.decimal2(reason.value)}
    return str(reason.condition)


def reasons_of(codes: Iterable, formats: Formats) -> list[tuple[str, int]]:
    """(text, points) of each stored reason code."""
    result = []
    for code in codes:
        reason = Reason.from_code(code)
        result.append((reason_text(reason, formats), reason.points))
    return result


def reasons_html(codes: Iterable, formats: Formats) -> str:
    """The ``<li>`` items of stored reason codes.

    A reason's words depend only on its code and the language, and a collector reloads the same list
    all day: each (language, code) is put into words once per process (``_REASON_ITEMS``), not once
    per request.
    """
    language = (formats.language, get_language())  # the numbers' locale and gettext's language
    parts = []
    for code in codes:
        key = (language, *code) if isinstance(code, list) else (language, *sorted(code.items()))
        item = _REASON_ITEMS.get(key)
        if item is None:
            reason = Reason.from_code(code)
            item = (f'<li><span>{escape_text(reason_text(reason, formats))}</span>'
                    f'<span class="pts">+{reason.points}</span></li>')
            if len(_REASON_ITEMS) >= REASON_ITEMS_LIMIT:
                _REASON_ITEMS.clear()
            _REASON_ITEMS[key] = item
        parts.append(item)
    return "".join(parts)


# The <li> of each (language, reason code) seen by this process; a page of 50 rows has ~300 reasons,
# 40 collectors' first pages ~12,000: forgotten all at once beyond the limit (~150 bytes each).
REASON_ITEMS_LIMIT = 50_000
_REASON_ITEMS: dict[tuple, str] = {}


def worklist_rows(entries: Iterable, *, customers_prefix: str, done_prefix: str, back: str, csrf_token: str,
                  formats: Formats) -> SafeString:
    """The ``<tr>`` of each worklist entry (entries with ``customer__entity`` and ``substitute_for``
    selected: no query here).

    Built with f-strings rather than ``format_html`` (whose per-argument ``conditional_escape`` was a
    fifth of the page's CPU): every value that is not markup made here goes through ``_escape``
    (``escape_text``: what Django's ``escape`` does), the numbers and dates included.
    """
    done_label = escape_text(gettext("Done"))
    done_title = escape_text(gettext("Done for today (d)"))
    escalated = (f'<span class="chip chip-esc" title="{escape_text(gettext("Escalated to you as second voice"))}">'
                 f'{escape_text(gettext("escalated"))}</span>')
    lowered_title = escape_text(gettext("Priority lowered because of"))
    no_points = f'<li class="muted">{escape_text(gettext("no rule gave points"))}</li>'
    overdue_marker = '<span class="od-mark" aria-hidden="true">▲</span>'
    dash = '<span class="muted">—</span>'
    csrf = escape_text(csrf_token)
    back = escape_text(back)
    money = formats.money
    out: list[str] = []
    for entry in entries:
        customer = entry.customer
        pk = entry.pk
        url = f"{customers_prefix}{entry.customer_id}/?next={back}"
        chips = ""
        if entry.substitute_for_id:
            who = entry.substitute_for
            sub_title = escape_text(gettext("You substitute for %(who)s") % {
                "who": who.get_full_name() or who.username})
            sub_label = escape_text(gettext("for %(who)s") % {"who": who.username})
            chips += f'<span class="chip chip-sub" title="{sub_title}">{sub_label}</span>'
        if entry.escalated:
            chips += escalated
        for code in entry.lowered_because:
            label = escape_text(LOWERED[code]() if code in LOWERED else code)
            chips += f'<span class="chip chip-lowered" title="{lowered_title} {label}">{label}</span>'
        reasons = reasons_html(entry.reasons, formats) or no_points
        overdue = entry.overdue_amount
        overdue_cell = (f'<span class="amt{_amount_classes(overdue, overdue=True)}">'
                        f'{overdue_marker if overdue > 0 else ""}{escape_text(money(overdue, entry.currency))}</span>')
        soon = entry.due_soon_amount
        soon_cell = f'<span class="amt{_amount_classes(soon)}">{escape_text(money(soon, entry.currency))}</span>'
        dpd = entry.max_days_past_due
        dpd_cell = f'<span class="overdue-text">▲ {escape_text(formats.number(dpd))}</span>' if dpd > 0 else dash
        action = NEXT_ACTIONS[entry.next_action]() if entry.next_action in NEXT_ACTIONS else entry.next_action
        done = f"{done_prefix}{pk}/done/"
        out.append(
            f'<tr data-entry="{pk}" tabindex="-1" data-open="{url}" data-call="{url}#log-call" id="entry-{pk}">'
            f'<td class="num prio">{entry.priority}</td>'
            f'<td class="name"><a href="{url}">{escape_text(customer.name)}</a> '
            f'<span class="muted mono small">{escape_text(customer.account)} · '
            f'{escape_text(customer.entity.code)}</span>'
            f'<div class="chips">{chips}</div></td>'
            f'<td><ul class="reasons">{reasons}</ul></td>'
            f'<td class="num">{overdue_cell}</td><td class="num">{soon_cell}</td><td class="num">{dpd_cell}</td>'
            f'<td>{escape_text(action)}<br><span class="muted small">'
            f'{escape_text(formats.date(entry.next_action_on))}</span>'
            f'</td><td><form method="post" action="{done}" hx-post="{done}" hx-target="#entry-{pk}" '
            f'hx-swap="outerHTML"><input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
            f'<button type="submit" class="btn btn-small done" title="{done_title}">✓ {done_label}</button>'
            f'</form></td></tr>'
        )
    return mark_safe("".join(out))  # noqa: S308 - every value in the rows went through escape_text


def _amount_classes(value: Decimal, *, overdue: bool = False) -> str:
    classes = ""
    if value < 0:
        classes += " neg"
    if value == 0:
        classes += " zero"
    if overdue and value > 0:
        classes += " overdue"
    return classes


WIDGETS = RememberingRenderer()  # the side panel's forms (``views.customer``)
