"""Reading ERP extracts: files (CSV, XLSX, JSON) into a header and text rows, mapping files, and the
database-specific bulk writers the item import uses. Row checks live in ``incasso.core.erp_rows``;
the business rules of the import (upsert, ERP allocations, audit) in ``ledger.actions.imports``."""

from incasso.ledger.importers.mapping import load_mapping
from incasso.ledger.importers.readers import FileFormatError, Table, read_table

__all__ = ["FileFormatError", "Table", "load_mapping", "read_table"]
