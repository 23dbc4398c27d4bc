"""``match_line``: one bank credit → a proposal (customer, allocations, confidence, reason).

The stages, in the order they are tried (the first that explains the amount wins):

1. **Payer**: the counterparty IBAN among the customers' known IBANs; else the customer whose item a
   reference names; else the payer name, normalised and compared fuzzily (name-only lowers confidence).
2. **References**: ISO 11649 RF / Belgian structured references encoding a document number, the
   remittance advice's documents, and the document numbers in the free text (exact, then with the
   prefix or leading zeros missing, then one or two characters off within the payer's own items),
   and the customer's own references (purchase orders).
3. **Amount against the referenced items**: equal; equal after the cash discount within its days;
   within the tolerance (bank charges, rounding); less (short or partial payment, residual left open);
   more (overpayment, residual left on account). A fuzzy number counts only when the amount agrees.
4. **Amount alone**, once the payer is known: exactly one open item of that amount (with or without
   discount), the oldest items in a row, or the fewest items that add up (bounded subset-sum).

Confidence is calibrated per stage (see ``CONFIDENCE`` and docs/cash-application.md) so that what
reaches ``auto_threshold`` is applied without a person at a measured precision above 99.5 %.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from rapidfuzz.distance import OSA

from incasso.core.matching.combinations import find_combination, oldest_first_prefix
from incasso.core.matching.index import MatchingIndex
from incasso.core.matching.model import (
    RESIDUAL_NONE,
    RESIDUAL_OVER,
    RESIDUAL_SHORT,
    RESIDUAL_TOLERANCE,
    RESIDUAL_UNIDENTIFIED,
    ZERO,
    BankLineRef,
    CustomerRef,
    MatchSettings,
    OpenItemRef,
    Proposal,
    ProposedAllocation,
)
from incasso.core.matching.text import canonical, compact, digits_key, number_candidates

CENT = Decimal("0.01")

# Base confidence per kind of evidence when the amount agrees exactly (documented in docs/cash-application.md).
CONFIDENCE = {
    "structured_reference": Decimal("0.99"),  # RF / Belgian reference with valid check digits
    "remittance_advice": Decimal("0.98"),  # the payer's document list, amounts per document
    "invoice_number": Decimal("0.97"),  # the document number written as issued
    "normalised_number": Decimal("0.96"),  # prefix or leading zeros missing, within the payer's items
    "customer_reference": Decimal("0.95"),  # the customer's purchase-order reference
    "fuzzy_number": Decimal("0.95"),  # one or two characters off, within the payer's items, amount equal
    "amount_single": Decimal("0.85"),  # no reference: the payer's only open item of that amount
    "amount_oldest": Decimal("0.88"),  # no reference: the payer's oldest items in a row add up
    "amount_combination": Decimal("0.90"),  # no reference: a bounded subset-sum, less per extra item
}
# Lowered by: how the amount relates, and how the payer was identified.
PENALTY = {
    "discount": Decimal("0.01"),
    "tolerance": Decimal("0.02"),
    # a referenced item paid in part (left open) or overpaid (rest on account): the allocation itself is as
    # certain as the reference; the difference is booked as a residual a person sees afterwards
    "short": Decimal("0.02"),
    "over": Decimal("0.02"),
    "unresolved_reference": Decimal("0.05"),  # a further number in the text that names no open item
    "payer_by_name": Decimal("0.04"),
    "payer_by_reference": Decimal("0.01"),  # unknown IBAN: a third party or a new account
    "payer_conflict": Decimal("0.10"),  # the IBAN belongs to a customer outside the items' group
    "payer_by_name_amount_only": Decimal("0.10"),
}


@dataclass(slots=True)
class _Evidence:
    """The items a line's references resolved to, how strongly, and what the reason says."""

    items: list[OpenItemRef] = field(default_factory=list)
    kind: str = ""  # the weakest evidence kind among the resolved references (a CONFIDENCE key)
    notes: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    fuzzy: bool = False
    paid: dict[int | str, Decimal] = field(default_factory=dict)  # per item, from a remittance advice

    def add(self, item: OpenItemRef, kind: str, note: str) -> None:
        if any(i.item_id == item.item_id for i in self.items):
            return
        self.items.append(item)
        self.notes.append(note)
        if not self.kind or CONFIDENCE[kind] < CONFIDENCE[self.kind]:
            self.kind = kind
        self.fuzzy = self.fuzzy or kind == "fuzzy_number"


