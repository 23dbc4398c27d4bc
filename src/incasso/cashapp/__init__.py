"""Cash application: bank statements and remittances in, matches out.

Parsers for the banks' formats live in the pure core (``incasso.core.bank``); this app stores
statements and runs matching through the ledger's allocation actions.
"""
