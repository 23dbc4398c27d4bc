"""Procedures: seeded per entity from the country defaults of the pure core, edited in the UI."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record
from incasso.core import dunning as core
from incasso.core.interest import JURISDICTIONS
from incasso.dunning.models import LetterTemplate, Level, Procedure
from incasso.ledger.models import LegalEntity


def seed_procedure(entity: LegalEntity, *, by: Actor, segment: str = "") -> Procedure:
    """The entity's procedure for ``segment``, created from the country's three default levels if missing."""
    with transaction.atomic():
        procedure, created = Procedure.objects.get_or_create(
            entity=entity, segment=segment,
            defaults={"name": f"{entity.code} standard{' ' + segment if segment else ''}",
                      "jurisdiction": core.jurisdiction_for(entity.country, tuple(JURISDICTIONS))},
        )
        if created:
            Level.objects.bulk_create(
                Level(procedure=procedure, number=rule.number, days=rule.days, basis=rule.basis,
                      min_amount=rule.min_amount, min_share_percent=rule.min_share_percent, channel=rule.channel,
                      tone=rule.tone, fee=rule.fee, claim_interest=rule.claim_interest,
                      claim_compensation=rule.claim_compensation)
                for rule in core.default_levels(entity.country)
            )
            record(EventKind.DUNNING_PROCEDURE_SAVED, actor=by, subject_type="dunning_procedure",
                   subject_id=procedure.pk, message=f"Default procedure seeded for {entity.code}")
    return procedure


def rules_of(procedure: Procedure) -> core.ProcedureRules:
    levels = tuple(
        core.LevelRule(level.number, level.days, level.basis, level.min_amount, level.min_share_percent,  # type: ignore[arg-type]
                       level.channel, level.tone, level.fee, level.claim_interest, level.claim_compensation)  # type: ignore[arg-type]
        for level in sorted(procedure.levels.all(), key=lambda lv: lv.number)
    )
    return core.ProcedureRules(levels, procedure.min_interval_days, procedure.jurisdiction,
                               {procedure.compensation_currency: Decimal(procedure.compensation_amount)})


def save_level(level_id: int, changes: dict[str, object], *, by: Actor) -> Level:
    """Change one level (days, basis, minimums, channel, tone, fee, claims), audited with before/after."""
    with transaction.atomic():
        level = Level.objects.select_for_update().select_related("procedure").get(pk=level_id)
        before = {name: str(getattr(level, name)) for name in changes}
        for name, value in changes.items():
            setattr(level, name, value)
        level.full_clean()
        level.save()
        record(EventKind.DUNNING_PROCEDURE_SAVED, actor=by, subject_type="dunning_procedure",
               subject_id=level.procedure_id, message=f"Level {level.number} of {level.procedure} changed",
               before=before, after={name: str(getattr(level, name)) for name in changes})
    return level


def save_template(tone: str, language: str, subject: str, body: str, *, by: Actor) -> LetterTemplate:
    """Store an administrator's letter text after the sandbox has compiled and tried it."""
    from incasso.dunning.letters.render import check_template

    check_template(subject, body)
    with transaction.atomic():
        template, _created = LetterTemplate.objects.update_or_create(
            tone=tone, language=language, defaults={"subject": subject, "body": body})
        record(EventKind.DUNNING_PROCEDURE_SAVED, actor=by, subject_type="dunning_template", subject_id=template.pk,
               message=f"Letter text {tone}/{language} saved")
    return template
