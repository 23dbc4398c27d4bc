"""Control totals: the checks a controller runs before trusting a report.

Each check computes the same total by two independent routes and says by how much they differ:

* ``aging = open items``: the aging's grand total (``incasso.reports.aging``, stored open amounts
  corrected by later allocations) against the sum over items of amount − the allocations that counted
  on the date (rebuilt from the allocation history alone). A difference means an item whose stored
  open amount does not match its clearings (an ERP open amount without its clearing history).
* ``open items = customer balances``: against the customer balances from the documents themselves
  (debits issued − credits issued, less clearings with only one side in Incasso); two-sided clearings
  move nothing between a customer's debits and credits, so they drop out.
* ``bank credits = applied + unapplied``: the bank credit lines imported (booked in the period)
  against the cash applied from them + their payments still open + the lines not yet turned into
  payments. A difference means cash that went missing between the bank and the ledger.

Per currency, to the cent; a check passes only when the difference is exactly zero.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection

from incasso.core.money import ZERO
from incasso.ledger.choices import CREDIT_KINDS
from incasso.reports.aging import aging_report

_CENTS = "CAST(ROUND({} * 100) AS BIGINT)"
_CREDIT = sorted(str(kind) for kind in CREDIT_KINDS)


@dataclass(frozen=True, slots=True)
class ControlCheck:
    """One control total: ``expected`` by one route, ``actual`` by the other, in ``currency``."""

    code: str
    description: str
    currency: str
    expected: Decimal
    actual: Decimal

    @property
    def difference(self) -> Decimal:
        return self.actual - self.expected

    @property
    def passed(self) -> bool:
        return self.difference == 0

    def as_text(self) -> str:
        status = "OK  " if self.passed else "FAIL"
        return (f"{status} {self.code:<28} {self.currency} expected {self.expected:>16,.2f}  "
                f"actual {self.actual:>16,.2f}  difference {self.difference:>+14,.2f}")

    def as_dict(self) -> dict[str, str | bool]:
        return {"code": self.code, "description": self.description, "currency": self.currency,
                "expected": str(self.expected), "actual": str(self.actual), "difference": str(self.difference),
                "passed": self.passed}


def _fetch(sql: str, values: list[object]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.fetchall()


def _scope(entity_ids: tuple[int, ...] | None, column: str) -> tuple[str, list[object]]:
    if entity_ids is None:
        return "", []
    if not entity_ids:
        return " AND 1 = 0", []
    return f" AND {column} IN ({', '.join(['%s'] * len(entity_ids))})", list(entity_ids)


def _cents(value: int | None) -> Decimal:
    return Decimal(value or 0).scaleb(-2)


def _counting(alias: str) -> str:
    return f"{alias}.date <= %s AND ({alias}.reversed_on IS NULL OR {alias}.reversed_on > %s)"


def aging_totals(as_of: date, entity_ids: tuple[int, ...] | None) -> dict[str, Decimal]:
    report = aging_report(as_of, by="entity", entity_ids=entity_ids)
    return {currency: row.total for currency, row in report.totals().items()}


def document_totals(as_of: date, entity_ids: tuple[int, ...] | None) -> dict[str, Decimal]:
    """Σ signed amounts of the items issued by ``as_of`` (debits positive, credits negative): the
    documents' side of both the open items and the customer balances, read once for both."""
    scope, values = _scope(entity_ids, "i.entity_id")
    sql = (
        f"SELECT i.currency, CAST(SUM(CASE WHEN i.kind IN (%s, %s) THEN -{_CENTS.format('i.amount')}"
        f" ELSE {_CENTS.format('i.amount')} END) AS BIGINT) FROM ledger_item i"
        f" WHERE i.document_date <= %s{scope} GROUP BY i.currency"
    )
    return {currency: _cents(cents) for currency, cents in _fetch(sql, [*_CREDIT, as_of, *values])}


def open_item_totals(as_of: date, entity_ids: tuple[int, ...] | None,
                     documents: dict[str, Decimal] | None = None) -> dict[str, Decimal]:
    """Σ signed (amount − allocations counting on ``as_of``) over the items issued by ``as_of``.

    Added up as Σ signed amounts (``documents``, read here when not given) − Σ signed allocations
    (each side's allocations joined to its item): the same whole hundredths as item by item, without
    grouping a million allocations per item first (measured 7 s for the grouped form on the large
    profile)."""
    scope, values = _scope(entity_ids, "i.entity_id")
    signed = "CASE WHEN i.kind IN (%s, %s) THEN -{0} ELSE {0} END".format(_CENTS.format("a.amount"))
    totals: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for currency, amount in (document_totals(as_of, entity_ids) if documents is None else documents).items():
        totals[currency] += amount
    for side in ("debit", "credit"):
        allocated = (
            f"SELECT i.currency, CAST(SUM({signed}) AS BIGINT)"
            f" FROM ledger_allocation a JOIN ledger_item i ON i.id = a.{side}_item_id"
            f" WHERE {_counting('a')} AND i.document_date <= %s{scope} GROUP BY i.currency"
        )
        for currency, cents in _fetch(allocated, [*_CREDIT, as_of, as_of, as_of, *values]):
            totals[currency] -= _cents(cents)
    return dict(sorted(totals.items()))


