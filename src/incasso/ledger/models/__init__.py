from incasso.ledger.models.allocations import Allocation
from incasso.ledger.models.customers import Contact, Customer, CustomerGroup, CustomerIban
from incasso.ledger.models.entities import EntityBankAccount, LegalEntity
from incasso.ledger.models.imports import ImportBatch
from incasso.ledger.models.items import Item

__all__ = [
    "Allocation",
    "Contact",
    "Customer",
    "CustomerGroup",
    "CustomerIban",
    "EntityBankAccount",
    "ImportBatch",
    "Item",
    "LegalEntity",
]
