"""Cash application models: what the bank said (files, statements, lines) and what we made of it
(proposals, deductions, write-offs, per-entity settings)."""

from incasso.cashapp.models.mappings import BankFileMapping, SignConvention
from incasso.cashapp.models.matching import CashSettings, Deduction, MatchProposal, WriteOff
from incasso.cashapp.models.remittances import RemittanceAdvice
from incasso.cashapp.models.statements import BankAccountStatement, BankFile, BankLine

__all__ = ["BankAccountStatement", "BankFile", "BankFileMapping", "BankLine", "CashSettings", "Deduction",
           "MatchProposal", "RemittanceAdvice", "SignConvention", "WriteOff"]