def customer_balance_totals(as_of: date, entity_ids: tuple[int, ...] | None,
                            documents: dict[str, Decimal] | None = None) -> dict[str, Decimal]:
    """Σ over customers of (debits issued − credits issued − one-sided debit clearings + one-sided
    credit clearings), as of ``as_of`` (``documents``: the first two, read here when not given)."""
    scope, values = _scope(entity_ids, "i.entity_id")
    totals: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for currency, amount in (document_totals(as_of, entity_ids) if documents is None else documents).items():
        totals[currency] += amount
    one_sided = (
        f"SELECT i.currency, CAST(SUM(CASE WHEN a.credit_item_id IS NULL THEN -{_CENTS.format('a.amount')}"
        f" ELSE {_CENTS.format('a.amount')} END) AS BIGINT) FROM ledger_allocation a"
        f" JOIN ledger_item i ON i.id = COALESCE(a.debit_item_id, a.credit_item_id)"
        f" WHERE (a.debit_item_id IS NULL OR a.credit_item_id IS NULL) AND {_counting('a')}"
        f" AND i.document_date <= %s{scope} GROUP BY i.currency"
    )
    for currency, cents in _fetch(one_sided, [as_of, as_of, as_of, *values]):
        totals[currency] += _cents(cents)
    return dict(totals)


def bank_cash_totals(start: date, end: date, entity_ids: tuple[int, ...] | None) -> dict[str, tuple[Decimal, Decimal]]:
    """Per currency: (bank credits booked in [start, end], applied + unapplied from those lines).

    Each applied or parked line became a payment item whose amount is, on any date, the cash applied
    from it plus what is still open on it; a line with no payment item yet is unapplied in full. So
    the check holds exactly when every line's cash reached the ledger whole."""
    scope, values = _scope(entity_ids, "b.entity_id")
    imported_sql = (
        f"SELECT b.currency, CAST(SUM({_CENTS.format('b.amount')}) AS BIGINT),"
        f" CAST(SUM(CASE WHEN b.payment_item_id IS NULL THEN {_CENTS.format('b.amount')} ELSE 0 END) AS BIGINT)"
        f" FROM cashapp_bankline b WHERE b.sign = %s AND b.booking_date >= %s AND b.booking_date <= %s{scope}"
        f" GROUP BY b.currency"
    )
    payments_sql = (
        f"SELECT p.currency, CAST(SUM({_CENTS.format('p.amount')}) AS BIGINT) FROM cashapp_bankline b"
        f" JOIN ledger_item p ON p.id = b.payment_item_id"
        f" WHERE b.sign = %s AND b.booking_date >= %s AND b.booking_date <= %s{scope} GROUP BY p.currency"
    )
    result: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for currency, imported, without_payment in _fetch(imported_sql, ["CRDT", start, end, *values]):
        result[currency][0] += _cents(imported)
        result[currency][1] += _cents(without_payment)
    # A payment item's amount = cash applied from it + what is still open on it (as of any date on
    # or after it was created), so applied + unapplied is its amount.
    for currency, cents in _fetch(payments_sql, ["CRDT", start, end, *values]):
        result[currency][1] += _cents(cents)
    return {currency: (pair[0], pair[1]) for currency, pair in result.items()}


def run_checks(as_of: date, *, start: date | None = None, entity_ids: tuple[int, ...] | None = None,
               aging: dict[str, Decimal] | None = None) -> list[ControlCheck]:
    """Every control total as of ``as_of``; the bank check over the credits booked from ``start``
    (default: the first day of ``as_of``'s month) to ``as_of``. ``aging``: the aging's total per
    currency as of ``as_of`` for the same entities, when the caller has just computed it (a pack
    whose sections include that aging), so it is not computed twice."""
    start = start or as_of.replace(day=1)
    aging = aging_totals(as_of, entity_ids) if aging is None else aging
    documents = document_totals(as_of, entity_ids)  # the same documents on both sides
    items = open_item_totals(as_of, entity_ids, documents)
    balances = customer_balance_totals(as_of, entity_ids, documents)
    zero = Decimal("0.00")
    checks: list[ControlCheck] = []
    for currency in sorted(set(aging) | set(items) | set(balances)):
        checks.append(ControlCheck("aging_equals_open_items", "aging total = sum of open items", currency,
                                   items.get(currency, zero), aging.get(currency, zero)))
        checks.append(ControlCheck("open_items_equal_balances", "sum of open items = customer balances",
                                   currency, balances.get(currency, zero), items.get(currency, zero)))
    for currency, (imported, accounted) in sorted(bank_cash_totals(start, as_of, entity_ids).items()):
        checks.append(ControlCheck("bank_credits_accounted", "cash applied + unapplied = bank credits imported",
                                   currency, imported, accounted))
    return checks


def failures(checks: list[ControlCheck]) -> list[ControlCheck]:
    return [check for check in checks if not check.passed]
