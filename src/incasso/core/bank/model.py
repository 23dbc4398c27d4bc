"""What a bank statement or remittance advice says, in one shape for every file format.

A *statement* is the bank's account of one account over one period (camt.053, MT940, CODA, ...),
or an intraday report (camt.052, MT942), or a notification of single bookings (camt.054), or a
remittance advice that tells which invoices a payment settles (X12 820). Each *entry* is one
booking on the account: a positive amount with a credit/debit sign, the bank's references and what
the payer wrote. A batch booking (one credit for many payers) carries its *details*, one per
underlying payment: cash application matches details, not the batch total.

Parsers return these frozen records and never touch a database; problems that do not stop the
reading of a file (a balance that does not reconcile, an unknown tag) are ``ParseWarning`` values on
the statement, and a file that cannot be read raises ``ParseError`` naming the file and the place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum


class Sign(StrEnum):
    CREDIT = "CRDT"  # money into the account: a customer's payment
    DEBIT = "DBIT"  # money out of the account: a refund, fee or returned payment


class ReferenceKind(StrEnum):
    RF = "RF"  # ISO 11649 creditor reference, RF + 2 check digits + up to 21 characters
    BE = "BE"  # Belgian structured communication +++123/4567/89002+++ (mod 97)
    QRR = "QRR"  # Swiss QR reference / ISR (ESR) reference, 27 digits, mod 10 recursive
    OTHER = "OTHER"  # a structured reference of a scheme we do not validate (e.g. a bank's own)


@dataclass(frozen=True, slots=True)
class ParseWarning:
    """Something odd in a file that did not stop reading it: shown on import, never silently dropped."""

    position: str  # "line 12" or an XML path such as "/Document/BkToCstmrStmt/Stmt[2]/Bal[1]"
    message: str

    def __str__(self) -> str:
        return f"{self.position}: {self.message}"


class ParseError(ValueError):
    """A file that cannot be read as a statement; says which file, where, and why."""

    def __init__(self, file: str, position: str, reason: str) -> None:
        self.file = file
        self.position = position
        self.reason = reason
        super().__init__(f"{file}: {position}: {reason}")


@dataclass(frozen=True, slots=True)
class RemittanceDocument:
    """One invoice (or credit note) named by a remittance advice, with what the payer paid on it."""

    number: str
    amount_paid: Decimal | None = None
    amount_invoiced: Decimal | None = None
    adjustment: Decimal | None = None  # deduction taken by the payer (positive = paid less)
    adjustment_reason: str = ""
    kind: str = ""  # the remitter's qualifier: IV invoice, CR credit memo, ...


@dataclass(frozen=True, slots=True)
class RemittanceInfo:
    """What the payer wrote to say what the money is for."""

    structured_reference: str = ""  # as sent, normalised (no spaces, upper case)
    reference_kind: ReferenceKind | None = None
    reference_valid: bool | None = None  # check digits verified (None: not a checkable scheme)
    unstructured: str = ""
    documents: tuple[RemittanceDocument, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.structured_reference or self.unstructured or self.documents)


@dataclass(frozen=True, slots=True)
class EntryDetail:
    """One underlying payment inside a booking (camt TxDtls, CODA detail move, BAI2/820 detail)."""

    amount: Decimal | None = None  # positive; None when the bank gives no per-detail amount
    sign: Sign | None = None
    currency: str = ""
    end_to_end_id: str = ""
    bank_reference: str = ""
    counterparty_name: str = ""
    counterparty_iban: str = ""
    remittance: RemittanceInfo = field(default_factory=RemittanceInfo)


@dataclass(frozen=True, slots=True)
class Entry:
    """One booking on the account, as the bank reported it."""

    amount: Decimal  # positive; direction is ``sign``
    sign: Sign
    currency: str
    booking_date: date | None
    value_date: date | None
    position: str  # where in the file, for messages and for deduplication by occurrence
    bank_reference: str = ""  # camt AcctSvcrRef, MT940 bank reference (after //), CODA bank ref
    customer_reference: str = ""  # MT940 reference for the account owner, BAI2 customer ref
    end_to_end_id: str = ""
    bank_transaction_code: str = ""  # camt Domn/Fmly/SubFmly or Prtry, MT940 N-code, CODA/BAI2 code
    counterparty_name: str = ""
    counterparty_iban: str = ""
    remittance: RemittanceInfo = field(default_factory=RemittanceInfo)
    details: tuple[EntryDetail, ...] = ()
    status: str = "BOOK"  # BOOK booked, PDNG pending, INFO information only
    reversal: bool = False

    @property
    def signed_amount(self) -> Decimal:
        return self.amount if self.sign is Sign.CREDIT else -self.amount


@dataclass(frozen=True, slots=True)
class Balance:
    """A balance the bank states, signed (negative = overdrawn)."""

    kind: str  # opening, closing, opening_available, closing_available, forward_available, interim
    amount: Decimal
    currency: str
    date: date | None


@dataclass(frozen=True, slots=True)
class Statement:
    """One account's statement, report, notification or remittance advice from one file."""

    file: str
    format: str  # camt.053, camt.052, camt.054, mt940, mt942, bai2, coda, norma43, cfonb120, x12-820
    position: str
    account: str  # IBAN when the bank gives one, else the bank's account id
    currency: str
    statement_id: str = ""
    message_id: str = ""
    opening_balance: Decimal | None = None
    opening_date: date | None = None
    closing_balance: Decimal | None = None
    closing_date: date | None = None
    entries: tuple[Entry, ...] = ()
    balances: tuple[Balance, ...] = ()  # every balance the file states, including the two above
    warnings: tuple[ParseWarning, ...] = ()

    @property
    def total_credits(self) -> Decimal:
        return sum((e.amount for e in self.entries if e.sign is Sign.CREDIT), Decimal(0))

    @property
    def total_debits(self) -> Decimal:
        return sum((e.amount for e in self.entries if e.sign is Sign.DEBIT), Decimal(0))
