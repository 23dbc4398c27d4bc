"""Saving a CSV/XLSX column mapping for a bank account, with an audit event."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.forms.models import model_to_dict

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record
from incasso.cashapp.errors import CashError, CashErrorCode
from incasso.cashapp.models import BankFileMapping

FIELDS = ("name", "bank_account", "header_line", "booking_date", "value_date", "amount", "debit", "credit",
          "indicator", "credit_markers", "currency", "counterparty_name", "counterparty_iban", "reference",
          "remittance", "bank_reference", "end_to_end_id", "date_format", "decimal_separator", "sign_convention")


@transaction.atomic
def save_mapping(values: dict[str, Any], *, by: Actor, mapping_id: int | None = None) -> BankFileMapping:
    """Create or change a mapping; refused when the mapping could not read any file."""
    if by.user is not None and not by.user.has_perm("cashapp.apply_cash"):
        raise CashError(CashErrorCode.NOT_ALLOWED, f"{by.label} may not change bank file mappings")
    if mapping_id is None:
        mapping = BankFileMapping()
    else:
        found = BankFileMapping.objects.select_for_update().filter(pk=mapping_id).first()
        if found is None:
            raise CashError(CashErrorCode.NOT_FOUND, f"column mapping {mapping_id} does not exist")
        mapping = found
    before = {k: str(v) for k, v in model_to_dict(mapping, fields=FIELDS).items()} if mapping_id else {}
    for name in FIELDS:
        if name in values:
            setattr(mapping, name, values[name])
    problems = mapping.to_core().problems()
    if problems:
        raise CashError(CashErrorCode.INVALID_SETTING, "; ".join(problems))
    mapping.updated_by = by.user
    mapping.full_clean()
    mapping.save()
    after = {k: str(v) for k, v in model_to_dict(mapping, fields=FIELDS).items()}
    changed = sorted(k for k in after if before.get(k) != after[k])
    if changed:
        record(EventKind.BANK_MAPPING_SAVED, actor=by, subject_type="bank_file_mapping", subject_id=mapping.pk,
               message=f"Column mapping {mapping.name} for {mapping.bank_account.iban} "
                       f"{'changed' if mapping_id else 'created'}: {', '.join(changed)}",
               before={k: before.get(k) for k in changed} if mapping_id else None,
               after={k: after[k] for k in changed})
    return mapping
