"""The matching run started from the queue runs as a background job, with its progress."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incasso.accounts.choices import Role
from incasso.audit.events import SYSTEM
from incasso.cashapp.actions import import_statement_bytes
from incasso.cashapp.choices import LineState
from incasso.cashapp.models import BankLine
from incasso.cashapp.tests.samples import ACME_IBAN, acme, acme_invoices, camt053, camt053_entry, our_entity
from incasso.cashapp.tests.test_cash_views import a_user
from incasso.jobs.actions import work
from incasso.jobs.choices import JobStatus
from incasso.jobs.models import JobRun

pytestmark = pytest.mark.django_db


def test_run_from_the_queue_is_queued_and_the_worker_matches_with_progress(client):
    # given a statement with one line that pays an invoice by its RF reference
    customer = acme(our_entity())
    acme_invoices(customer)
    import_statement_bytes(camt053(camt053_entry("1200.00", ref="A1", iban=ACME_IBAN, rf="RF26FA20260001"),
                                   opening="0", closing="1200.00"), "march.xml", by=SYSTEM)
    client.force_login(a_user("carla", Role.CASH_APPLICATION))
    # when the specialist presses "Run matching"
    response = client.post(reverse("cashapp:run"))
    # then nothing was matched inside the request: a job is queued and the browser goes to its page
    job = JobRun.objects.get(kind="cashapp.match")
    assert response.status_code == 302 and response.url == reverse("jobs:detail", args=[job.pk])
    assert job.status == JobStatus.QUEUED and job.created_by.username == "carla"
    assert BankLine.objects.get().state == LineState.UNMATCHED
    # and when the worker runs it, the line is applied and the job reports its progress and result
    assert work() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert (job.done, job.total) == (1, 1) and job.percent == 100
    assert "1 applied automatically" in job.message and "1 applied automatically" in job.log
    assert job.result_url == reverse("cashapp:queue")
    assert BankLine.objects.get().state == LineState.APPLIED
    page = client.get(reverse("jobs:detail", args=[job.pk]))
    assert page.status_code == 200 and reverse("cashapp:queue") in page.content.decode()


def test_a_reader_cannot_queue_a_run(client):
    client.force_login(a_user("tom", Role.CONTROLLER))
    assert client.post(reverse("cashapp:run")).status_code == 403
    assert not JobRun.objects.exists()
