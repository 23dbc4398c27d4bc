"""Stable error codes of the collections workbench; the API returns them as they are."""

from __future__ import annotations

from enum import StrEnum


class CollectionsErrorCode(StrEnum):
    NOT_FOUND = "not_found"
    ITEM_ALREADY_PROMISED = "item_already_promised"  # at most one open promise per item
    ITEM_NOT_ON_ACCOUNT = "item_not_on_account"
    AMOUNT_NOT_POSITIVE = "amount_not_positive"
    DATE_IN_PAST = "date_in_past"
    NO_RECIPIENT = "no_recipient"  # neither the contact nor the account has an e-mail address
    INVALID_PERIOD = "invalid_period"
    NOT_A_COLLECTOR = "not_a_collector"
    INVALID_STRATEGY = "invalid_strategy"
    NOT_ALLOWED = "not_allowed"
    ITEM_IN_PLAN = "item_in_plan"  # an item is in at most one proposed, approved or active plan
    INVALID_PLAN = "invalid_plan"  # terms that make no schedule (amounts, dates, instalments)
    PLAN_STATE = "plan_state"  # the step does not apply to the plan's current status
    SAME_APPROVER = "same_approver"  # four-eyes: a plan is approved by someone other than its proposer


class CollectionsError(Exception):
    def __init__(self, code: CollectionsErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
