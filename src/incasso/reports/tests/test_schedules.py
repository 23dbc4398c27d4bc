"""Scheduled packs: due by cron, built as of the last complete day, archived, e-mailed once over a
real SMTP server with the workbook and the PDF attached; a missed day is caught up once."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from django.core.management import CommandError, call_command

from incasso.audit.events import Actor
from incasso.jobs.models import JobRun
from incasso.reports.models import ReportArchive, ReportSchedule
from incasso.reports.schedules import ScheduleError, add_schedule, due_schedules, run_due
from incasso.reports.tests.kpi_story import a_march_ledger

pytestmark = pytest.mark.django_db
BY = Actor(None, "test")
CREATED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_a_due_daily_pack_is_built_for_yesterday_archived_and_mailed_once(smtp, settings, tmp_path,
                                                                          django_capture_on_commit_callbacks):
    settings.VAR_DIR = tmp_path
    a_march_ledger(disputes=False)
    schedule = add_schedule("daily", "0 6 * * *", ["clara@client.example", "theo@incasso.example"], by=BY,
                            now=CREATED)

    assert due_schedules(datetime(2026, 3, 11, 5, 59, tzinfo=UTC)) == [schedule]  # 2 March 06:00 was missed
    with django_capture_on_commit_callbacks(execute=True):
        runs = run_due(datetime(2026, 3, 11, 6, 5, tzinfo=UTC), by=BY)
    with django_capture_on_commit_callbacks(execute=True):
        again = run_due(datetime(2026, 3, 11, 6, 30, tzinfo=UTC), by=BY)

    assert again == []  # caught up once, not once per missed morning
    (run,) = runs
    assert run.archive.as_of == date(2026, 3, 10) and run.archive.checks_passed
    (message,) = smtp.bodies
    subject = str(message["Subject"]).strip()  # decoded by the default policy; folding may leave a space
    assert subject == "[Incasso] daily pack as of 2026-03-10 — controls passed"
    assert sorted(message["To"].split(", ")) == ["clara@client.example", "theo@incasso.example"]
    names = sorted(part.get_filename() for part in message.walk() if part.get_filename())
    assert names == ["incasso-daily-2026-03-10.pdf", "incasso-daily-2026-03-10.xlsx"]
    assert run.archive.files[0]["sha256"] in message.get_payload()[0].get_payload(decode=True).decode()
    schedule.refresh_from_db()
    assert schedule.last_run_at == datetime(2026, 3, 11, 6, 5, tzinfo=UTC)
    assert schedule.last_archive == run.archive
    assert str(tmp_path) in run.archive.directory


def test_schedule_fields_are_checked_with_named_errors():
    with pytest.raises(ScheduleError, match="cron 'every morning' is not a cron expression"):
        add_schedule("daily", "every morning", ["a@b.example"], by=BY)
    with pytest.raises(ScheduleError, match="'clara at client' is not an e-mail address"):
        add_schedule("weekly", "0 7 * * 1", ["clara at client"], by=BY)
    with pytest.raises(ScheduleError, match="pack 'yearly'"):
        add_schedule("yearly", "0 7 1 1 *", ["a@b.example"], by=BY)
    with pytest.raises(ScheduleError, match="no legal entity with code XX99"):
        add_schedule("daily", "0 7 * * *", ["a@b.example"], by=BY, entity_codes=["XX99"])


def test_commands_add_a_schedule_and_queue_the_due_packs_for_the_worker():
    a_march_ledger(disputes=False)
    out = io.StringIO()
    call_command("report", "schedule-add", "monthly", "--cron", "0 5 1 * *", "--to", "cfo@client.example",
                 stdout=out)
    ReportSchedule.objects.update(created_at=CREATED)

    due = io.StringIO()
    call_command("report", "schedule-due", "--now", "2026-04-01T05:00:00", "--queue", stdout=due)

    assert "monthly pack at '0 5 1 * *'" in out.getvalue()
    job = JobRun.objects.get()
    assert job.kind == "reports.pack" and job.params["now"] == "2026-04-01T05:00:00+00:00"
    assert "queued" in due.getvalue() and ReportArchive.objects.count() == 0
    with pytest.raises(CommandError, match="--now: 'yesterday'"):
        call_command("report", "schedule-due", "--now", "yesterday")
