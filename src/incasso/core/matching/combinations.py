"""Bounded subset-sum: which of a customer's open items add up to a payment.

Amounts are integer minor units. The search tries the fewest items first (a payer is likelier to
settle two invoices than seven that happen to add up), oldest items first within a size, and stops
after ``max_steps`` search nodes so that one customer with hundreds of items cannot stall a run.
It reports whether another set of the same size also fits (then the amount alone cannot say which
items were paid) and whether the step budget ran out before the answer was certain.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Combination:
    indices: tuple[int, ...]  # positions in the input, ascending (oldest first when the input is)
    ambiguous: bool  # another combination of the same size has the same total
    exhausted: bool  # the step budget ran out: a smaller or competing combination may exist
    steps: int


def oldest_first_prefix(amounts: list[int], target: int) -> int | None:
    """How many of the oldest items add up to exactly ``target`` (the payer cleared "everything due")."""
    total = 0
    for count, amount in enumerate(amounts, start=1):
        total += amount
        if total == target:
            return count
        if total > target:
            return None
    return None


def find_combination(amounts: list[int], target: int, *, max_items: int, max_steps: int) -> Combination | None:
    """The smallest set of at least two positive ``amounts`` summing exactly to ``target``, or None.

    Only the first ``max_items`` amounts are searched (callers pass them oldest first)."""
    values = amounts[:max_items]
    n = len(values)
    suffix = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        suffix[i] = suffix[i + 1] + values[i]
    state = _Search(values, suffix, max_steps)
    for size in range(2, n + 1):
        found: list[tuple[int, ...]] = []
        if suffix[0] >= target:
            state.search(0, target, size, [], found)
        if found:
            return Combination(found[0], len(found) > 1, state.exhausted, state.steps)
        if state.exhausted:
            return None
    return None


class _Search:
    """Depth-first search for sets of exactly ``slots`` values; stops at two sets or the step budget."""

    def __init__(self, values: list[int], suffix: list[int], max_steps: int) -> None:
        self.values, self.suffix, self.max_steps = values, suffix, max_steps
        self.steps = 0
        self.exhausted = False

    def search(self, start: int, need: int, slots: int, chosen: list[int], found: list[tuple[int, ...]]) -> None:
        values, n = self.values, len(self.values)
        if slots == 1:
            for i in range(start, n):
                self.steps += 1
                if values[i] == need:
                    found.append((*chosen, i))
                    if len(found) > 1:
                        return
            return
        for i in range(start, n - slots + 1):
            self.steps += 1
            if self.steps > self.max_steps:
                self.exhausted = True
                return
            value = values[i]
            if value >= need or self.suffix[i] < need:
                continue
            chosen.append(i)
            self.search(i + 1, need - value, slots - 1, chosen, found)
            chosen.pop()
            if len(found) > 1 or self.exhausted:
                return
