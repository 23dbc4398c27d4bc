"""A customer's items: open items placed by their behaviour, and the paid history behind them.

Dates are day ordinals while drawing (cheap integers) and ISO text only when written; money is
integer cents from the draw to the text, so no float ever reaches an amount (the only float is the
log-uniform draw of an invoice's size, turned into whole cents at once).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date
from random import Random

from incasso.demo.generator.behaviours import Behaviour, draw_days, insolvency_stop
from incasso.demo.generator.catalog import COUNTRIES
from incasso.demo.generator.customers import CustomerAccount

INVOICE, CREDIT_NOTE, DEBIT_NOTE, PAYMENT = "invoice", "credit_note", "debit_note", "payment"


def cents_text(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


class Numbering:
    """Document numbers per (entity, kind), in the entity's country's style (FA00000001, RE...)."""

    def __init__(self) -> None:
        self._next: dict[tuple[str, str], int] = {}
        self._prefix: dict[tuple[str, str], str] = {}

    def next(self, entity: str, country: str, kind: str) -> str:
        key = (entity, kind)
        number = self._next.get(key)
        if number is None:
            spec = COUNTRIES[country]
            self._prefix[key] = {INVOICE: spec.invoice_prefix, CREDIT_NOTE: spec.credit_note_prefix,
                                 DEBIT_NOTE: spec.debit_note_prefix, PAYMENT: spec.payment_prefix}[kind]
            number = 1
        self._next[key] = number + 1
        return f"{self._prefix[key]}{number:08d}"


class DateText:
    """ISO text of day ordinals, computed once per day."""

    def __init__(self) -> None:
        self._cache: dict[int, str] = {}

    def __call__(self, ordinal: int) -> str:
        try:
            return self._cache[ordinal]
        except KeyError:
            text = self._cache[ordinal] = date.fromordinal(ordinal).isoformat()
            return text


def customer_items(customer: CustomerAccount, behaviour: Behaviour, entity_country: str, open_count: int,
                   cleared_count: int, as_of: int, history_days: int, rng: Random, numbering: Numbering,
                   day: DateText) -> Iterator[list[str]]:
    """items.csv rows for one customer: exactly ``open_count`` rows with an open amount and
    ``cleared_count`` fully cleared rows, none dated after ``as_of`` (a day ordinal)."""
    terms = customer.payment_terms_days
    low_cents, high_cents = customer.amount_range_cents
    log_low, log_high = math.log(low_cents), math.log(high_cents)
    reference_prefix = COUNTRIES[customer.country].reference_prefix
    entity, account, currency = customer.entity, customer.account, customer.currency
    insolvent = behaviour.code == "insolvent"
    stop = insolvency_stop(rng, as_of) if insolvent else as_of
    # rng.random() is one C call; randrange/randint cost several Python frames per draw, which
    # adds up over three million rows. Same stream, same bytes for the same seed.
    random = rng.random
    log_span = log_high - log_low

    def below(n: int) -> int:
        return int(random() * n)

    def between(low: int, high: int) -> int:
        return low + int(random() * (high - low + 1))

    def amount() -> int:
        return max(100, int(math.exp(log_low + log_span * random())))

    def number(kind: str) -> str:
        return numbering.next(entity, entity_country, kind)

    def row(kind: str, doc: int, due: int, amount_cents: int, open_cents: int, reference: str,
            cleared: int | None) -> list[str]:
        return [entity, account, kind, number(kind), day(doc), day(due), currency, cents_text(amount_cents),
                cents_text(open_cents), reference, "" if cleared is None else day(cleared)]

    def customer_reference() -> str:
        return f"{reference_prefix}-{between(10000, 999999)}" if below(10) < 6 else ""

    # Partly paid open invoices bring the payment that paid the part; it counts as cleared. Never
    # leave exactly one cleared item to place: history comes in pairs and triples.
    history_left = cleared_count
    unapplied = behaviour.unapplied_per_mille
    credit = unapplied + behaviour.credit_note_per_mille
    debit = credit + behaviour.debit_note_per_mille
    for _ in range(open_count):
        roll = below(1000)
        if roll < unapplied and not insolvent:
            paid_on = as_of - between(1, 45)
            cents = amount()
            yield row(PAYMENT, paid_on, paid_on, cents, cents, customer_reference(), None)
            continue
        if roll < credit:
            issued = min(stop + 30, as_of) - between(1, 120)
            cents = amount() // 4 + 1
            yield row(CREDIT_NOTE, issued, issued, cents, cents, customer_reference(), None)
            continue
        if insolvent:
            # invoiced until about a month after the payments stopped, when the credit block bit
            doc = min(stop + between(-90, 30), as_of)
            due = doc + terms
        else:
            due = as_of - draw_days(rng, behaviour.open_days_past_due, terms)
            doc = due - terms
        kind = DEBIT_NOTE if roll < debit else INVOICE
        cents = amount()
        open_cents = cents
        partial = (kind == INVOICE and below(1000) < behaviour.partial_per_mille
                   and (history_left >= 3 or history_left == 1) and doc < stop)
        if partial:
            open_cents = max(1, cents * between(*behaviour.partial_open_percent) // 100)
            if open_cents >= cents:
                partial = False
                open_cents = cents
        invoice = row(kind, doc, due, cents, open_cents, customer_reference(), None)
        yield invoice
        if partial:
            history_left -= 1
            paid_on = min(max(due + draw_days(rng, behaviour.payment_delay, terms), doc + 1), as_of, stop)
            paid_on = max(paid_on, doc)
            yield row(PAYMENT, paid_on, paid_on, cents - open_cents, 0, invoice[3], paid_on)

    # The paid history: invoices and the payments (and now and then a credit note) that cleared them.
    window_start = as_of - history_days
    while history_left > 0:
        triple = history_left % 2 == 1
        history_left -= 3 if triple else 2
        delay = draw_days(rng, behaviour.payment_delay, terms)
        latest_doc = stop - terms - max(delay, 0)
        doc = between(window_start, latest_doc) if latest_doc > window_start else latest_doc - between(0, 60)
        due = doc + terms
        paid_on = max(due + delay, doc)
        cents = amount()
        invoice = row(INVOICE, doc, due, cents, 0, customer_reference(), paid_on)
        yield invoice
        paid_cents = cents
        if triple:
            credit_cents = max(1, cents * between(5, 30) // 100)
            paid_cents = cents - credit_cents
            credited_on = between(doc, paid_on)
            yield row(CREDIT_NOTE, credited_on, credited_on, credit_cents, 0, invoice[3], paid_on)
        yield row(PAYMENT, paid_on, paid_on, paid_cents, 0, invoice[3], paid_on)
