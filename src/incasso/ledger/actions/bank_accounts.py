"""Registering the legal entities' own bank accounts (where customers pay; which statements are whose).

The file is the treasury's list ``entity,iban,bic,bank_name,currency``. It is checked whole before
anything is written (all or nothing, every bad field named as ``FILE:LINE: column COLUMN: reason``)
and is idempotent: an account already registered to the same entity is left as it is.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record
from incasso.core.money import is_currency
from incasso.ledger.models import EntityBankAccount, LegalEntity

REQUIRED = ("entity", "iban", "currency")


class BankAccountFileError(ValueError):
    """Rejected rows of a bank-account file; ``errors`` lists them as FILE:LINE: column: reason."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class BankAccountReport:
    rows: int
    created: int
    unchanged: int


def register_bank_accounts(path: Path, *, by: Actor) -> BankAccountReport:
    """Register every account of the file; raise BankAccountFileError naming each bad field."""
    entities = {entity.code: entity for entity in LegalEntity.objects.all()}
    existing = {account.iban: account for account in EntityBankAccount.objects.select_related("entity")}
    errors: list[str] = []
    rows: list[tuple[LegalEntity, str, str, str, str]] = []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in REQUIRED if column not in (reader.fieldnames or [])]
        if missing:
            raise BankAccountFileError(
                [f"{path.name}:1: column {column}: missing required column" for column in missing])
        for line, row in enumerate(reader, start=2):
            entity = entities.get((row.get("entity") or "").strip())
            if entity is None:
                errors.append(f"{path.name}:{line}: column entity: unknown entity {row.get('entity')!r}")
                continue
            try:
                iban = IBAN(row["iban"]).compact
            except SchwiftyException as exc:
                errors.append(f"{path.name}:{line}: column iban: invalid IBAN {row['iban']!r} ({exc})")
                continue
            currency = (row.get("currency") or "").strip().upper()
            if not is_currency(currency):
                errors.append(f"{path.name}:{line}: column currency: unknown currency {currency!r}")
                continue
            known = existing.get(iban)
            if known is not None and known.entity_id != entity.pk:
                errors.append(f"{path.name}:{line}: column iban: {iban} is already registered to {known.entity.code}")
                continue
            rows.append((entity, iban, (row.get("bic") or "").strip(), (row.get("bank_name") or "").strip(), currency))
    if errors:
        raise BankAccountFileError(errors)
    created = 0
    with transaction.atomic():
        for entity, iban, bic, bank_name, currency in rows:
            if iban in existing:
                continue
            account = EntityBankAccount.objects.create(entity=entity, iban=iban, bic=bic, bank_name=bank_name,
                                                       currency=currency)
            existing[iban] = account
            created += 1
            record(EventKind.ENTITY_UPDATED, actor=by, subject_type="entity", subject_id=entity.pk,
                   message=f"Bank account {iban} ({currency}) registered",
                   after={"iban": iban, "bic": bic, "bank_name": bank_name, "currency": currency})
    return BankAccountReport(rows=len(rows), created=created, unchanged=len(rows) - created)
