"""The demo's database steps around the daily cycle, each through the owning app's action (so every
change has its audit event), and each a no-op when the demo is built again:

* ``prepare``: before the cycle, the ERP extract and the entities' bank accounts (the cycle finds
  them unchanged; plans need the items, the mapping its account) and the saved column mapping
  that reads the CSV export in ``bank_csv/<mapping>/``.
* ``set_targets``: the monthly cash targets of ``cash_targets.csv`` (only those missing or changed).
* ``demo_plans``: before the cycle, payment plans in their typical states: an active plan whose
  first instalment the bank statements pay, one that the cycle's judgement breaks (nothing paid
  since it was agreed), two waiting for the risk approver. Skipped when any plan exists.
* ``demo_api_token``: a personal API token for the controller, printed once when created.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command

from incasso.accounts.models import ApiToken
from incasso.accounts.tokens import create_api_token
from incasso.audit.events import Actor
from incasso.cashapp.actions.mappings import save_mapping
from incasso.cashapp.models import BankFileMapping
from incasso.collections.actions.plans import MAX_INSTALMENTS as MAX_PLAN_INSTALMENTS
from incasso.collections.actions.plans import PlanTerms, activate_plan, approve_plan, propose_plan
from incasso.collections.choices import PlanFrequency
from incasso.collections.models import PaymentPlan, PlanItem
from incasso.demo.generator.extras import CSV_MAPPING, csv_account_iban, paid_in_statements
from incasso.ledger.actions.bank_accounts import register_bank_accounts
from incasso.ledger.choices import ItemKind
from incasso.ledger.models import Customer, EntityBankAccount, Item, LegalEntity
from incasso.operations.daily import ERP_EXTRACTS
from incasso.reports.models import CashTarget
from incasso.reports.targets import set_cash_target

RISK_APPROVER = "sorin"
API_USER, API_TOKEN_NAME = "paul", "demo"


def prepare(out: Path, as_of: date, *, by: Actor) -> None:
    """The ERP extract and the bank accounts in (the cycle finds them unchanged), the CSV mapping saved."""
    for kind in ERP_EXTRACTS:
        call_command("import", kind, str(out / f"{kind}.csv"), as_of=as_of, stdout=StringIO(), stderr=StringIO())
    register_bank_accounts(out / "entity_bank_accounts.csv", by=by)
    account = EntityBankAccount.objects.get(iban=csv_account_iban())
    values = {**CSV_MAPPING, "bank_account": account}
    existing = BankFileMapping.objects.filter(name=CSV_MAPPING["name"]).first()
    if existing is None:
        save_mapping(values, by=by)
    elif any(str(getattr(existing, k) if k != "bank_account" else existing.bank_account) != str(v)
             for k, v in values.items()):
        save_mapping(values, by=by, mapping_id=existing.pk)


def set_targets(out: Path, *, by: Actor) -> int:
    """Set the targets of ``cash_targets.csv`` that are missing or different; return how many the file has."""
    entities = {entity.code: entity for entity in LegalEntity.objects.all()}
    current = {(t.entity_id, t.currency, t.month): t.amount
               for t in CashTarget.objects.filter(collector__isnull=True)}
    count = 0
    with open(out / "cash_targets.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            entity, month, amount = entities[row["entity"]], date.fromisoformat(row["month"]), Decimal(row["amount"])
            count += 1
            if current.get((entity.pk, row["currency"], month)) != amount:
                set_cash_target(entity.pk, row["currency"], month, amount, by=by)
    return count


@dataclass(frozen=True)
class PlansMade:
    created: int
    skipped: bool


def _partial_payments(out: Path) -> list[tuple[str, str, Decimal, date]]:
    """(entity, invoice number, amount paid, day paid) of the statements' part payments of one invoice."""
    found = []
    with open(out / "bank_truth.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["noise_class"] != "partial":
                continue
            entity_number, amount = row["items"].split("=")
            entity, number = entity_number.split("/", 1)
            day = datetime.strptime(Path(row["file"]).stem.rsplit("_", 1)[1], "%Y%m%d").date()  # noqa: DTZ007
            found.append((entity, number, Decimal(amount), day))
    return found


def _overdue_customers(as_of: date, paid: set[tuple[str, str]], taken: set[int]) -> list[tuple[Customer, list[Item]]]:
    """Accounts with a collector and two or more invoices over 30 days overdue that no statement
    pays, in a stable order (entity, account), with their three oldest such invoices."""
    items: dict[int, list[Item]] = {}
    for item in (Item.objects.filter(kind=ItemKind.INVOICE, open_amount__gt=0, due_date__lt=as_of - timedelta(days=30),
                                     customer__collector__isnull=False)
                 .exclude(customer_id__in=taken).select_related("customer__entity", "customer__collector")
                 .order_by("customer__entity__code", "customer__account", "due_date", "number")):
        if item.currency == item.customer.currency and (item.customer.entity.code, item.number) not in paid:
            items.setdefault(item.customer_id, []).append(item)
    return [(found[0].customer, found[:3]) for found in items.values() if len(found) >= 2]


def demo_plans(out: Path, as_of: date, extract_date: date) -> PlansMade:
    """Before the daily cycle (which judges them): plans in each state the risk approver and the
    collectors see. Nothing when any plan exists."""
    if PaymentPlan.objects.exists():
        return PlansMade(0, skipped=True)
    approver = Actor.of(get_user_model().objects.get(username=RISK_APPROVER))
    created = 0
    taken: set[int] = set()

    # active, first instalment kept: agreed at the extract for an invoice the statements then pay in part;
    # as many monthly instalments as make the first one no more than that part payment
    for entity, number, paid, day in _partial_payments(out):
        item = (Item.objects.select_related("customer__collector")
                .filter(entity__code=entity, kind=ItemKind.INVOICE, number=number).first())
        if item is None or item.customer.collector is None or item.currency != item.customer.currency:
            continue
        count = math.ceil(item.open_amount / paid)
        if not 2 <= count <= MAX_PLAN_INSTALMENTS:
            continue
        collector = Actor.of(item.customer.collector)
        terms = PlanTerms(items=((item.pk, None),), instalment_count=count, frequency=PlanFrequency.MONTHLY,
                          first_due_date=day, note="Demo: agreed on the phone, first instalment by transfer")
        plan = propose_plan(item.customer_id, terms, proposed_on=extract_date, by=collector)
        approve_plan(plan.pk, on_date=extract_date, by=approver)
        activate_plan(plan.pk, on_date=extract_date, by=collector)
        taken.add(item.customer_id)
        created += 1
        break

    candidates = _overdue_customers(as_of, paid_in_statements(out), taken)
    # broken: agreed six weeks ago, first instalment four weeks ago, nothing paid since
    if candidates:
        customer, items = candidates[0]
        agreed = as_of - timedelta(days=42)
        terms = PlanTerms(items=tuple((i.pk, None) for i in items), instalment_count=3,
                          frequency=PlanFrequency.MONTHLY, first_due_date=as_of - timedelta(days=28),
                          note="Demo: three monthly instalments, the first never came")
        plan = propose_plan(customer.pk, terms, proposed_on=agreed, by=Actor.of(customer.collector))
        approve_plan(plan.pk, on_date=agreed, by=approver)
        activate_plan(plan.pk, on_date=agreed, by=Actor.of(customer.collector))
        created += 1
    # proposed today, waiting for the risk approver (the second with a down payment)
    for n, (customer, items) in enumerate(candidates[1:3]):
        total = sum((i.open_amount for i in items), Decimal(0))
        down = (total / 10).quantize(Decimal("1")) if n == 1 else Decimal(0)
        terms = PlanTerms(items=tuple((i.pk, None) for i in items), instalment_count=4 + n,
                          frequency=PlanFrequency.MONTHLY, first_due_date=as_of + timedelta(days=14),
                          down_payment=down, down_payment_due=as_of + timedelta(days=7) if down else None,
                          note="Demo: the customer asks to pay over a few months")
        propose_plan(customer.pk, terms, proposed_on=as_of, by=Actor.of(customer.collector))
        created += 1
    return PlansMade(created, skipped=False)


def plan_items_count() -> int:
    return PlanItem.objects.filter(is_live=True).count()


def demo_api_token(*, by: Actor) -> tuple[str, str | None]:
    """(username, token): a token named 'demo' for the controller, created (and returned) only once."""
    user = get_user_model().objects.get(username=API_USER)
    if ApiToken.objects.filter(user=user, name=API_TOKEN_NAME, revoked_at__isnull=True).exists():
        return API_USER, None
    _token, raw = create_api_token(user, API_TOKEN_NAME, by=by)
    return API_USER, raw
