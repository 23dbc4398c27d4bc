"""Sending an approved run through the outbox, exactly once per letter.

Each queued letter is handled in its own transaction under a row lock: re-check its items (still
open, not disputed, promised or blocked since the proposal), render it, send it, mark it sent and
write the item levels, all before the lock is released. A crash (or an SMTP failure) between two
letters leaves the sent ones marked sent and the rest queued; sending the run again resumes with
the queued ones only. A letter that is already sent is never touched again, and re-sending a
finished run sends nothing.

The one window left is the SMTP server accepting a message and the process dying before the commit:
the Message-ID is derived from the letter's idempotency key, so a resend is recognisable downstream.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone
from django.utils.html import strip_tags

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record
from incasso.dunning.blocks import customer_block_reason, disputed, item_blocks
from incasso.dunning.choices import Channel, LetterStatus, RunStatus
from incasso.dunning.errors import DunningError, DunningErrorCode
from incasso.dunning.letters.render import pdf_of, render_letter
from incasso.dunning.models import ItemLevel, Letter, Run

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class SendResult:
    run_id: int
    sent: int
    skipped: int
    already_sent: int


def message_id_for(letter: Letter) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "incasso.local"
    return f"<{letter.idempotency_key.replace(':', '.')}@{domain}>"


def recheck(letter: Letter, as_of: date) -> str:
    """Why the letter must not go any more ("" when it still may): re-reads items and blocks now."""
    reason = customer_block_reason(letter.customer, as_of)
    if reason:
        return reason
    lines = [line for line in letter.lines.all() if not line.excluded]
    item_ids = [line.item_id for line in lines]
    promised = item_blocks(item_ids)
    disputes = disputed(item_ids=item_ids)
    changed = []
    for line in lines:
        item = line.item
        still_due = item.open_amount - disputes.get(item.pk, Decimal(0))
        if line.item_id in promised:
            changed.append(f"{item.number}: {promised[line.item_id]}")
        elif still_due < line.amount_due:
            changed.append(f"{item.number}: now {max(still_due, Decimal(0))} due, {line.amount_due} proposed")
    return "; ".join(changed)


def _send_one(letter_id: int, *, by: Actor, connection) -> str:  # type: ignore[no-untyped-def]
    """Send one queued letter; returns its status afterwards."""
    with transaction.atomic():
        status = Letter.objects.select_for_update().values_list("status", flat=True).get(pk=letter_id)
        if status != LetterStatus.QUEUED:
            return status
        letter = (Letter.objects.select_related("run", "customer", "customer__entity", "contact")
                  .prefetch_related("lines__item", "customer__entity__bank_accounts").get(pk=letter_id))
        reason = recheck(letter, letter.run.as_of)
        if reason:
            letter.status, letter.status_note = LetterStatus.SKIPPED, reason[:300]
            letter.save(update_fields=["status", "status_note"])
            return letter.status
        rendered = render_letter(letter)
        pdf = pdf_of(rendered.html)
        letter.subject, letter.html, letter.pdf = rendered.subject, rendered.html, pdf
        letter.message_id = message_id_for(letter)
        if letter.channel in (Channel.EMAIL, Channel.BOTH):
            message = EmailMultiAlternatives(
                subject=rendered.subject, body=strip_tags(rendered.html), to=[letter.email],
                connection=connection, headers={"Message-ID": letter.message_id,
                                                "Content-Language": letter.language},
            )
            message.attach_alternative(rendered.html, "text/html")
            message.attach(f"{letter.customer.account}-level{letter.level}.pdf", pdf, "application/pdf")
            message.send()
        letter.status, letter.sent_at = LetterStatus.SENT, timezone.now()
        letter.save()
        ItemLevel.objects.bulk_create(
            [ItemLevel(item_id=line.item_id, level=line.level, reached_on=letter.run.as_of, letter=letter)
             for line in letter.lines.all() if line.climbs and not line.excluded],
            ignore_conflicts=True,
        )
        record(EventKind.DUNNING_LETTER_SENT, actor=by, subject_type="dunning_letter", subject_id=letter.pk,
               customer_id=letter.customer_id,
               message=f"Level {letter.level} letter ({letter.get_channel_display()}) to {letter.email or 'print'}: "
                       f"{letter.total} {letter.currency}")
    return LetterStatus.SENT


def send_run(run_id: int, *, by: Actor, progress: Progress | None = None) -> SendResult:
    """Work off the run's outbox. Safe to call again after a crash, and on a finished run."""
    with transaction.atomic():
        try:
            run = Run.objects.select_for_update().get(pk=run_id)
        except Run.DoesNotExist:
            raise DunningError(DunningErrorCode.RUN_NOT_FOUND, f"no dunning run {run_id}") from None
        if run.status not in (RunStatus.APPROVED, RunStatus.SENDING, RunStatus.SENT):
            raise DunningError(DunningErrorCode.WRONG_STATUS, f"run {run_id} is {run.status}: approve it first")
        if run.status == RunStatus.APPROVED:
            run.status = RunStatus.SENDING
            run.save(update_fields=["status"])
    already = run.letters.filter(status=LetterStatus.SENT).count()
    queued = list(run.letters.filter(status=LetterStatus.QUEUED).order_by("id").values_list("id", flat=True))
    total = len(queued)
    sent = skipped = 0
    connection = get_connection()
    try:
        for done, letter_id in enumerate(queued, start=1):
            status = _send_one(letter_id, by=by, connection=connection)
            sent += status == LetterStatus.SENT
            skipped += status == LetterStatus.SKIPPED
            if progress:
                progress(done, total, f"{sent} sent, {skipped} skipped")
    finally:
        connection.close()
    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=run_id)
        if run.status != RunStatus.SENT and not run.letters.filter(status=LetterStatus.QUEUED).exists():
            run.status, run.finished_at = RunStatus.SENT, timezone.now()
            run.save(update_fields=["status", "finished_at"])
            record(EventKind.DUNNING_RUN_SENT, actor=by, subject_type="dunning_run", subject_id=run.pk,
                   message=f"Run {run.pk} sent: {run.letters.filter(status=LetterStatus.SENT).count()} letters")
    return SendResult(run_id, sent, skipped, already)


def record_bounce(message_id: str, *, reason: str, by: Actor) -> Letter:
    """A bounced letter e-mail: mark the letter and give the customer's collector a task."""
    from incasso.collections.actions.portfolio import assign_task

    with transaction.atomic():
        letter = Letter.objects.select_for_update().select_related("customer").get(message_id=message_id)
        letter.status, letter.status_note = LetterStatus.BOUNCED, reason[:300]
        letter.save(update_fields=["status", "status_note"])
        record(EventKind.DUNNING_LETTER_BOUNCED, actor=by, subject_type="dunning_letter", subject_id=letter.pk,
               customer_id=letter.customer_id, message=f"Level {letter.level} letter to {letter.email} bounced: "
                                                       f"{reason}")
        if letter.customer.collector_id:
            assign_task(letter.customer.collector_id,
                        f"Dunning e-mail to {letter.email} bounced: check the reminders contact",
                        letter.run.as_of, by=by, customer_id=letter.customer_id)
    return letter
