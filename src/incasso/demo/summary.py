"""What the demo put in the ledger: counts, open balance per currency, and the aging snapshot's
totals per currency and bucket. The balance is read from the items, the aging from the snapshot,
so the two printed side by side tie out (or show that they do not)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Case, Count, F, Sum, When

from incasso.cashapp.models import RemittanceAdvice
from incasso.collections.models import PaymentPlan
from incasso.core.money import ZERO
from incasso.ledger.choices import CREDIT_KINDS
from incasso.ledger.models import Customer, Item, LegalEntity
from incasso.reports.models import AgingSnapshot, CashTarget


@dataclass(frozen=True)
class LedgerSummary:
    as_of: date
    entities: int
    customers: int
    open_items: int
    open_by_currency: dict[str, Decimal]  # signed: debit items positive, credit items negative
    bucket_labels: tuple[str, ...]
    aging_by_currency: dict[str, tuple[Decimal, ...]]
    plans_by_status: dict[str, int] = field(default_factory=dict)
    cash_targets: int = 0
    advices_linked: tuple[int, int] = (0, 0)  # linked, imported

    def lines(self) -> list[str]:
        lines = [
            f"Ledger as of {self.as_of.isoformat()}: {self.entities} entities, {self.customers} customers, "
            f"{self.open_items} open items",
            "Open balance per currency:",
        ]
        lines += [f"  {currency} {amount:>16,.2f}" for currency, amount in self.open_by_currency.items()]
        lines.append("Aging by due date per currency:")
        lines.append("  " + " ".join(["cur"] + [f"{label:>14}" for label in self.bucket_labels] + [f"{'total':>16}"]))
        for currency, amounts in self.aging_by_currency.items():
            cells = [f"{amount:>14,.2f}" for amount in amounts]
            lines.append("  " + " ".join([currency] + cells + [f"{sum(amounts, ZERO):>16,.2f}"]))
        plans = ", ".join(f"{count} {status}" for status, count in self.plans_by_status.items()) or "none"
        lines.append(f"Payment plans: {plans}")
        lines.append(f"Cash targets: {self.cash_targets} (entity, currency and month)")
        lines.append(f"Remittance advices: {self.advices_linked[0]} of {self.advices_linked[1]} linked to a bank line")
        return lines


def ledger_summary(as_of: date, snapshot: AgingSnapshot) -> LedgerSummary:
    open_items = Item.objects.exclude(open_amount=0)
    signed = Case(When(kind__in=list(CREDIT_KINDS), then=-F("open_amount")), default=F("open_amount"))
    open_by_currency = {
        row["currency"]: row["total"]
        for row in open_items.values("currency").annotate(total=Sum(signed)).order_by("currency")
    }
    labels = tuple(snapshot.bucket_spec.split(","))
    aging: dict[str, list[Decimal]] = {}
    for line in snapshot.lines.all():
        aging.setdefault(line.currency, [ZERO] * len(labels))[line.bucket_index] += line.amount
    return LedgerSummary(
        as_of=as_of,
        entities=LegalEntity.objects.count(),
        customers=Customer.objects.count(),
        open_items=open_items.count(),
        open_by_currency=open_by_currency,
        bucket_labels=labels,
        aging_by_currency={currency: tuple(amounts) for currency, amounts in sorted(aging.items())},
        plans_by_status={row["status"]: row["n"] for row in
                         PaymentPlan.objects.values("status").annotate(n=Count("pk")).order_by("status")},
        cash_targets=CashTarget.objects.count(),
        advices_linked=(RemittanceAdvice.objects.exclude(line=None).count(), RemittanceAdvice.objects.count()),
    )
