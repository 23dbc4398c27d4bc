"""Stable error codes of the ledger; the API returns them as they are."""

from __future__ import annotations

from enum import StrEnum


class LedgerErrorCode(StrEnum):
    NOT_FOUND = "not_found"
    WRONG_SIDE = "wrong_side"  # a credit item given as the debit side, or the reverse
    CURRENCY_MISMATCH = "currency_mismatch"
    DIFFERENT_CUSTOMER = "different_customer"
    AMOUNT_NOT_POSITIVE = "amount_not_positive"
    EXCEEDS_OPEN_AMOUNT = "exceeds_open_amount"
    ALREADY_REVERSED = "already_reversed"
    DATE_BEFORE_ALLOCATION = "date_before_allocation"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    INVALID_DUNNING_BLOCK = "invalid_dunning_block"  # no reason, or an end date in the past


class LedgerError(Exception):
    def __init__(self, code: LedgerErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
