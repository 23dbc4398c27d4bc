"""Customer e-mails composed from templates in the contact's language and sent over SMTP.

``compose_email`` renders ``collections/email/<language>/<template>.txt`` (first line ``Subject:``)
for a preview; ``send_email`` renders the same text, sends it through Django's configured e-mail
backend (SMTP in production) and keeps the sent copy with the activity it creates. The message is
sent before anything is written: if the server refuses it, no contact is logged as sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record
from incasso.collections.actions.activities import _after_contact
from incasso.collections.choices import EMAIL_LANGUAGES, ActivityKind, EmailTemplate, Outcome
from incasso.collections.errors import CollectionsError, CollectionsErrorCode
from incasso.collections.models import Activity, Promise, SentEmail
from incasso.core.money import ZERO
from incasso.ledger.choices import CREDIT_KINDS, ContactPurpose
from incasso.ledger.models import Contact, Customer, Item


@dataclass(frozen=True)
class ComposedEmail:
    template: str
    language: str
    to: tuple[str, ...]
    subject: str
    body: str


def _language(code: str) -> str:
    code = (code or "en").split("-")[0].lower()
    return code if code in EMAIL_LANGUAGES else "en"


def recipient_for(customer: Customer, contact_id: int | None) -> tuple[Contact | None, str]:
    """The chosen contact, else the reminders contact, else the account's own address."""
    contacts = Contact.objects.filter(customer=customer).exclude(email="")
    contact = contacts.filter(pk=contact_id).first() if contact_id else (
        contacts.filter(purpose=ContactPurpose.REMINDERS).first() or contacts.first())
    if contact_id and contact is None:
        raise CollectionsError(CollectionsErrorCode.NO_RECIPIENT, f"contact {contact_id} has no e-mail address on "
                               f"{customer.account}")
    address = contact.email if contact else customer.email
    if not address:
        raise CollectionsError(CollectionsErrorCode.NO_RECIPIENT,
                               f"{customer.account} has no contact with an e-mail address: add one first")
    return contact, address


def compose_email(customer_id: int, *, template: EmailTemplate | str, as_of: date, contact_id: int | None = None,
                  item_ids: tuple[int, ...] = (), sender_name: str = "") -> ComposedEmail:
    customer = Customer.objects.select_related("entity").get(pk=customer_id)
    template = EmailTemplate(template)
    contact, address = recipient_for(customer, contact_id)
    language = _language(contact.language if contact else customer.language)
    items = Item.objects.filter(customer=customer).exclude(open_amount=0).exclude(kind__in=list(CREDIT_KINDS))
    items = items.filter(pk__in=item_ids) if item_ids else items.filter(due_date__lt=as_of)
    items = list(items.order_by("due_date", "number"))
    promise = Promise.objects.filter(customer=customer, status="open").order_by("-id").first()
    with translation.override(language):
        text = render_to_string(f"collections/email/{language}/{template.value}.txt", {
            "customer": customer, "entity": customer.entity, "contact": contact, "items": items,
            "total": sum((i.open_amount for i in items), ZERO), "currency": customer.currency, "as_of": as_of,
            "promise": promise, "sender": sender_name or customer.entity.name,
        })
    first, _, body = text.strip().partition("\n")
    subject = first.removeprefix("Subject:").strip()
    return ComposedEmail(template.value, language, (address,), subject, body.strip() + "\n")


def send_email(customer_id: int, *, template: EmailTemplate | str, as_of: date, by: Actor,
               contact_id: int | None = None, item_ids: tuple[int, ...] = (),
               follow_up_on: date | None = None) -> SentEmail:
    """Send a templated e-mail to the customer, log it as a contact and keep the sent copy."""
    sender_name = (by.user.get_full_name() or by.user.get_username()) if by.user else ""
    composed = compose_email(customer_id, template=template, as_of=as_of, contact_id=contact_id,
                             item_ids=item_ids, sender_name=sender_name)
    contact, _address = recipient_for(Customer.objects.get(pk=customer_id), contact_id)
    message_id = make_msgid(domain="incasso.local")
    message = EmailMessage(composed.subject, composed.body, settings.DEFAULT_FROM_EMAIL, list(composed.to),
                           headers={"Message-ID": message_id, "Content-Language": composed.language})
    message.send(fail_silently=False)
    with transaction.atomic():
        activity = Activity.objects.create(
            customer_id=customer_id, kind=ActivityKind.EMAIL, outcome=Outcome.SENT,
            contact=contact, note=composed.subject, occurred_on=as_of, follow_up_on=follow_up_on,
            created_by=by.user,
        )
        if item_ids:
            activity.items.set(item_ids)
        sent = SentEmail.objects.create(
            activity=activity, template=composed.template, language=composed.language,
            from_address=settings.DEFAULT_FROM_EMAIL, to=", ".join(composed.to), subject=composed.subject,
            body=composed.body, message_id=message_id, sent_at=timezone.now(),
        )
        record(EventKind.EMAIL_SENT, actor=by, subject_type="activity", subject_id=activity.pk, customer_id=customer_id,
               message=f"{composed.subject} → {', '.join(composed.to)} ({composed.language.upper()})",
               after={"template": composed.template, "language": composed.language, "message_id": message_id})
        _after_contact(customer_id, as_of, follow_up_on, by=by)
    return sent
