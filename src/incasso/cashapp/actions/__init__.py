"""Cash application verbs. Each owns its transaction, takes its locks and writes its audit events;
views, the CLI and tasks call these and nothing else to change cash application state."""

from incasso.cashapp.actions.applying import allocate_manually, apply_match, reject_match, unapply
from incasso.cashapp.actions.deductions import dispute_deduction
from incasso.cashapp.actions.imports import ImportReport, StatementReport, import_statement_bytes, import_statement_file
from incasso.cashapp.actions.matching import RunReport, run_matching

__all__ = [
    "ImportReport", "RunReport", "StatementReport", "allocate_manually", "apply_match", "dispute_deduction",
    "import_statement_bytes", "import_statement_file", "reject_match", "run_matching", "unapply",
]
