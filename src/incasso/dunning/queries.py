"""Reading runs: the proposal as JSON (CLI, API), the run report, the per-customer history."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum

from incasso.dunning.choices import LetterStatus
from incasso.dunning.models import ItemLevel, Letter, Run


def _money(value: Decimal | None) -> str:
    return f"{value or 0:.2f}"


def run_as_dict(run: Run) -> dict[str, Any]:
    """The run, every letter with its items (days overdue, fees, interest with rate, period and legal
    basis) and totals, and the exceptions with their reasons."""
    letters = (run.letters.select_related("customer", "customer__entity").prefetch_related("lines__item")
               .order_by("customer__account", "currency"))
    out_letters = []
    totals: dict[str, Counter] = defaultdict(Counter)
    for letter in letters:
        lines = [{
            "item": line.item.number, "due_date": line.item.due_date.isoformat(), "days_overdue": line.days_past_due,
            "level": line.level, "climbs": line.climbs, "earlier_levels": line.level_dates,
            "open_amount": _money(line.open_amount), "disputed_amount": _money(line.disputed_amount),
            "amount_due": _money(line.amount_due), "excluded": line.excluded,
            "interest": {"amount": _money(line.interest),
                         "rate": str(line.interest_rate) if line.interest_rate is not None else None,
                         "from": line.interest_from.isoformat() if line.interest_from else None,
                         "to": line.interest_to.isoformat() if line.interest_to else None,
                         "legal_basis": line.legal_basis or None},
            "compensation": _money(line.compensation),
        } for line in letter.lines.all()]
        out_letters.append({
            "id": letter.pk, "customer": letter.customer.account, "customer_name": letter.customer.name,
            "entity": letter.customer.entity.code, "level": letter.level, "tone": letter.tone,
            "channel": letter.channel, "currency": letter.currency, "language": letter.language,
            "email": letter.email, "status": letter.status, "idempotency_key": letter.idempotency_key,
            "reasons": letter.reasons, "payment_reference": letter.payment_reference, "items": lines,
            "fee": _money(letter.fee), "items_total": _money(letter.items_total),
            "interest_total": _money(letter.interest_total), "compensation_total": _money(letter.compensation_total),
            "total": _money(letter.total),
        })
        if letter.status != LetterStatus.EXCLUDED:
            totals[letter.currency]["letters"] += 1
            totals[letter.currency]["total"] += letter.total
    exceptions = [{"customer": e.customer.account, "currency": e.currency, "level": e.level, "code": e.code,
                   "reason": e.detail, "amount": _money(e.amount)}
                  for e in run.exceptions.select_related("customer")]
    return {
        "run": run.pk, "as_of": run.as_of.isoformat(), "status": run.status, "entities": run.entity_codes,
        "segments": run.segments, "letters": out_letters, "exceptions": exceptions,
        "totals": {cur: {"letters": c["letters"], "total": _money(c["total"])} for cur, c in sorted(totals.items())},
    }


def run_report(run: Run) -> dict[str, Any]:
    """Letters and amounts per level and status, exceptions per reason: one aggregate query each."""
    by_level = list(run.letters.values("level", "currency", "status").annotate(
        letters=Count("id"), total=Sum("total"), interest=Sum("interest_total"), fees=Sum("fee"))
        .order_by("level", "currency", "status"))
    exceptions = list(run.exceptions.values("code").annotate(n=Count("id"), amount=Sum("amount")).order_by("code"))
    return {"by_level": by_level, "exceptions": exceptions}


def customer_history(customer_id: int) -> tuple[list[Letter], list[ItemLevel]]:
    letters = list(Letter.objects.filter(customer_id=customer_id).exclude(status=LetterStatus.PROPOSED)
                   .select_related("run").order_by("-run__as_of", "-id")[:20])
    levels = list(ItemLevel.objects.filter(item__customer_id=customer_id).select_related("item")
                  .order_by("-reached_on", "item_id")[:50])
    return letters, levels
