"""The AR ledger: legal entities, customer accounts, contacts, open items and allocations.

Design in brief:

* An **item** is any document on a customer account: invoices, debit notes, fees and interest are
  *debit* items (owed by the customer); credit notes and payments are *credit* items (owed to them).
  Amounts are always positive; the kind says the side.
* An **allocation** clears a credit item against a debit item for an amount on a business date. The
  open amount of an item is its amount minus its live allocations; ``Item.open_amount`` stores that
  figure so lists and aging need no join, and the actions in ``actions/allocations.py`` are the only
  code that changes it, under row locks, with check constraints as the last line of defence.
* An allocation made in the ERP may have only one side in Incasso (the other document was never
  exported): ``debit_item`` or ``credit_item`` is then empty and the source is ``erp``.
* Allocations are never deleted: a reversal stamps ``reversed_on`` and restores both open amounts.
  Aging as of a past date counts an allocation when ``date <= as_of`` and it was not reversed by then.
* ``Item.last_activity_on`` is the latest allocation or reversal date touching the item; when it is
  after an as-of date the item's past open amount is rebuilt from its allocations, otherwise the
  stored open amount is already the answer (this is what keeps backdated aging fast).
"""
