"""Publishing a new version of a collection strategy (the previous version is retired, never edited)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Max

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record
from incasso.collections.errors import CollectionsError, CollectionsErrorCode
from incasso.collections.models import Strategy, StrategyRule
from incasso.core.collections.strategy import Condition


@dataclass(frozen=True)
class RuleSpec:
    condition: str
    threshold: Decimal
    points: int
    window_days: int | None = None
    label: str = ""


def publish_strategy(code: str, *, name: str, rules: list[RuleSpec], by: Actor, entity_id: int | None = None,
                     segment: str = "", lowered_percent: int = 50, due_soon_days: int = 7) -> Strategy:
    """Publish ``rules`` as the next version of strategy ``code`` and make it the current one."""
    if not rules:
        raise CollectionsError(CollectionsErrorCode.INVALID_STRATEGY, "a strategy needs at least one rule")
    for n, rule in enumerate(rules, 1):
        if rule.condition not in {c.value for c in Condition}:
            raise CollectionsError(CollectionsErrorCode.INVALID_STRATEGY,
                                   f"rule {n}: unknown condition {rule.condition!r}")
    if not 0 <= lowered_percent <= 100:
        raise CollectionsError(CollectionsErrorCode.INVALID_STRATEGY, "lowered percent must be between 0 and 100")
    with transaction.atomic():
        previous = Strategy.objects.select_for_update().filter(code=code)
        version = (previous.aggregate(v=Max("version"))["v"] or 0) + 1
        previous.filter(is_current=True).update(is_current=False)
        strategy = Strategy.objects.create(code=code, version=version, name=name, entity_id=entity_id, segment=segment,
                                           lowered_percent=lowered_percent, due_soon_days=due_soon_days,
                                           published_by=by.user)
        StrategyRule.objects.bulk_create([
            StrategyRule(strategy=strategy, position=n, condition=r.condition, threshold=r.threshold, points=r.points,
                         window_days=r.window_days, label=r.label) for n, r in enumerate(rules, 1)
        ])
        record(EventKind.STRATEGY_PUBLISHED, actor=by, subject_type="strategy", subject_id=strategy.pk,
               message=f"{name} v{version}: {len(rules)} rules",
               after={"rules": [[r.condition, str(r.threshold), r.points] for r in rules]})
    return strategy
