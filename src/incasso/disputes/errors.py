"""Stable error codes of dispute management; the API and the import report return them as they are."""

from __future__ import annotations

from enum import StrEnum


class DisputeErrorCode(StrEnum):
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"  # the acting user's role may not take this step
    INVALID_TRANSITION = "invalid_transition"  # the case is not in a state that allows the step
    NO_LINES = "no_lines"  # a case needs at least one disputed item
    WRONG_CUSTOMER = "wrong_customer"  # an item does not belong to the case's customer
    CREDIT_ITEM = "credit_item"  # payments and credit notes cannot be disputed
    CURRENCY_MISMATCH = "currency_mismatch"  # one case, one currency
    AMOUNT_NOT_POSITIVE = "amount_not_positive"
    EXCEEDS_UNDISPUTED = "exceeds_undisputed"  # more than the item's open amount not already disputed
    UNKNOWN_REASON = "unknown_reason"
    UNKNOWN_ROOT_CAUSE = "unknown_root_cause"
    MISSING_RESOLUTION_DATA = "missing_resolution_data"  # e.g. a partial acceptance without an amount
    ABOVE_WRITE_OFF_THRESHOLD = "above_write_off_threshold"
    SAME_APPROVER = "same_approver"  # a write-off is approved by someone other than its proposer
    CREDIT_NOTE_MISMATCH = "credit_note_mismatch"  # the credit note cannot settle this request
    REASON_REQUIRED = "reason_required"  # reopening needs a reason
    DUPLICATE_LINE = "duplicate_line"


class DisputeError(Exception):
    def __init__(self, code: DisputeErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
