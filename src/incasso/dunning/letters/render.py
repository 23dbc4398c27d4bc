"""Rendering a dunning letter: a plain context (strings formatted with Babel in the letter's
language), the subject and body texts in a Jinja2 sandbox, the fixed layout, then PDF by WeasyPrint.

Why the Jinja2 ``SandboxedEnvironment``: administrators edit the texts in the browser, so a text may
only read the plain values it is given. The sandbox refuses attribute access to internals
(``__class__``, ``mro``...), there are no custom tags or filters that reach the database, and the
context holds strings and dicts only (never a model instance), so nothing can be called that
changes anything. Autoescaping is on: a customer called ``<b>Acme</b>`` prints as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from incasso.dunning.errors import DunningError, DunningErrorCode
from incasso.dunning.letters.texts import BODIES, CONTACT_FALLBACK, LABELS, SUBJECTS
from incasso.dunning.models import Letter, LetterTemplate

PAYMENT_DAYS = 10  # the deadline the letter gives: its date + 10 days
LOCALES = {"en": "en_GB", "fr": "fr_FR", "es": "es_ES", "de": "de_DE", "it": "it_IT", "ro": "ro_RO", "pt": "pt_PT"}
_LAYOUT = (Path(__file__).parent / "layout.html").read_text(encoding="utf-8")

_sandbox = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
_layout = _sandbox.from_string(_LAYOUT)


@dataclass(frozen=True)
class RenderedLetter:
    subject: str
    html: str


def texts_for(tone: str, language: str) -> tuple[str, str]:
    """(subject, body) sources: the administrator's template if there is one, else the built-in."""
    custom = LetterTemplate.objects.filter(tone=tone, language=language).first()
    if custom is not None:
        return custom.subject, custom.body
    return SUBJECTS[language][tone], BODIES[language][tone]


def check_template(subject: str, body: str) -> None:
    """Refuse a text that does not compile or uses a variable the letters do not provide."""
    sample = {name: "x" for name in ("customer", "entity", "total", "deadline", "reference", "iban",
                                     "interest_total", "compensation_total", "fee", "legal_basis", "contact")}
    for field, source in (("subject", subject), ("body", body)):
        try:
            _sandbox.from_string(source).render(sample)
        except TemplateError as error:
            raise DunningError(DunningErrorCode.BAD_TEMPLATE,
                               f"{field}, line {getattr(error, 'lineno', '?')}: {error}") from None


def _money(amount: Any, currency: str, locale: str) -> str:
    return format_currency(amount, currency, locale=locale)


def letter_context(letter: Letter) -> dict[str, Any]:
    language = letter.language if letter.language in LOCALES else "en"
    locale = LOCALES[language]
    customer, entity = letter.customer, letter.customer.entity
    account = next((a for a in entity.bank_accounts.all() if a.currency == letter.currency), None) \
        or next(iter(entity.bank_accounts.all()), None)
    as_of = letter.run.as_of

    def day(value: date) -> str:
        return format_date(value, format="medium", locale=locale)

    lines = []
    bases = set()
    for line in letter.lines.all():
        if line.excluded:
            continue
        earlier = sorted((int(k), v) for k, v in line.level_dates.items())
        note = ""
        if line.interest and line.interest_rate is not None:
            note = (f"{LABELS[language]['rate']} {format_decimal(line.interest_rate, locale=locale)} %, "
                    f"{LABELS[language]['period']} {day(line.interest_from)} – {day(line.interest_to)}")
        if line.legal_basis:
            bases.add(line.legal_basis)
        lines.append({
            "number": line.item.number, "due_date": day(line.item.due_date), "days": str(line.days_past_due),
            "open": _money(line.open_amount, letter.currency, locale),
            "disputed": _money(line.disputed_amount, letter.currency, locale) if line.disputed_amount else "–",
            "amount_due": _money(line.amount_due, letter.currency, locale),
            "levels": ", ".join(f"{lv}: {day(date.fromisoformat(d))}" for lv, d in earlier) or "–",
            "interest": _money(line.interest, letter.currency, locale), "interest_note": note,
        })
    contact = letter.contact.name if letter.contact and letter.contact.name else CONTACT_FALLBACK[language]
    return {
        "language": language, "labels": LABELS[language], "lines": lines,
        "entity": {"name": entity.name, "address": entity.address, "vat_id": entity.vat_id, "email": entity.email,
                   "phone": entity.phone},
        "customer": {"name": customer.name, "account": customer.account},
        "letter_date": day(as_of), "deadline": day(as_of + timedelta(days=PAYMENT_DAYS)),
        "items_total": _money(letter.items_total, letter.currency, locale),
        "interest_total": _money(letter.interest_total, letter.currency, locale),
        "compensation_total": _money(letter.compensation_total, letter.currency, locale),
        "fee": _money(letter.fee, letter.currency, locale), "total": _money(letter.total, letter.currency, locale),
        "has_interest": letter.interest_total > 0, "has_compensation": letter.compensation_total > 0,
        "has_fee": letter.fee > 0, "legal_basis": "; ".join(sorted(bases)),
        "iban": account.iban if account else "", "bic": account.bic if account else "",
        "reference": letter.payment_reference, "contact": contact,
    }


def render_letter(letter: Letter, *, subject_source: str | None = None, body_source: str | None = None
                  ) -> RenderedLetter:
    """The letter's subject and full HTML; the sources default to the tone and language's texts."""
    context = letter_context(letter)
    if subject_source is None or body_source is None:
        default_subject, default_body = texts_for(letter.tone, context["language"])
        subject_source = subject_source if subject_source is not None else default_subject
        body_source = body_source if body_source is not None else default_body
    plain = {key: context[key] for key in ("total", "deadline", "reference", "iban", "interest_total",
                                           "compensation_total", "fee", "legal_basis", "contact")}
    plain.update(customer=context["customer"]["name"], entity=context["entity"]["name"])
    try:
        subject = _sandbox.from_string(subject_source).render(plain).strip()
        body = _sandbox.from_string(body_source).render(plain)
    except TemplateError as error:
        raise DunningError(DunningErrorCode.BAD_TEMPLATE, f"letter template ({letter.tone}, "
                           f"{context['language']}), line {getattr(error, 'lineno', '?')}: {error}") from None
    # The body was rendered with autoescaping on: its variables are escaped, its own markup is kept.
    html = _layout.render(context | {"subject": subject, "body": Markup(body)})  # noqa: S704
    return RenderedLetter(subject, html)


def pdf_of(html: str) -> bytes:
    from weasyprint import HTML  # imported late: loading pango takes a moment

    return HTML(string=html).write_pdf()
