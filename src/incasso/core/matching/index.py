"""The in-memory index the matcher looks things up in: customers by IBAN and by normalised name,
open items by document number (compact and canonical keys) and by the customer's reference, and each
customer's open items oldest first.

Built once per matching run; 1,000,000 items and 100,000 customers take seconds and a few hundred MB.
Fuzzy look-ups are kept small by blocking: a payer name is only compared with the names that share
one of its rarest words, and a mistyped document number only with the items of the customer (or its
group) already identified, never with the whole ledger.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter

from rapidfuzz import fuzz, process

from incasso.core.matching.model import CustomerRef, OpenItemRef
from incasso.core.matching.text import compact, name_tokens, number_keys

# the id last: the same order whatever order the items came in
_OLDEST_FIRST = attrgetter("due_date", "document_date", "number", "item_id")
MAX_NAME_CANDIDATES = 5_000  # names scored per fuzzy look-up at most (rarest words first)


@dataclass(frozen=True, slots=True)
class NameMatch:
    customer_ids: tuple[int | str, ...]
    name: str  # the normalised name that matched
    score: float  # rapidfuzz 0..100


class MatchingIndex:
    """Look-ups over one ledger snapshot; see the module docstring."""

    def __init__(self) -> None:
        self.customers: dict[int | str, CustomerRef] = {}
        self.items: dict[int | str, OpenItemRef] = {}
        self.by_iban: dict[str, list[int | str]] = defaultdict(list)
        self.by_name: dict[str, list[int | str]] = defaultdict(list)
        self.name_postings: dict[str, list[str]] = defaultdict(list)
        # one id per key, a list only where numbers collide (a million keys: no list each)
        self.by_number: dict[str, int | str | list[int | str]] = {}
        self.by_reference: dict[str, list[int | str]] = defaultdict(list)
        self.customer_items: dict[int | str, list[OpenItemRef]] = defaultdict(list)
        self.group_customers: dict[int | str, list[int | str]] = defaultdict(list)
        self._sorted: set[int | str] = set()  # customers whose items are in order already

    @classmethod
    def build(cls, customers: Iterable[CustomerRef], items: Iterable[OpenItemRef]) -> MatchingIndex:
        """The index of one snapshot. The cyclic garbage collector is paused meanwhile: it would
        otherwise traverse the millions of records again and again while they are created."""
        enabled = gc.isenabled()
        gc.disable()
        try:
            return cls._build(customers, items)
        finally:
            if enabled:
                gc.enable()

    @classmethod
    def _build(cls, customers: Iterable[CustomerRef], items: Iterable[OpenItemRef]) -> MatchingIndex:
        index = cls()
        for customer in customers:
            index.customers[customer.customer_id] = customer
            for iban in customer.ibans:
                key = compact(iban)
                if key:
                    index.by_iban[key].append(customer.customer_id)
            normalised = " ".join(name_tokens(customer.name))
            if normalised:
                if normalised not in index.by_name:
                    for token in set(normalised.split()):
                        index.name_postings[token].append(normalised)
                index.by_name[normalised].append(customer.customer_id)
            if customer.group_id not in (None, ""):
                index.group_customers[customer.group_id].append(customer.customer_id)
        items_map = index.items
        by_number = index.by_number
        by_reference = index.by_reference
        customer_items = index.customer_items
        for item in items:
            if item.open_amount <= 0:
                continue  # only debit items with something open can be paid
            item_id = item.item_id
            items_map[item_id] = item
            packed, key = number_keys(item.number)
            found = by_number.get(packed)
            if found is None:
                by_number[packed] = item_id
            elif type(found) is list:
                found.append(item_id)
            else:
                by_number[packed] = [found, item_id]
            if key != packed:
                found = by_number.get(key)
                if found is None:
                    by_number[key] = item_id
                elif type(found) is list:
                    found.append(item_id)
                else:
                    by_number[key] = [found, item_id]
            if item.reference:
                by_reference[compact(item.reference)].append(item_id)
            customer_items[item.customer_id].append(item)
        return index

    # --- customers -------------------------------------------------------------------------------

    def customers_by_iban(self, iban: str) -> list[CustomerRef]:
        return [self.customers[c] for c in self.by_iban.get(compact(iban), ())]

    def customers_by_name(self, name: str, cutoff: float) -> NameMatch | None:
        """The best customer name for a payer name, exact after normalisation or fuzzy (token sort)."""
        tokens = name_tokens(name)
        if not tokens:
            return None
        query = " ".join(tokens)
        exact = self.by_name.get(query)
        if exact:
            return NameMatch(tuple(exact), query, 100.0)
        postings = sorted((self.name_postings.get(t, ()) for t in set(tokens)), key=len)
        candidates: set[str] = set()
        for posting in postings:
            if candidates and len(candidates) + len(posting) > MAX_NAME_CANDIDATES:
                break
            candidates.update(posting[:MAX_NAME_CANDIDATES])
        if not candidates:
            return None
        best = process.extract(query, sorted(candidates), scorer=fuzz.token_sort_ratio,
                               score_cutoff=cutoff, limit=2)
        if not best:
            return None
        if len(best) == 2 and best[1][1] == best[0][1]:
            return None  # two names equally close: the name does not identify the payer
        return NameMatch(tuple(self.by_name[best[0][0]]), best[0][0], best[0][1])

    def related_customers(self, customer: CustomerRef) -> list[CustomerRef]:
        """The customer and the other accounts of its business-partner group (any entity)."""
        if customer.group_id in (None, ""):
            return [customer]
        return [self.customers[c] for c in self.group_customers.get(customer.group_id, [customer.customer_id])]

    # --- items -----------------------------------------------------------------------------------

    def items_by_number(self, key: str) -> list[OpenItemRef]:
        found = self.by_number.get(key)
        if found is None:
            return []
        if type(found) is list:
            return [self.items[i] for i in found]
        return [self.items[found]]

    def items_by_reference(self, reference: str) -> list[OpenItemRef]:
        return [self.items[i] for i in self.by_reference.get(compact(reference), ())]

    def open_items_of(self, customer_id: int | str) -> list[OpenItemRef]:
        """The customer's open debit items, oldest due date first (sorted at the first look-up: a run
        looks at the items of the customers its lines name, a small part of the ledger)."""
        items = self.customer_items.get(customer_id)
        if items is None:
            return []
        if customer_id not in self._sorted:
            items.sort(key=_OLDEST_FIRST)
            self._sorted.add(customer_id)
        return items
