"""Dunning screens: propose, review, approve, send with progress, report, archive, procedures."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incasso.accounts.actions import create_user_with_roles
from incasso.accounts.choices import Role
from incasso.audit.events import SYSTEM
from incasso.dunning.choices import LetterStatus, RunStatus
from incasso.dunning.models import Letter, Level, Run
from incasso.jobs.actions import work
from incasso.jobs.models import JobRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(story):  # type: ignore[no-untyped-def]
    return create_user_with_roles("bea", "pw", [Role.TEAM_LEADER], by=SYSTEM)


def test_a_team_leader_proposes_reviews_and_another_approves_and_sends(client, story, boss, smtp,  # type: ignore[no-untyped-def]
                                                                       django_assert_max_num_queries):
    client.force_login(story.lead)
    queued = client.post(reverse("dunning:propose"), {"as_of": "2026-03-31", "entity": "FR01"})
    proposal_job = JobRun.objects.get(kind="dunning.propose")
    assert queued.url == reverse("jobs:detail", args=[proposal_job.pk])
    work()  # the worker proposes the run
    run = Run.objects.get()
    job_page = client.get(queued.url).content.decode()
    assert "2 letters, 1 exceptions" in job_page
    assert reverse("dunning:run", args=[run.pk]) in job_page
    run_url = reverse("dunning:run", args=[run.pk])

    with django_assert_max_num_queries(16):
        page = client.get(run_url)
    html = page.content.decode()
    assert "Acme SARL" in html and "No reminder contact" in html and "Approve run" not in html  # four-eyes

    bravo = run.letters.get(customer=story.bravo)
    client.post(reverse("dunning:run_action", args=[run.pk]),
                {"verb": "exclude_letter", "letter": bravo.pk, "reason": "Key account"})
    assert Letter.objects.get(pk=bravo.pk).status == LetterStatus.EXCLUDED

    client.force_login(boss)
    assert "Approve run" in client.get(run_url).content.decode()
    client.post(reverse("dunning:run_action", args=[run.pk]), {"verb": "approve"})
    sent = client.post(reverse("dunning:run_action", args=[run.pk]), {"verb": "send"})
    job = JobRun.objects.get(kind="dunning.send")
    assert sent.url == reverse("jobs:detail", args=[job.pk])
    assert "Queued" in client.get(sent.url).content.decode()

    work()

    progress = client.get(sent.url, headers={"HX-Request": "true"}).content.decode()
    assert "Done" in progress and "1 / 1" in progress and "hx-trigger" not in progress
    assert Run.objects.get(pk=run.pk).status == RunStatus.SENT
    assert len(smtp.messages) == 1


def test_the_letter_page_previews_and_the_archive_downloads_the_pdf(client, story, boss, smtp):  # type: ignore[no-untyped-def]
    from incasso.dunning.actions.proposal import propose_run
    from incasso.dunning.actions.review import approve_run
    from incasso.dunning.actions.sending import send_run
    from incasso.dunning.tests.conftest import AS_OF

    run = propose_run(AS_OF, by=story.as_(story.lead))
    letter = run.letters.get(customer=story.acme)
    client.force_login(story.lead)
    preview = client.get(reverse("dunning:letter", args=[letter.pk])).content.decode()
    assert "Rappel de paiement" in preview and "F-3" in preview
    assert client.get(reverse("dunning:letter_pdf", args=[letter.pk])).content.startswith(b"%PDF")

    approve_run(run.pk, by=story.as_(boss))
    send_run(run.pk, by=story.as_(boss))
    archive = client.get(reverse("dunning:archive"), {"q": "acme"}).content.decode()
    assert "Acme SARL" in archive and "Bravo" not in archive
    pdf = client.get(reverse("dunning:letter_pdf", args=[letter.pk]), {"download": 1})
    assert pdf["Content-Disposition"].startswith("attachment") and pdf.content == bytes(
        Letter.objects.get(pk=letter.pk).pdf)
    panel = client.get(reverse("dunning:customer_panel", args=[story.acme.pk])).content.decode()
    assert "level 1" in panel


def test_procedures_are_edited_by_a_team_leader_and_read_only_for_a_controller(client, story):  # type: ignore[no-untyped-def]
    from incasso.dunning.actions.procedures import seed_procedure

    procedure = seed_procedure(story.entity, by=SYSTEM)
    level = procedure.levels.get(number=1)
    client.force_login(story.lead)
    client.post(reverse("dunning:procedures"), {"level": level.pk, "days": "14", "basis": "due", "min_amount": "25",
                                                "min_share_percent": "0", "channel": "both", "tone": "polite",
                                                "fee": "0"})
    level = Level.objects.get(pk=level.pk)
    assert (level.days, level.channel) == (14, "both")
    controller = create_user_with_roles("cora", "pw", [Role.CONTROLLER], by=SYSTEM)
    client.force_login(controller)
    page = client.get(reverse("dunning:procedures")).content.decode()
    assert "Days past the due date" in page and 'name="days"' not in page
    assert client.post(reverse("dunning:procedures"), {"level": level.pk, "days": "1"}).status_code == 403


def test_a_collector_does_not_see_runs(client, story):  # type: ignore[no-untyped-def]
    client.force_login(story.clerk)
    assert client.get(reverse("dunning:runs")).status_code == 403


def test_an_administrator_previews_and_saves_a_letter_text_in_the_sandbox(client, story):  # type: ignore[no-untyped-def]
    from incasso.dunning.actions.proposal import propose_run
    from incasso.dunning.models import LetterTemplate
    from incasso.dunning.tests.conftest import AS_OF

    propose_run(AS_OF, by=story.as_(story.lead))
    admin = create_user_with_roles("ada", "pw", [Role.ADMIN], by=SYSTEM)
    client.force_login(admin)
    url = reverse("dunning:letter_texts") + "?tone=polite&language=fr"
    bad = client.post(url, {"subject": "Relance", "body": "{{ total.__class__ }}", "verb": "preview"})
    assert "body, line" in bad.content.decode() and not LetterTemplate.objects.exists()
    preview = client.post(url, {"subject": "Relance {{ customer }}", "body": "<p>Merci de payer {{ total }}.</p>",
                                "verb": "preview"}).content.decode()
    assert "Merci de payer 1\u202f750,00\xa0€" in preview
    client.post(url, {"subject": "Relance {{ customer }}", "body": "<p>Merci de payer {{ total }}.</p>",
                      "verb": "save"})
    assert LetterTemplate.objects.get(tone="polite", language="fr").subject == "Relance {{ customer }}"
    client.force_login(story.lead)
    assert client.get(url).status_code == 403
