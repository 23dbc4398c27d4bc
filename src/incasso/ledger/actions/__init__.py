"""Business verbs on the ledger. Each owns its transaction, takes its locks and writes its audit
event; views, API, CLI and tasks call these and nothing else to change ledger state."""

from incasso.ledger.actions.allocations import allocate, reverse_allocation
from incasso.ledger.actions.imports import ImportReport, import_erp_file

__all__ = ["ImportReport", "allocate", "import_erp_file", "reverse_allocation"]
