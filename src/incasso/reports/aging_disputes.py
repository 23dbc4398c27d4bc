"""The disputed / undisputed split of an aging report's rows.

Dispute management answers "how much of each customer's open amount is disputed as of D"
(``incasso.disputes.queries.disputed_by_customer``: one query over the blocking dispute lines); this
module rolls that answer up to the aging's groups (customer, entity, collector, currency) and joins
it to the report's rows by their (group label, currency) key, which is how the aging itself merges
rows. The aging's own SQL is untouched: the split is a separate, small query (only items with a
dispute), joined in the report layer.

For each row: ``disputed`` is the amount blocked by dispute cases as of the row's date (cases opened
by then and not resolved by then block their disputed amount; resolved ones what their settlement
still blocks), capped per item at the item's open amount; ``undisputed`` is the row total minus the
disputed amount: what collectors may chase. With a reporting currency the disputed amounts are
converted with the report's rates, like the rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from incasso.core.aging import AgingReport, AgingRow
from incasso.core.money import ZERO, convert, quantize
from incasso.disputes.queries import disputed_by_customer
from incasso.ledger.models import Customer
from incasso.reports.aging import UNASSIGNED


@dataclass(slots=True)
class DisputedSplit:
    """Disputed amounts per (group label, currency) of an aging report, and per currency in total."""

    amounts: dict[tuple[str, str], Decimal] = field(default_factory=dict)

    def disputed(self, row: AgingRow) -> Decimal:
        return self.amounts.get((row.group, row.currency), quantize(ZERO, row.currency))

    def undisputed(self, row: AgingRow) -> Decimal:
        return row.total - self.disputed(row)

    def total_disputed(self, currency: str) -> Decimal:
        return sum((a for (_group, cur), a in self.amounts.items() if cur == currency), quantize(ZERO, currency))


def _label(by: str, customer: tuple) -> str:  # type: ignore[type-arg]
    _pk, _entity_id, code, entity_name, account, name, collector_id, collector = customer
    if by == "customer":
        return f"{code}/{account} {name}"
    if by == "entity":
        return f"{code} {entity_name}"
    if by == "collector":
        return collector if collector_id is not None and collector is not None else UNASSIGNED
    raise ValueError(by)


def disputed_split(report: AgingReport, *, by: str, entity_ids: Sequence[int] | None = None,
                   customer_ids: Sequence[int] | None = None, collector_id: int | None = None,
                   reporting_currency: str | None = None, rates: dict[str, Decimal] | None = None) -> DisputedSplit:
    """The disputed amount of every row of ``report`` (built with the same ``by`` and scope).

    One query per distinct as-of date of the report (one, unless entities are aged as of their own
    local dates and these differ), plus one for the labels of the customers with disputes.
    """
    customers = Customer.objects.all()
    if entity_ids is not None:
        customers = customers.filter(entity_id__in=list(entity_ids))
    if customer_ids is not None:
        customers = customers.filter(pk__in=list(customer_ids))
    if collector_id is not None:
        customers = customers.filter(collector_id=collector_id)
    codes_by_date: dict[date, set[str]] = defaultdict(set)
    for code, day in report.as_of_by_entity.items():
        codes_by_date[day].add(code)
    if not codes_by_date:
        codes_by_date[report.as_of] = set()
    per_customer: dict[int, dict[str, Decimal]] = {}
    restrict = list(customer_ids) if customer_ids is not None else None
    for day, codes in codes_by_date.items():
        found = disputed_by_customer(restrict, as_of=day)
        if len(codes_by_date) > 1:  # keep each entity's customers at its own date
            keep = set(customers.filter(entity__code__in=codes, pk__in=list(found)).values_list("pk", flat=True))
            found = {pk: v for pk, v in found.items() if pk in keep}
        per_customer.update(found)
    if not per_customer:
        return DisputedSplit()
    if reporting_currency is not None and rates is None:
        from incasso.reports.models import rates_on

        rates = rates_on(report.as_of, reporting_currency)
    info = {row[0]: row for row in customers.filter(pk__in=list(per_customer)).values_list(
        "pk", "entity_id", "entity__code", "entity__name", "account", "name", "collector_id", "collector__username")}
    amounts: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for pk, by_currency in per_customer.items():
        customer = info.get(pk)
        if customer is None:  # outside the report's scope
            continue
        for currency, amount in by_currency.items():
            group = currency if by == "currency" else _label(by, customer)
            if reporting_currency is not None:
                amounts[(group, reporting_currency)] += convert(amount, currency, reporting_currency, rates)
            else:
                amounts[(group, currency)] += amount
    return DisputedSplit({key: quantize(value, key[1]) for key, value in amounts.items()})
