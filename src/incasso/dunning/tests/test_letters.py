"""Letters in seven languages and three tones, local formats, the sandbox for administrators' texts."""

from __future__ import annotations

import pytest

from incasso.dunning.actions.proposal import propose_run
from incasso.dunning.choices import LANGUAGES
from incasso.dunning.errors import DunningError
from incasso.dunning.letters.render import check_template, pdf_of, render_letter
from incasso.dunning.letters.texts import BODIES, LABELS, SUBJECTS
from incasso.dunning.models import Letter, LetterTemplate
from incasso.dunning.tests.conftest import AS_OF

pytestmark = pytest.mark.django_db

EXPECTED = {  # the subject's start and the amount 1,750.00 EUR as the language writes it
    "en": ("Payment reminder", "€1,750.00"), "fr": ("Rappel de paiement", "1\u202f750,00\xa0€"),
    "es": ("Recordatorio de pago", "1.750,00\xa0€"), "de": ("Zahlungserinnerung", "1.750,00\xa0€"),
    "it": ("Promemoria di pagamento", "1.750,00\xa0€"), "ro": ("Reamintire de plată", "1.750,00\xa0EUR"),
    "pt": ("Lembrete de pagamento", "1\xa0750,00\xa0€"),
}


def test_every_language_has_all_three_tones_and_every_label():
    assert set(SUBJECTS) == set(BODIES) == set(LABELS) == set(LANGUAGES)
    for language in LANGUAGES:
        assert set(SUBJECTS[language]) == set(BODIES[language]) == {"polite", "firm", "formal"}
        assert set(LABELS[language]) == set(LABELS["en"])
        # the formal notice states interest, compensation and the legal basis
        assert all(name in BODIES[language]["formal"] for name in ("interest_total", "compensation_total",
                                                                   "legal_basis"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_first_reminder_in_each_language_with_local_money_and_dates(story, language):  # type: ignore[no-untyped-def]
    run = propose_run(AS_OF, by=story.as_(story.clerk))
    letter = Letter.objects.get(run=run, customer=story.acme)
    letter.language = language
    rendered = render_letter(letter)
    subject_start, amount = EXPECTED[language]
    assert rendered.subject.startswith(subject_start)
    assert amount in rendered.html
    assert f'lang="{language}"' in rendered.html
    assert letter.payment_reference in rendered.html


def test_the_pdf_is_a_pdf(story):  # type: ignore[no-untyped-def]
    run = propose_run(AS_OF, by=story.as_(story.clerk))
    html = render_letter(Letter.objects.get(run=run, customer=story.acme)).html
    assert pdf_of(html)[:5] == b"%PDF-"


def test_an_administrators_text_replaces_the_built_in_one_and_escapes_values(story):  # type: ignore[no-untyped-def]
    story.acme.name = "<b>Acme</b>"
    story.acme.save()
    LetterTemplate.objects.create(tone="polite", language="fr", subject="Relance {{ customer }}",
                                  body="<p>Bonjour, merci de payer {{ total }} avant le {{ deadline }}.</p>")
    run = propose_run(AS_OF, by=story.as_(story.clerk))
    rendered = render_letter(Letter.objects.get(run=run, customer=story.acme))
    assert "<p>Bonjour, merci de payer 1\u202f750,00\xa0€ avant le 10 avr. 2026.</p>" in rendered.html
    assert "&lt;b&gt;Acme&lt;/b&gt;" in rendered.html and "<b>Acme</b>" not in rendered.html


@pytest.mark.parametrize("body", [
    "{{ total.__class__.__mro__ }}",  # reaching Python internals
    "{{ unknown_variable }}",  # a typo is an error, not a blank in a customer letter
    "{% if %}",  # does not compile
])
def test_the_sandbox_refuses_unsafe_or_broken_texts(body):  # type: ignore[no-untyped-def]
    with pytest.raises(DunningError, match="body"):
        check_template("Subject", body)
