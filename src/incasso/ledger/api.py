"""REST endpoints of the ledger: customers (with balances per currency) and their items.

Lists are the customer list's queryset (``customers_visible_to`` + ``CustomerFilter``), so the API
and the screen show a collector the same accounts; single customers are checked with
``ledger.view_customer`` like the customer page.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Q
from ninja import Field, Query, Router, Schema

from incasso.accounts.api import (
    ERRORS,
    ApiError,
    ObjectId,
    PageOut,
    PageQuery,
    check_filters,
    not_found,
    page_body,
    page_of,
)
from incasso.core.money import quantize
from incasso.ledger.choices import CREDIT_KINDS, ItemKind, RiskClass
from incasso.ledger.filters import CustomerFilter
from incasso.ledger.models import Contact, Customer, Item
from incasso.ledger.portfolio import balances_by_currency, customers_visible_to, entity_todays, with_balances

router = Router(tags=["customers"])

CustomerSort = Literal["account", "-account", "name", "-name", "entity", "-entity", "balance", "-balance",
                       "overdue", "-overdue", "oldest_due", "-oldest_due"]


class CurrencyBalanceOut(Schema):
    currency: str
    open: Decimal = Field(description="signed open amount: debits less open credits")
    overdue: Decimal
    not_due: Decimal
    credits: Decimal = Field(description="open credit items (unapplied cash, credit notes)")
    items: int = Field(description="open items in this currency")


class CustomerOut(Schema):
    id: int
    account: str
    name: str
    entity: str = Field(description="legal entity code")
    currency: str = Field(description="account currency")
    collector: str | None = Field(description="username of the collector, null when unassigned")
    segment: str
    country: str
    risk_class: str
    dunning_block: bool
    legal: bool
    insolvency: bool
    balance: Decimal = Field(description="open balance in the account currency")
    overdue: Decimal = Field(description="overdue balance in the account currency")
    oldest_due_date: date | None
    balances: list[CurrencyBalanceOut]


class ContactOut(Schema):
    id: int
    purpose: str
    name: str
    email: str
    phone: str
    language: str


class CustomerDetailOut(CustomerOut):
    vat_id: str
    email: str
    phone: str
    language: str
    payment_terms_days: int
    credit_limit: Decimal
    dunning_block_reason: str
    dunning_block_until: date | None
    contacts: list[ContactOut]


class CustomerPageOut(PageOut):
    results: list[CustomerOut]


class CustomerQuery(Schema):
    q: str | None = Field(None, description="account, name or VAT id contains")
    entity: ObjectId | None = Field(None, description="legal entity id")
    collector: ObjectId | None = Field(None, description="collector user id")
    segment: str | None = None
    country: str | None = None
    risk_class: RiskClass | None = None
    dunning_block: bool | None = None
    legal: bool | None = None
    insolvency: bool | None = None
    has_overdue: bool | None = None
    sort: CustomerSort = "account"


class ItemOut(Schema):
    id: int
    customer_id: int
    entity: str
    kind: str
    number: str
    document_date: date
    due_date: date
    currency: str
    amount: Decimal
    open_amount: Decimal
    signed_open_amount: Decimal = Field(description="open amount, negative for credit items")
    days_past_due: int = Field(description="days after the due date in the entity's today (negative: not due)")
    reference: str
    text: str


class ItemPageOut(PageOut):
    results: list[ItemOut]


class ItemQuery(Schema):
    customer: ObjectId | None = Field(None, description="customer id")
    status: Literal["open", "cleared", "all"] = "open"
    overdue: bool | None = Field(None, description="true: due before the entity's today; false: not yet due")
    kind: ItemKind | None = None
    currency: str | None = Field(None, pattern="^[A-Z]{3}$", description="ISO code")


def _filter_data(query: CustomerQuery) -> dict[str, str]:
    data: dict[str, str] = {}
    for name, value in query.dict().items():
        if value is None:
            continue
        data[name] = ("1" if value else "0") if isinstance(value, bool) else str(value)
    return data


def _quantized(balances: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # SQLite's SUM drops the scale of decimals: quantize at the edge so both engines answer 300.00.
    money = ("open", "overdue", "not_due", "credits")
    return [{**row, **{k: quantize(row[k], row["currency"]) for k in money}} for row in balances]


def _customer_row(customer: Customer, balances: list[dict[str, Any]]) -> dict[str, Any]:
    currency = customer.currency
    return {
        "id": customer.pk, "account": customer.account, "name": customer.name, "entity": customer.entity.code,
        "currency": customer.currency,
        "collector": customer.collector.get_username() if customer.collector_id else None,
        "segment": customer.segment, "country": customer.country, "risk_class": customer.risk_class,
        "dunning_block": customer.dunning_block, "legal": customer.legal, "insolvency": customer.insolvency,
        "balance": quantize(customer.balance, currency), "overdue": quantize(customer.overdue, currency),
        "oldest_due_date": customer.oldest_due_date, "balances": _quantized(balances),
    }


@router.get("/customers", response={200: CustomerPageOut, **ERRORS}, summary="Customer accounts you may see")
def customer_list(request: Any, filters: Query[CustomerQuery], paging: Query[PageQuery]) -> dict[str, Any]:
    todays = entity_todays()
    customers = with_balances(customers_visible_to(request.user), todays).select_related("entity", "collector")
    customer_filter = CustomerFilter(_filter_data(filters), queryset=customers, request=request)
    check_filters(customer_filter)
    count, rows = page_of(customer_filter.qs, paging)
    balances = balances_by_currency([c.pk for c in rows], todays)
    return page_body(count, paging, [_customer_row(c, balances.get(c.pk, [])) for c in rows])


def visible_customer(request: Any, customer_id: ObjectId, *, permission: str = "ledger.view_customer") -> Customer:
    """The customer, if the user may see it (404 otherwise, as for an unknown id: no existence leak)."""
    customer = Customer.objects.select_related("entity", "collector").filter(pk=customer_id).first()
    if customer is None or not request.user.has_perm("ledger.view_customer", customer):
        raise not_found(f"customer {customer_id}")
    if permission != "ledger.view_customer" and not request.user.has_perm(permission, customer):
        raise ApiError("not_allowed", "your role reads this customer account but does not change it")
    return customer


@router.get("/customers/{customer_id}", response={200: CustomerDetailOut, **ERRORS},
            summary="One customer account with balances per currency and contacts")
def customer_detail(request: Any, customer_id: ObjectId) -> dict[str, Any]:
    visible_customer(request, customer_id)
    todays = entity_todays()
    customer = with_balances(Customer.objects.filter(pk=customer_id), todays).select_related(
        "entity", "collector").get()
    row = _customer_row(customer, balances_by_currency([customer.pk], todays).get(customer.pk, []))
    row.update({
        "vat_id": customer.vat_id, "email": customer.email, "phone": customer.phone, "language": customer.language,
        "payment_terms_days": customer.payment_terms_days, "credit_limit": customer.credit_limit,
        "dunning_block_reason": customer.dunning_block_reason, "dunning_block_until": customer.dunning_block_until,
        "contacts": list(Contact.objects.filter(customer=customer).order_by("purpose", "name")),
    })
    return row


def _overdue_condition(todays: dict[int, date]) -> Q:
    condition = Q(pk__in=[])
    for entity_id, today in todays.items():
        condition |= Q(entity_id=entity_id, due_date__lt=today)
    return condition


@router.get("/items", response={200: ItemPageOut, **ERRORS}, summary="Items of the customers you may see")
def item_list(request: Any, filters: Query[ItemQuery], paging: Query[PageQuery]) -> dict[str, Any]:
    todays = entity_todays()
    if filters.customer is not None:
        visible_customer(request, filters.customer)
        items = Item.objects.filter(customer_id=filters.customer)
    else:
        items = Item.objects.filter(customer__in=customers_visible_to(request.user))
    if filters.status == "open":
        items = items.exclude(open_amount=0)
    elif filters.status == "cleared":
        items = items.filter(open_amount=0)
    if filters.overdue is not None:
        items = items.filter(_overdue_condition(todays)) if filters.overdue else items.exclude(
            _overdue_condition(todays))
    if filters.kind:
        items = items.filter(kind=filters.kind)
    if filters.currency:
        items = items.filter(currency=filters.currency)
    count, rows = page_of(items.select_related("entity").order_by("due_date", "id"), paging)
    return page_body(count, paging, [item_row(item, todays) for item in rows])


def item_row(item: Item, todays: dict[int, date]) -> dict[str, Any]:
    today = todays.get(item.entity_id)
    credit = item.kind in CREDIT_KINDS
    return {
        "id": item.pk, "customer_id": item.customer_id, "entity": item.entity.code, "kind": item.kind,
        "number": item.number, "document_date": item.document_date, "due_date": item.due_date,
        "currency": item.currency, "amount": item.amount, "open_amount": item.open_amount,
        "signed_open_amount": -item.open_amount if credit else item.open_amount,
        "days_past_due": (today - item.due_date).days if today else 0,
        "reference": item.reference, "text": item.text,
    }
