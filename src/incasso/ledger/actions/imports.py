"""Importing an ERP extract: legal entities, customer accounts, contacts or open items.

One file is one transaction: the whole file is read and checked first, and if any row is rejected
nothing is written and every rejected row is reported as ``FILE:LINE: column COLUMN: reason``.
Rows are upserted on their natural keys (entity code; entity + account; customer + purpose +
email; entity + kind + number), so importing the same file twice changes nothing.

Open amounts of items come from the ERP as *clearings*, never by overwriting ``open_amount``:

* the ERP has cleared ``C = amount - erp_open`` of the item;
* Incasso's own live allocations on the item (cash application, manual) sum to ``I``;
* the live ERP allocations should then sum to ``E' = max(0, C - I)``, so what Incasso already
  applied and the ERP has since booked is not counted twice;
* when the live ERP sum ``E`` differs from ``E'``, the live ERP allocations are reversed (dated the
  import's as-of date; rows are never deleted) and one new ERP allocation of ``E'`` is made (when it
  is above zero), carrying only the item's side;
* ``open_amount = amount - E' - I``.

Audit: entities, customers and contacts get one created/updated event per row; items get one
``item.updated`` event (before/after) per changed item, while item *creations* are summarised in
the file's ``import.completed`` event, which also carries the counts (a million ``item.created``
rows would double the import's cost and say nothing the ImportBatch does not).

Items are written with bulk SQL (``ledger.importers.sql``): COPY on PostgreSQL, executemany on
SQLite, so a million-row extract imports in seconds, not hours.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, build, record, record_many
from incasso.core.calendar import local_date
from incasso.core.erp_rows import (
    CANONICAL,
    CREDIT_ITEM_KINDS,
    ContactRow,
    CustomerRow,
    EntityRow,
    ItemRow,
    Mapping,
    RowError,
    parse_contacts,
    parse_customers,
    parse_entities,
    parse_items,
    resolve_header,
)
from incasso.ledger.choices import AllocationSource
from incasso.ledger.importers.readers import FileFormatError, Table, read_table
from incasso.ledger.importers.sql import insert_rows, lock_for_import, reserve_ids, update_rows
from incasso.ledger.models import Contact, Customer, CustomerGroup, CustomerIban, ImportBatch, LegalEntity

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)`` every few thousand rows (the CLI draws a bar)."""

KINDS = ("entities", "customers", "contacts", "items")
_PLANNED_SHOWN = 20  # how many created/updated keys a dry run lists


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    kind: str
    file_name: str
    detail: str = ""
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    allocations_created: int = 0
    allocations_reversed: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)
    batch_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def plan(self, verb: str, what: str) -> None:
        if len(self.planned) < _PLANNED_SHOWN:
            self.planned.append(f"{verb} {what}")


class _Rejected(Exception):
    """Raised inside the transaction to roll it back when rows were rejected."""


