"""Business verbs of dispute management: the only code that changes a case.

Each action owns its transaction, locks the case (and the items it touches, in primary-key order),
checks that the acting user's role may take the step (``incasso.disputes.rules``; the system actor
of scheduled jobs may), moves the state machine, writes the audit event that is also the case's
timeline, and schedules e-mails after commit.
"""

from incasso.disputes.actions.cases import (
    add_note,
    assign_case,
    attach_file,
    open_dispute,
    start_investigation,
    wait_for_customer,
    wait_for_internal,
)
from incasso.disputes.actions.resolution import (
    close_case,
    decide_write_off,
    propose_write_off,
    reopen_case,
    resolve_case,
)
from incasso.disputes.actions.settlements import clear_settlement, match_imported_credit_notes
from incasso.disputes.actions.withdrawal import withdraw_dispute

__all__ = [
    "add_note",
    "assign_case",
    "attach_file",
    "clear_settlement",
    "close_case",
    "decide_write_off",
    "match_imported_credit_notes",
    "open_dispute",
    "propose_write_off",
    "reopen_case",
    "resolve_case",
    "start_investigation",
    "wait_for_customer",
    "wait_for_internal",
    "withdraw_dispute",
]