def _grouped(reference: str) -> str:
    return " ".join(reference[i:i + 4] for i in range(0, len(reference), 4))


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


class _LineMatcher:
    def __init__(self, line: BankLineRef, index: MatchingIndex, settings: MatchSettings, as_of: date) -> None:
        self.line = line
        self.index = index
        self.settings = settings
        self.pay_date = line.value_date or line.booking_date or as_of
        self.customer: CustomerRef | None = None
        self.payer_how = ""  # iban, reference, name
        self.payer_note = ""
        self.scope: list[CustomerRef] = []
        self.scope_ids: set[int | str] = set()  # the scope's customer ids (asked once per item looked at)

    # --- payer -----------------------------------------------------------------------------------

    def _pick(self, candidates: list[CustomerRef]) -> CustomerRef | None:
        if not candidates:
            return None
        same_entity = [c for c in candidates if c.entity_id == self.line.entity_id]
        pool = same_entity or candidates
        same_currency = [c for c in pool if c.currency == self.line.currency]
        return (same_currency or pool)[0]

    def _set_customer(self, customer: CustomerRef, how: str, note: str) -> None:
        self.customer, self.payer_how, self.payer_note = customer, how, note
        self.scope = self.index.related_customers(customer)
        self.scope_ids = {c.customer_id for c in self.scope}

    def identify_by_iban(self) -> None:
        if not self.line.counterparty_iban:
            return
        customer = self._pick(self.index.customers_by_iban(self.line.counterparty_iban))
        if customer:
            self._set_customer(customer, "iban", f"payer {customer.name} ({customer.account}) known by IBAN "
                                                 f"{self.line.counterparty_iban}")

    def identify_by_name(self) -> None:
        name = self.line.counterparty_name
        if not name:
            return
        found = self.index.customers_by_name(name, self.settings.name_score_cutoff)
        if found:
            customer = self._pick([self.index.customers[c] for c in found.customer_ids])
            if customer:
                self._set_customer(customer, "name", f"payer name '{name}' matched {customer.name} "
                                                     f"({customer.account}, score {found.score:.0f})")

    def in_scope(self, item: OpenItemRef) -> bool:
        return item.customer_id in self.scope_ids

    def usable(self, item: OpenItemRef) -> bool:
        return item.currency == self.line.currency

    def scope_items(self) -> list[OpenItemRef]:
        items: list[OpenItemRef] = []
        for customer in self.scope:
            items.extend(i for i in self.index.open_items_of(customer.customer_id) if self.usable(i))
        if len(self.scope) > 1:
            items.sort(key=lambda i: (i.due_date, i.document_date, i.number))
        return items

    # --- references ------------------------------------------------------------------------------

    def _exact(self, key: str) -> list[OpenItemRef]:
        hits = [i for i in self.index.items_by_number(key) if self.usable(i)]
        if self.scope:
            in_scope = [i for i in hits if self.in_scope(i)]
            if in_scope:
                return in_scope
        same_entity = [i for i in hits if i.entity_id == self.line.entity_id]
        return same_entity or hits

    def _in_scope_by_digits(self, digits: str) -> list[OpenItemRef]:
        return [i for i in self.scope_items() if digits_key(i.number) == digits]

    def _fuzzy(self, key: str) -> list[OpenItemRef]:
        """Scope items whose canonical number is one (two for long numbers) edits from ``key``."""
        digits = digits_key(key)
        if len(digits) < 2:
            return []
        limit = 2 if len(digits) >= 8 else 1
        found = []
        for item in self.scope_items():
            item_digits = digits_key(item.number)
            if OSA.distance(digits, item_digits, score_cutoff=limit) <= limit:
                found.append(item)
        return found

    def gather(self) -> _Evidence:
        evidence = _Evidence()
        line = self.line
        structured = compact(line.structured_reference)
        if structured.startswith("RF") and len(structured) > 4:
            body = structured[4:]
            hits = self._exact(body) or self._exact(canonical(body))
            if not hits and self.scope:
                hits = self._in_scope_by_digits(digits_key(body))
            if len(hits) == 1:
                evidence.add(hits[0], "structured_reference", f"RF reference {_grouped(structured)} matched "
                                                              f"{hits[0].number} exactly")
            else:
                evidence.unresolved.append(_grouped(structured))
        elif structured.isdigit() and len(structured) == 12:  # Belgian +++ddd/dddd/ddddd+++
            hits = self._in_scope_by_digits(str(int(structured[:10]))) if self.scope else []
            if len(hits) == 1:
                evidence.add(hits[0], "structured_reference", f"structured communication {structured} matched "
                                                              f"{hits[0].number}")
        for number, paid, _deduction in line.remittance_documents:
            hits = self._exact(canonical(number)) or self._exact(compact(number))
            if len(hits) == 1:
                evidence.add(hits[0], "remittance_advice", f"remittance advice names {hits[0].number}")
                if paid is not None:
                    evidence.paid[hits[0].item_id] = paid
            else:
                evidence.unresolved.append(number)
        text = line.remittance_text
        if structured and not structured.startswith("RF") and not structured.isdigit():
            text = f"{structured} {text}"
        pending: list[tuple[str, str]] = []
        deferred: list[tuple[str, OpenItemRef]] = []
        resolved_written: set[str] = set()
        for written, key in number_candidates(text):
            if written in resolved_written:
                continue
            if not key.isdigit():
                hits = self._exact(key)
                if len(hits) == 1 and self.scope and not self.in_scope(hits[0]):
                    # another customer's number: a typo of one of the payer's own is likelier; decided below
                    deferred.append((written, hits[0]))
                    continue
                if len(hits) == 1:
                    how = "invoice_number" if compact(written) == compact(hits[0].number) else "normalised_number"
                    if how == "normalised_number" and not self.scope:
                        how = "invoice_number"  # prefix present and unique: only zeros or separators differ
                    evidence.add(hits[0], how, f"'{written}' in the text matched {hits[0].number}"
                                               + ("" if how == "invoice_number" else " (zeros/separators normalised)"))
                    resolved_written.add(written)
                    continue
                references = [i for i in self.index.items_by_reference(written) if self.usable(i)]
                if len(references) == 1:
                    evidence.add(references[0], "customer_reference",
                                 f"customer reference '{written}' is on {references[0].number}")
                    resolved_written.add(written)
                continue
            pending.append((written, key))
        # numbers without (a known) prefix: only within the payer's items
        if self.customer is None and evidence.items:
            first = evidence.items[0]
            owner = self.index.customers.get(first.customer_id)
            if owner:
                self._set_customer(owner, "reference", f"payer {owner.name} ({owner.account}) found by "
                                                       f"the referenced {first.number}")
        for written, key in pending:
            if written in resolved_written or not self.scope or len(key) < 3:
                continue
            hits = [i for i in self._in_scope_by_digits(key) if i not in evidence.items]
            if len(hits) == 1:
                evidence.add(hits[0], "normalised_number", f"'{written}' in the text read as {hits[0].number} "
                                                           f"(prefix/leading zeros missing)")
                resolved_written.add(written)
        for written, key in pending:
            if written in resolved_written or not self.scope or len(key) < 2:
                continue
            hits = [i for i in self._fuzzy(key) if i not in evidence.items]
            if len(hits) > 1 or len(key) < 4:  # short or several near numbers: only the one whose amount was paid
                hits = [i for i in hits if i.open_amount == self.line.amount]
            if len(hits) == 1:
                evidence.add(hits[0], "fuzzy_number", f"'{written}' in the text read as {hits[0].number} "
                                                      f"(mistyped, closest of the payer's items)")
                resolved_written.add(written)
        for written, hit in deferred:
            # another customer's item counts only when the amount confirms it (a parent paying for a
            # subsidiary outside the group); else it is a typo we could not place
            if written not in resolved_written and hit.open_amount == self.line.amount:
                evidence.add(hit, "invoice_number", f"'{written}' in the text matched {hit.number} of another customer")
                resolved_written.add(written)
        for written, key in pending:
            if written not in resolved_written and len(key) >= 5:
                evidence.unresolved.append(written)
        return evidence

    # --- amounts ---------------------------------------------------------------------------------

    def tolerance(self, total: Decimal) -> Decimal:
        percent = (total * self.settings.tolerance_percent / 100).quantize(CENT, ROUND_HALF_UP)
        return min(self.settings.amount_tolerance, percent)

    def discount_of(self, item: OpenItemRef) -> Decimal | None:
        if self.pay_date > item.document_date + timedelta(days=self.settings.cash_discount_days):
            return None
        return (item.open_amount * self.settings.cash_discount_percent / 100).quantize(CENT, ROUND_HALF_UP)

    def payer_penalty(self, items: list[OpenItemRef]) -> tuple[Decimal, str]:
        if self.payer_how == "iban":
            if items and not all(self.in_scope(i) for i in items):
                return PENALTY["payer_conflict"], "; the IBAN belongs to another customer"
            return ZERO, ""
        if self.payer_how == "name":
            return PENALTY["payer_by_name"], ""
        return PENALTY["payer_by_reference"], "; payer IBAN unknown (third party or new account)"

    def explain(self, evidence: _Evidence) -> Proposal | None:
        items = evidence.items
        if not items:
            return None
        line = self.line
        amount = line.amount
        base = CONFIDENCE[evidence.kind]
        penalty, payer_note = self.payer_penalty(items)
        if evidence.unresolved:
            penalty += PENALTY["unresolved_reference"]
            payer_note += f"; not found: {', '.join(evidence.unresolved)}"
        total = sum((i.open_amount for i in items), ZERO)
        what = "; ".join(evidence.notes)
        currency = line.currency
        customer_id = self.customer.customer_id if self.customer else items[0].customer_id

        def proposal(allocations: list[ProposedAllocation], confidence: Decimal, relation: str, residual: Decimal,
                     residual_kind: str) -> Proposal:
            reason = f"{what}; {relation}{payer_note}"
            if self.payer_note and self.payer_how != "reference":
                reason = f"{self.payer_note}; {reason}"
            return Proposal(line.line_id, customer_id, tuple(allocations), max(ZERO, min(confidence, Decimal("1"))),
                            reason, residual, residual_kind, evidence.kind)

        if evidence.paid and sum(evidence.paid.values(), ZERO) == amount and len(evidence.paid) == len(items):
            allocations = [ProposedAllocation(i.item_id, min(evidence.paid[i.item_id], i.open_amount)) for i in items]
            left = total - sum((a.amount for a in allocations), ZERO)
            over = amount - sum((a.amount for a in allocations), ZERO)
            if left == 0 and over == 0:
                return proposal(allocations, base - penalty, "amounts per document equal", ZERO, RESIDUAL_NONE)
            if over == 0:
                return proposal(allocations, base - penalty - PENALTY["short"],
                                f"the advice pays {_money(left, currency)} less than open", left, RESIDUAL_SHORT)
        if total == amount:
            return proposal([ProposedAllocation(i.item_id, i.open_amount) for i in items], base - penalty,
                            "amount equal" if len(items) == 1 else f"amount equals the {len(items)} items",
                            ZERO, RESIDUAL_NONE)
        if evidence.fuzzy:
            return None  # a mistyped number is trusted only when the amount confirms it
        discounts = [self.discount_of(i) for i in items]
        if all(d is not None for d in discounts):
            net = sum((i.open_amount - d for i, d in zip(items, discounts, strict=True)), ZERO)  # type: ignore[operator]
            if net == amount:
                allocations = [ProposedAllocation(i.item_id, i.open_amount - d, d)  # type: ignore[operator]
                               for i, d in zip(items, discounts, strict=True)]
                return proposal(allocations, base - penalty - PENALTY["discount"],
                                f"amount equal after {self.settings.cash_discount_percent}% cash discount "
                                f"within {self.settings.cash_discount_days} days", ZERO, RESIDUAL_NONE)
        difference = total - amount
        if abs(difference) <= self.tolerance(total):
            allocations = self._fill(items, amount)
            return proposal(allocations, base - penalty - PENALTY["tolerance"],
                            f"amount differs by {_money(abs(difference), currency)}, within tolerance",
                            abs(difference), RESIDUAL_TOLERANCE)
        if difference > 0:
            allocations = self._fill(items, amount)
            return proposal(allocations, base - penalty - PENALTY["short"],
                            f"paid {_money(amount, currency)} of {_money(total, currency)} open: short by "
                            f"{_money(difference, currency)}", difference, RESIDUAL_SHORT)
        allocations = [ProposedAllocation(i.item_id, i.open_amount) for i in items]
        return proposal(allocations, base - penalty - PENALTY["over"],
                        f"paid {_money(-difference, currency)} more than open: left on account",
                        -difference, RESIDUAL_OVER)

    @staticmethod
    def _fill(items: list[OpenItemRef], amount: Decimal) -> list[ProposedAllocation]:
        """Spread ``amount`` over the items in the order the payer named them."""
        allocations = []
        left = amount
        for item in items:
            if left <= 0:
                break
            part = min(item.open_amount, left)
            allocations.append(ProposedAllocation(item.item_id, part))
            left -= part
        return allocations

    def by_amount(self) -> Proposal | None:
        if self.customer is None:
            return None
        line = self.line
        amount = line.amount
        items = self.scope_items()
        if not items:
            return None
        penalty = PENALTY["payer_by_name_amount_only"] if self.payer_how == "name" else ZERO
        currency = line.currency
        lead = self.payer_note

        def proposal(chosen: list[ProposedAllocation], kind: str, confidence: Decimal, reason: str) -> Proposal:
            return Proposal(line.line_id, self.customer.customer_id, tuple(chosen),  # type: ignore[union-attr]
                            max(ZERO, confidence), f"{lead}; {reason}", ZERO, RESIDUAL_NONE, kind)

        equal = [i for i in items if i.open_amount == amount]
        if len(equal) == 1:
            return proposal([ProposedAllocation(equal[0].item_id, amount)], "amount_single",
                            CONFIDENCE["amount_single"] - penalty,
                            f"no reference; {equal[0].number} is the only open item of {_money(amount, currency)}")
        if len(equal) > 1:
            return None  # several items of that amount: a person picks
        discounted = []
        for item in items:
            d = self.discount_of(item)
            if d is not None and item.open_amount - d == amount:
                discounted.append((item, d))
        if len(discounted) == 1:
            item, d = discounted[0]
            return proposal([ProposedAllocation(item.item_id, amount, d)], "amount_single",
                            CONFIDENCE["amount_single"] - PENALTY["discount"] - penalty,
                            f"no reference; {item.number} less {self.settings.cash_discount_percent}% cash "
                            f"discount is {_money(amount, currency)}")
        cents = [int(i.open_amount * 100) for i in items]
        target = int(amount * 100)
        count = oldest_first_prefix(cents, target)
        if count and count >= 2:
            chosen = items[:count]
            return proposal([ProposedAllocation(i.item_id, i.open_amount) for i in chosen], "amount_oldest",
                            CONFIDENCE["amount_oldest"] - penalty,
                            f"no reference; the {count} oldest open items ({', '.join(i.number for i in chosen)}) "
                            f"add up to {_money(amount, currency)}")
        found = find_combination(cents, target, max_items=self.settings.max_combination_items,
                                 max_steps=self.settings.max_combination_steps)
        if found is None:
            return None
        chosen = [items[i] for i in found.indices]
        confidence = CONFIDENCE["amount_combination"] - Decimal("0.01") * (len(chosen) - 2) - penalty
        confidence = max(confidence, Decimal("0.80") - penalty)
        note = ""
        if found.ambiguous:
            confidence, note = Decimal("0.50"), "; another set of as many items has the same total"
        elif found.exhausted:
            confidence -= Decimal("0.10")
            note = "; search stopped at its step limit"
        return proposal([ProposedAllocation(i.item_id, i.open_amount) for i in chosen], "amount_combination",
                        confidence, f"no reference; {len(chosen)} open items ({', '.join(i.number for i in chosen)}) "
                                    f"add up to {_money(amount, currency)}{note}")


def match_line(line: BankLineRef, index: MatchingIndex, settings: MatchSettings, as_of: date) -> Proposal:
    """Propose how to apply one bank credit; never raises for odd input, says why instead."""
    matcher = _LineMatcher(line, index, settings, as_of)
    matcher.identify_by_iban()
    evidence = matcher.gather()
    if matcher.customer is None:
        matcher.identify_by_name()
        if matcher.customer is not None:
            evidence = matcher.gather()  # now numbers without prefix and typos can be read in its items
    proposal = matcher.explain(evidence)
    if proposal is None:
        proposal = matcher.by_amount()
    if proposal is not None:
        return proposal
    customer = matcher.customer
    if customer is not None:
        found = "; ".join(evidence.notes) or "no reference to an open item"
        reason = (f"{matcher.payer_note}; {found}; the amount {_money(line.amount, line.currency)} "
                  f"matches no open item or combination")
    else:
        reason = "payer not identified (IBAN unknown, name not found) and no reference to an open item"
    return Proposal(line.line_id, customer.customer_id if customer else None, (), ZERO, reason, line.amount,
                    RESIDUAL_UNIDENTIFIED, "unidentified")
