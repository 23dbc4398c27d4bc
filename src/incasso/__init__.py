"""Incasso: invoice-to-cash for accounts-receivable collections and dispute management."""

__version__ = "0.1.0"
