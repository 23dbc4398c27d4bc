"""Stable error codes of cash application; the API returns them as they are."""

from __future__ import annotations

from enum import StrEnum


class CashErrorCode(StrEnum):
    NOT_FOUND = "not_found"
    ALREADY_DECIDED = "already_decided"  # the proposal was accepted, rejected or superseded before
    LINE_NOT_OPEN = "line_not_open"  # the line is applied, ignored, or has nothing left to allocate
    NOT_A_CREDIT = "not_a_credit"  # debits are not applied to customer items
    NO_ENTITY = "no_entity"  # the statement's account is not a bank account of any legal entity
    EXCEEDS_LINE = "exceeds_line"  # more allocated than the line has left
    MIXED_CUSTOMERS = "mixed_customers"  # items of customers outside one group
    NOTHING_TO_ALLOCATE = "nothing_to_allocate"
    NOTHING_APPLIED = "nothing_applied"  # unapply on a line that has no live allocation
    REASON_REQUIRED = "reason_required"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    NOT_ALLOWED = "not_allowed"  # the acting user's role may not take this step
    INVALID_SETTING = "invalid_setting"  # a cash setting outside its allowed range
    NOT_SHORT = "not_short"  # a deduction to dispute that is no longer open


class CashError(Exception):
    def __init__(self, code: CashErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
