"""The records cash application matches: what the ledger knows (customers, open debit items), what
the bank said (one credit line), the settings, and the proposal that comes back.

All immutable records with Decimal money and ``date`` business dates (frozen dataclasses; the open
item, of which a run holds a million, a ``NamedTuple``: built five times faster, straight from a
database row); the cash application app builds them from its rows, the benchmark builds them from
the generator's CSV files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

ZERO = Decimal("0")

# residual_kind values: what is left once the proposal is applied
RESIDUAL_NONE = "none"  # the line and the items it pays are settled exactly
RESIDUAL_SHORT = "short_payment"  # the items stay open by ``residual`` (a deduction or a partial payment)
RESIDUAL_OVER = "overpayment"  # ``residual`` of the line stays unapplied (a credit balance)
RESIDUAL_TOLERANCE = "within_tolerance"  # a difference small enough to write off (bank charges, rounding)
RESIDUAL_UNIDENTIFIED = "unidentified"  # nothing proposed: the whole line waits for a person


@dataclass(frozen=True, slots=True)
class CustomerRef:
    """A customer account as matching sees it: who it is, where it banks, its business-partner group."""

    customer_id: int | str
    entity_id: int | str
    group_id: int | str | None
    account: str
    name: str
    ibans: tuple[str, ...]
    currency: str


class OpenItemRef(NamedTuple):
    """An open debit item (invoice, debit note, fee, interest) a payment can settle; the fields in the
    order of a row of ``incasso.cashapp.actions.matching.ITEM_COLUMNS``."""

    item_id: int | str
    customer_id: int | str
    entity_id: int | str
    group_id: int | str | None
    kind: str
    number: str
    reference: str  # the customer's own reference (purchase order), may be empty
    currency: str
    open_amount: Decimal
    document_date: date
    due_date: date
    payment_terms_days: int


@dataclass(frozen=True, slots=True)
class BankLineRef:
    """One credit on the bank account: a customer's payment (a batch booking's detail, not its total)."""

    line_id: int | str
    entity_id: int | str
    amount: Decimal  # positive
    currency: str
    booking_date: date | None
    value_date: date | None
    counterparty_name: str
    counterparty_iban: str
    structured_reference: str
    remittance_text: str
    # remittance advice documents: (document number, amount paid or None, deduction taken or None)
    remittance_documents: tuple[tuple[str, Decimal | None, Decimal | None], ...] = ()


@dataclass(frozen=True, slots=True)
class MatchSettings:
    """The knobs of the matcher. A difference is tolerated when it is at most ``amount_tolerance`` and
    at most ``tolerance_percent`` % of the items' open amount (the lower limit wins, as in ERP
    tolerance groups); a cash discount of ``cash_discount_percent`` % is accepted while the value date
    is within ``cash_discount_days`` of the document date."""

    auto_threshold: Decimal = Decimal("0.95")
    amount_tolerance: Decimal = Decimal("1.00")
    tolerance_percent: Decimal = Decimal("0.5")
    cash_discount_percent: Decimal = Decimal("2")
    cash_discount_days: int = 10
    max_combination_items: int = 20
    max_combination_steps: int = 20_000  # search nodes per line for combinations (keeps a line under ~10 ms)
    name_score_cutoff: int = 88  # rapidfuzz 0..100 score a payer name needs to identify a customer


@dataclass(frozen=True, slots=True)
class ProposedAllocation:
    """Apply ``amount`` of the line to the item; ``discount`` is the cash discount cleared with it."""

    item_id: int | str
    amount: Decimal
    discount: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class Proposal:
    """What the matcher proposes for one bank line, how sure it is, and why (shown to the user).

    ``residual`` is never negative; ``residual_kind`` says which side it is on: for a short payment
    the amount the items stay open, for an overpayment the part of the line left unapplied, within
    tolerance the difference to write off, unidentified the whole line."""

    line_id: int | str
    customer_id: int | str | None
    allocations: tuple[ProposedAllocation, ...]
    confidence: Decimal
    reason: str
    residual: Decimal
    residual_kind: str
    stage: str  # the rule that produced it: structured_reference, invoice_number, fuzzy_number, ...

    def is_auto(self, settings: MatchSettings) -> bool:
        """Applied without a person: allocations exist and the confidence reaches the threshold."""
        return bool(self.allocations) and self.confidence >= settings.auto_threshold

    @property
    def allocated(self) -> Decimal:
        return sum((a.amount for a in self.allocations), ZERO)