def import_erp_file(
    kind: str,
    path: str | Path,
    *,
    by: Actor,
    dry_run: bool = False,
    mapping: Mapping | None = None,
    file_format: str | None = None,
    as_of: date | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import one ERP extract of ``kind`` (entities, customers, contacts or items), all or nothing.

    ``as_of`` dates the ERP allocations and reversals the import makes; by default it is each legal
    entity's local today, from one clock reading.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown extract kind {kind!r} (one of {', '.join(KINDS)})")
    started = time.perf_counter()
    path = Path(path)
    report = ImportReport(kind=kind, file_name=path.name, dry_run=dry_run)
    try:
        table = read_table(path, file_format)
    except FileFormatError as exc:
        report.errors.append(str(exc))
        return report
    report.detail = table.detail
    mapping = mapping or CANONICAL
    layout, header_errors = resolve_header(kind, table.header, mapping)
    if header_errors:
        report.errors = [error.format(table.name) for error in header_errors]
        return report
    rows = _counted(table.rows, progress, "checking", table.row_count)
    parsers = {"entities": parse_entities, "customers": parse_customers, "contacts": parse_contacts}
    if kind == "items":
        parsed, errors = parse_items(rows, layout, mapping)
    else:
        parsed, errors = parsers[kind](rows, layout)  # type: ignore[operator]
    report.rows = len(parsed) + len({error.line for error in errors})
    importer = {"entities": _import_entities, "customers": _import_customers,
                "contacts": _import_contacts, "items": _import_items}[kind]
    clock = timezone.now()
    try:
        with transaction.atomic():
            if not dry_run and kind == "items":
                lock_for_import("ledger_item", "ledger_allocation")
            importer(parsed, errors, report, by=by, clock=clock, as_of=as_of, dry_run=dry_run,
                     progress=progress, file_name=table.name)
            if errors:
                raise _Rejected
            if not dry_run:
                _record_batch(table, report, by=by, clock=clock)
            if dry_run:
                transaction.set_rollback(True)
    except _Rejected:
        report.errors = [error.format(table.name) for error in sorted(errors, key=lambda e: e.line)]
        report.created = report.updated = report.unchanged = 0
        report.allocations_created = report.allocations_reversed = 0
    report.seconds = time.perf_counter() - started
    return report


def _counted(rows: Iterable[tuple[int, list[str]]], progress: Progress | None, stage: str,
             total: int) -> Iterator[tuple[int, list[str]]]:
    if progress is None:
        yield from rows
        return
    done = 0
    for row in rows:
        yield row
        done += 1
        if not done & 8191:
            progress(stage, done, total)
    progress(stage, done, total)


def _record_batch(table: Table, report: ImportReport, *, by: Actor, clock) -> None:  # type: ignore[no-untyped-def]
    batch = ImportBatch.objects.create(
        kind=report.kind, file_name=table.name[:255], sha256=table.sha256, rows=report.rows,
        created=report.created, updated=report.updated, unchanged=report.unchanged, imported_by=by.user,
    )
    report.batch_id = batch.pk
    record(
        EventKind.IMPORT_COMPLETED, actor=by, subject_type="import", subject_id=batch.pk, at=clock,
        message=f"{report.kind} extract {table.name} imported: {report.created} created, "
                f"{report.updated} updated, {report.unchanged} unchanged",
        after={"file": table.name, "sha256": table.sha256, "format": table.detail, "rows": report.rows,
               "created": report.created, "updated": report.updated, "unchanged": report.unchanged,
               "allocations_created": report.allocations_created,
               "allocations_reversed": report.allocations_reversed},
    )


def _changes(current: dict[str, object], wanted: dict[str, object]) -> tuple[dict[str, object], dict[str, object]]:
    """The fields of ``wanted`` that differ from ``current``, as (before, after) JSON-friendly dicts."""
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    for name, value in wanted.items():
        if current.get(name) != value:
            before[name] = _json(current.get(name))
            after[name] = _json(value)
    return before, after


def _json(value: object) -> object:
    if isinstance(value, (Decimal, date)):
        return str(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return sorted(str(v) for v in value)
    return value


# -- legal entities ---------------------------------------------------------------------------------

def _import_entities(rows: list[EntityRow], errors: list[RowError], report: ImportReport, *, by: Actor,
                     dry_run: bool, clock, **_: object) -> None:  # type: ignore[no-untyped-def]
    existing = {entity.code: entity for entity in LegalEntity.objects.filter(code__in=[r.code for r in rows])}
    events = []
    for row in rows:
        wanted = {name: value for name, value in (
            ("name", row.name), ("country", row.country), ("currency", row.currency),
            ("timezone", row.timezone), ("language", row.language)) if value is not None}
        entity = existing.get(row.code)
        if entity is None:
            report.created += 1
            report.plan("create entity", row.code)
            if not dry_run:
                entity = LegalEntity.objects.create(
                    code=row.code, name=row.name, country=row.country, currency=row.currency,
                    timezone=row.timezone or "Europe/Brussels", language=row.language or "en",
                )
                events.append(build(EventKind.ENTITY_CREATED, actor=by, subject_type="entity", subject_id=entity.pk,
                                    at=clock, message=f"Legal entity {row.code} created from the ERP extract",
                                    after={k: _json(v) for k, v in wanted.items()}))
            continue
        before, after = _changes(vars(entity), wanted)
        if not after:
            report.unchanged += 1
            continue
        report.updated += 1
        report.plan("update entity", f"{row.code}: {', '.join(after)}")
        if not dry_run:
            for name in after:
                setattr(entity, name, wanted[name])
            entity.save(update_fields=list(after))
            events.append(build(EventKind.ENTITY_UPDATED, actor=by, subject_type="entity", subject_id=entity.pk,
                                at=clock, message=f"Legal entity {row.code} updated from the ERP extract",
                                before=before, after=after))
    record_many(events)


# -- customer accounts ------------------------------------------------------------------------------

def _entities_by_code(codes: Iterable[str]) -> dict[str, LegalEntity]:
    return {entity.code: entity for entity in LegalEntity.objects.filter(code__in=set(codes))}


def _import_customers(rows: list[CustomerRow], errors: list[RowError], report: ImportReport, *, by: Actor,
                      dry_run: bool, clock, **_: object) -> None:  # type: ignore[no-untyped-def]
    entities = _entities_by_code(r.entity for r in rows)
    usernames = {r.collector for r in rows if r.collector}
    user_model = get_user_model()
    users = dict(user_model.objects.filter(username__in=usernames).values_list("username", "pk"))
    groups = dict(CustomerGroup.objects.filter(code__in={r.group for r in rows if r.group}).values_list("code", "pk"))
    existing = {
        (c.entity_id, c.account): c
        for c in Customer.objects.filter(entity__in=entities.values(), account__in={r.account for r in rows})
    }
    erp_ibans: dict[int, set[str]] = {}
    for customer_id, iban in CustomerIban.objects.filter(
        customer__in=[c.pk for c in existing.values()], source="erp"
    ).values_list("customer_id", "iban"):
        erp_ibans.setdefault(customer_id, set()).add(iban)
    events = []
    for row in rows:
        entity = entities.get(row.entity)
        if entity is None:
            errors.append(RowError(row.line, "entity", f"unknown entity {row.entity!r}"))
            continue
        if row.collector and row.collector not in users:
            errors.append(RowError(row.line, "collector", f"unknown user {row.collector!r}"))
            continue
        if errors:
            continue  # keep checking the rest, but do not write anything
        group_id = None
        if row.group:
            if row.group not in groups and not dry_run:
                groups[row.group] = CustomerGroup.objects.create(code=row.group, name=row.group).pk
            group_id = groups.get(row.group)
        given = {
            "name": row.name, "country": row.country, "language": row.language, "currency": row.currency,
            "payment_terms_days": row.payment_terms_days, "credit_limit": row.credit_limit,
            "segment": row.segment, "vat_id": row.vat_id, "email": row.email, "phone": row.phone,
            "risk_class": row.risk_class,
        }
        # Only the columns the file has are compared and written; an empty collector or group
        # column means "none" and is written as such.
        wanted: dict[str, object] = {k: v for k, v in given.items() if v is not None}
        if row.collector is not None:
            wanted["collector_id"] = users.get(row.collector) if row.collector else None
        if row.group is not None:
            wanted["group_id"] = group_id
        customer = existing.get((entity.pk, row.account))
        if customer is None:
            report.created += 1
            report.plan("create customer", f"{row.entity}/{row.account}")
            if dry_run:
                continue
            customer = Customer.objects.create(
                entity=entity, account=row.account, name=row.name,
                country=row.country or entity.country, language=row.language or entity.language,
                currency=row.currency or entity.currency,
                **{k: v for k, v in wanted.items() if k not in ("name", "country", "language", "currency")},
            )
            CustomerIban.objects.bulk_create(
                CustomerIban(customer=customer, iban=iban, source="erp") for iban in row.ibans or ()
            )
            events.append(build(EventKind.CUSTOMER_CREATED, actor=by, subject_type="customer", subject_id=customer.pk,
                                customer_id=customer.pk, at=clock,
                                message=f"Customer {row.account} created from the ERP extract",
                                after={k: _json(v) for k, v in wanted.items()}))
            continue
        before, after = _changes(vars(customer), wanted)
        stored_ibans = erp_ibans.get(customer.pk, set())
        if row.ibans is not None and set(row.ibans) != stored_ibans:
            before["ibans"], after["ibans"] = _json(stored_ibans), _json(row.ibans)
        if not after:
            report.unchanged += 1
            continue
        report.updated += 1
        report.plan("update customer", f"{row.entity}/{row.account}: {', '.join(after)}")
        if dry_run:
            continue
        for name in after:
            if name != "ibans":
                setattr(customer, name, wanted[name])
        customer.save()
        if "ibans" in after:
            CustomerIban.objects.filter(customer=customer, source="erp").exclude(iban__in=row.ibans).delete()
            CustomerIban.objects.bulk_create(
                [CustomerIban(customer=customer, iban=iban, source="erp") for iban in row.ibans or ()],
                ignore_conflicts=True,
            )
        events.append(build(EventKind.CUSTOMER_UPDATED, actor=by, subject_type="customer", subject_id=customer.pk,
                            customer_id=customer.pk, at=clock,
                            message=f"Customer {row.account} updated from the ERP extract",
                            before=before, after=after))
    if not errors:
        record_many(events)


# -- contacts ---------------------------------------------------------------------------------------

def _customers_by_key(keys: set[tuple[str, str]]) -> dict[tuple[str, str], Customer]:
    codes = {entity for entity, _account in keys}
    accounts = {account for _entity, account in keys}
    return {
        (c.entity.code, c.account): c
        for c in Customer.objects.select_related("entity").filter(entity__code__in=codes, account__in=accounts)
    }


def _import_contacts(rows: list[ContactRow], errors: list[RowError], report: ImportReport, *, by: Actor,
                     dry_run: bool, clock, **_: object) -> None:  # type: ignore[no-untyped-def]
    entity_codes = set(_entities_by_code(r.entity for r in rows))
    customers = _customers_by_key({(r.entity, r.account) for r in rows})
    existing = {
        (c.customer_id, c.purpose, c.email.lower()): c
        for c in Contact.objects.filter(customer__in=[c.pk for c in customers.values()])
    }
    events = []
    for row in rows:
        if row.entity not in entity_codes:
            errors.append(RowError(row.line, "entity", f"unknown entity {row.entity!r}"))
            continue
        customer = customers.get((row.entity, row.account))
        if customer is None:
            errors.append(RowError(row.line, "account", f"unknown customer {row.account!r} in entity {row.entity}"))
            continue
        wanted = {name: value for name, value in (("name", row.name), ("phone", row.phone), ("language", row.language))
                  if value is not None}
        contact = existing.get((customer.pk, row.purpose, row.email.lower()))
        if contact is None:
            report.created += 1
            report.plan("create contact", f"{row.entity}/{row.account} {row.purpose} {row.email or row.name}")
            if dry_run or errors:
                continue
            contact = Contact.objects.create(
                customer=customer, purpose=row.purpose, email=row.email, name=row.name or "",
                phone=row.phone or "", language=row.language or customer.language,
            )
            events.append(build(EventKind.CONTACT_CREATED, actor=by, subject_type="contact", subject_id=contact.pk,
                                customer_id=customer.pk, at=clock,
                                message=f"{row.purpose} contact {row.email or row.name} created from the ERP extract",
                                after={**wanted, "email": row.email, "purpose": row.purpose}))
            continue
        before, after = _changes(vars(contact), wanted)
        if not after:
            report.unchanged += 1
            continue
        report.updated += 1
        report.plan("update contact", f"{row.entity}/{row.account} {row.purpose} {row.email}: {', '.join(after)}")
        if dry_run or errors:
            continue
        for name in after:
            setattr(contact, name, wanted[name])
        contact.save()
        events.append(build(EventKind.CONTACT_UPDATED, actor=by, subject_type="contact", subject_id=contact.pk,
                            customer_id=customer.pk, at=clock,
                            message=f"{row.purpose} contact {row.email or row.name} updated from the ERP extract",
                            before=before, after=after))
    if not errors:
        record_many(events)


# -- open items -------------------------------------------------------------------------------------

_ITEM_FIELDS = ("customer_id", "document_date", "posting_date", "due_date", "currency", "amount",
                "amount_entity", "reference", "external_id", "text")
_ITEM_INSERT = ("id", "entity_id", "customer_id", "kind", "number", "document_date", "posting_date", "due_date",
                "currency", "amount", "open_amount", "amount_entity", "reference", "external_id", "text",
                "last_activity_on", "created_at")
_ITEM_UPDATE = (*_ITEM_FIELDS, "open_amount", "last_activity_on")
_ALLOCATION_INSERT = ("debit_item_id", "credit_item_id", "amount", "currency", "date", "source", "note",
                      "created_by_id", "created_at", "reversal_reason")
_OWN_SOURCES = frozenset({AllocationSource.CASH_APPLICATION.value, AllocationSource.MANUAL.value})


def _decimal(value: object) -> Decimal | None:
    """SQLite hands back REAL/INTEGER for decimal columns; PostgreSQL a Decimal."""
    if value is None or isinstance(value, Decimal):
        return value  # type: ignore[return-value]
    return Decimal(str(value)).quantize(Decimal("0.01"))


@dataclass
class _LiveAllocations:
    """The live allocations on one existing item, split by who made them."""

    erp: Decimal = Decimal("0")
    own: Decimal = Decimal("0")
    erp_rows: list[tuple[int, date]] = field(default_factory=list)


def _load_items(entity_ids: list[int]) -> dict[tuple[int, str, str], tuple]:  # type: ignore[type-arg]
    columns = ("id", "entity_id", "kind", "number", *_ITEM_FIELDS, "open_amount", "last_activity_on")
    placeholders = ", ".join(["%s"] * len(entity_ids))
    found = {}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM ledger_item WHERE entity_id IN ({placeholders})", entity_ids)
        for row in cursor.fetchall():
            found[(row[1], row[2], row[3])] = row
    return found


def _load_live_allocations(entity_ids: list[int]) -> dict[int, _LiveAllocations]:
    placeholders = ", ".join(["%s"] * len(entity_ids))
    live: dict[int, _LiveAllocations] = {}
    with connection.cursor() as cursor:
        for side in ("debit_item_id", "credit_item_id"):
            cursor.execute(
                f"SELECT a.{side}, a.id, a.amount, a.source, a.date FROM ledger_allocation a "
                f"JOIN ledger_item i ON i.id = a.{side} "
                f"WHERE i.entity_id IN ({placeholders}) AND a.reversed_on IS NULL",
                entity_ids,
            )
            for item_id, allocation_id, amount, source, on_date in cursor.fetchall():
                entry = live.setdefault(item_id, _LiveAllocations())
                if source == AllocationSource.ERP:
                    entry.erp += _decimal(amount)  # type: ignore[operator]
                    entry.erp_rows.append((allocation_id, on_date))
                elif source in _OWN_SOURCES:
                    entry.own += _decimal(amount)  # type: ignore[operator]
    return live


def _import_items(rows: list[ItemRow], errors: list[RowError], report: ImportReport, *, by: Actor, dry_run: bool,
                  clock, as_of: date | None, progress: Progress | None, file_name: str) -> None:  # type: ignore[no-untyped-def]
    entities = _entities_by_code({r.entity for r in rows})
    entity_ids = [entity.pk for entity in entities.values()]
    import_date = {entity.pk: as_of or local_date(clock, entity.timezone) for entity in entities.values()}
    customers: dict[tuple[int, str], int] = {}
    if entity_ids:
        placeholders = ", ".join(["%s"] * len(entity_ids))
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT entity_id, account, id FROM ledger_customer WHERE entity_id IN ({placeholders})",
                           entity_ids)
            customers = {(entity_id, account): pk for entity_id, account, pk in cursor.fetchall()}
    existing = _load_items(entity_ids) if entity_ids else {}
    live = _load_live_allocations(entity_ids) if existing else {}

    new_items: list[tuple[ItemRow, int, int, date | None]] = []  # row, entity id, customer id, cleared on
    updates: list[tuple] = []  # type: ignore[type-arg]
    reversals: list[tuple[int, date, int | None, str]] = []
    new_erp_allocations: list[tuple[int | None, str, Decimal, str, date]] = []  # item id, kind, amount, currency, date
    events = []
    no_allocations = _LiveAllocations()
    entity_ids_by_code = {code: entity.pk for code, entity in entities.items()}
    for row in rows:
        entity_id = entity_ids_by_code.get(row.entity)
        if entity_id is None:
            errors.append(RowError(row.line, "entity", f"unknown entity {row.entity!r}"))
            continue
        customer_id = customers.get((entity_id, row.account))
        if customer_id is None:
            errors.append(RowError(row.line, "account", f"unknown customer {row.account!r} in entity {row.entity}"))
            continue
        today = import_date[entity_id]
        cleared = row.amount - row.erp_open
        current = existing.get((entity_id, row.kind, row.number)) if existing else None
        if current is None:
            new_items.append((row, entity_id, customer_id, (row.cleared_date or today) if cleared else None))
            if len(report.planned) < _PLANNED_SHOWN:
                report.plan("create item", f"{row.entity} {row.kind} {row.number}")
            continue
        item_id = current[0]
        stored = dict(zip(("id", "entity_id", "kind", "number", *_ITEM_FIELDS, "open_amount", "last_activity_on"),
                          current, strict=True))
        for name in ("amount", "amount_entity", "open_amount"):
            stored[name] = _decimal(stored[name])
        wanted = {
            "customer_id": customer_id, "document_date": row.document_date, "posting_date": row.posting_date,
            "due_date": row.due_date, "currency": row.currency, "amount": row.amount,
            "amount_entity": row.amount_entity, "reference": row.reference, "external_id": row.external_id,
            "text": row.text,
        }
        wanted = {name: value for name, value in wanted.items() if value is not None}
        allocated = live.get(item_id, no_allocations)
        if row.amount < allocated.own:
            errors.append(RowError(row.line, "amount", f"amount {row.amount} is below the {allocated.own} "
                                                       f"Incasso already allocated to {row.kind} {row.number}"))
            continue
        erp_target = max(Decimal("0"), cleared - allocated.own)
        open_amount = row.amount - erp_target - allocated.own
        before, after = _changes(stored, wanted)
        last_activity = stored["last_activity_on"]
        erp_changed = erp_target != allocated.erp
        if erp_changed:
            for allocation_id, allocated_on in allocated.erp_rows:
                reversals.append((allocation_id, max(today, allocated_on), by.user.pk if by.user else None,
                                  f"superseded by ERP extract {file_name}"[:200]))
                last_activity = max(filter(None, (last_activity, today, allocated_on)))
            if erp_target:
                on_date = row.cleared_date or today
                new_erp_allocations.append((item_id, row.kind, erp_target, row.currency, on_date))
                last_activity = max(filter(None, (last_activity, on_date)))
            before["erp_cleared"], after["erp_cleared"] = str(allocated.erp), str(erp_target)
        if open_amount != stored["open_amount"]:
            before["open_amount"], after["open_amount"] = str(stored["open_amount"]), str(open_amount)
        if not after:
            report.unchanged += 1
            continue
        report.updated += 1
        report.plan("update item", f"{row.entity} {row.kind} {row.number}: {', '.join(after)}")
        merged = {name: wanted.get(name, stored[name]) for name in _ITEM_FIELDS}
        for name in ("reference", "external_id", "text"):
            merged[name] = merged[name] or ""
        updates.append((item_id, *(merged[name] for name in _ITEM_FIELDS), open_amount, last_activity))
        events.append(build(EventKind.ITEM_UPDATED, actor=by, subject_type="item", subject_id=item_id,
                            customer_id=customer_id, at=clock,
                            message=f"{row.kind} {row.number} updated from ERP extract {file_name}",
                            before=before, after=after))
    report.created = len(new_items)
    report.allocations_reversed = len(reversals)
    report.allocations_created = len(new_erp_allocations) + sum(1 for *_, cleared_on in new_items if cleared_on)
    if errors or dry_run:
        return
    created_at = connection.ops.adapt_datetimefield_value(clock)
    first_id = reserve_ids("ledger_item", len(new_items)) if new_items else 0
    if progress:
        progress("writing", 0, len(new_items))
    insert_rows("ledger_item", _ITEM_INSERT, (
        (first_id + n, entity_id, customer_id, row.kind, row.number, row.document_date, row.posting_date,
         row.due_date, row.currency, row.amount, row.erp_open, row.amount_entity, row.reference or "",
         row.external_id or "", row.text or "", cleared_on, created_at)
        for n, (row, entity_id, customer_id, cleared_on) in enumerate(new_items)
    ))
    new_erp_allocations.extend(
        (first_id + n, row.kind, row.amount - row.erp_open, row.currency, cleared_on)
        for n, (row, _entity_id, _customer_id, cleared_on) in enumerate(new_items) if cleared_on
    )
    update_rows("ledger_item", _ITEM_UPDATE, updates)
    update_rows("ledger_allocation", ("reversed_on", "reversed_by_id", "reversal_reason"), reversals)
    user_id = by.user.pk if by.user else None
    note = f"ERP extract {file_name}"[:200]
    insert_rows("ledger_allocation", _ALLOCATION_INSERT, (
        (None if kind in CREDIT_ITEM_KINDS else item_id, item_id if kind in CREDIT_ITEM_KINDS else None,
         amount, currency, on_date, AllocationSource.ERP.value, note, user_id, created_at, "")
        for item_id, kind, amount, currency, on_date in new_erp_allocations
    ))
    if progress:
        progress("writing", len(new_items), len(new_items))
    record_many(events)
