"""Importing an ERP extract: legal entities, customer accounts, contacts or open items.

One file is one transaction: the whole file is read and checked first, and if any row is rejected
nothing is written and every rejected row is reported as ``FILE:LINE: column COLUMN: reason``.
Rows are upserted on their natural keys (entity code; entity + account; customer + purpose +
email; entity + kind + number), so importing the same file twice changes nothing.

Open amounts of items come from the ERP as *clearings*, never by overwriting ``open_amount``:

* the ERP has cleared ``C = amount - erp_open`` of the item;
* Incasso's own live allocations on the item (cash application, manual) sum to ``I``; of those,
  ``I_b`` were made *before* the extract's day (the import's as-of date), so the ERP may have booked
  them; the ones of that day or later cannot be in the extract yet;
* the ERP's own clearing therefore lies between ``C - I_b`` and ``C`` (and ERP plus Incasso may
  never exceed the amount): the live ERP allocations ``E`` are kept when they lie in that range,
  else moved to its nearest end, ``E' = min(min(C, amount - I), max(C - I_b, 0, E))``. So what
  Incasso applied and the ERP has since booked is not counted twice, and an extract older than
  Incasso's allocations does not reopen what Incasso cleared;
* when the live ERP sum ``E`` differs from ``E'``, the live ERP allocations are reversed (dated the
  import's as-of date; rows are never deleted) and one new ERP allocation of ``E'`` is made (when it
  is above zero), carrying only the item's side;
* ``open_amount = amount - E' - I``.

Audit: entities, customers and contacts get one created/updated event per row; items get one
``item.updated`` event (before/after) per changed item, while item *creations* are summarised in
the file's ``import.completed`` event, which also carries the counts (a million ``item.created``
rows would double the import's cost and say nothing the ImportBatch does not).

Items are checked by a fast loop (``incasso.core.erp_items``) and written with bulk SQL
(``ledger.importers.sql``) while the file is still being read: COPY on PostgreSQL, executemany on
SQLite; see ``ledger.actions.import_items``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, build, record, record_many
from incasso.core.erp_columns import ItemColumnChecker, ItemColumns
from incasso.core.erp_items import ItemChecker
from incasso.core.erp_rows import (
    CANONICAL,
    ContactRow,
    CustomerRow,
    EntityRow,
    Mapping,
    RowError,
    parse_contacts,
    parse_customers,
    parse_entities,
    resolve_header,
)
from incasso.ledger.actions.import_arrow import ArrowItemImport
from incasso.ledger.actions.import_columns import NotColumnar
from incasso.ledger.actions.import_items import BULK_MIN_ITEMS, PLANNED_SHOWN, ItemImport
from incasso.ledger.actions.import_staged import StagedItemImport
from incasso.ledger.importers.readers import CsvText, FileFormatError, Table, read_csv_text, read_table
from incasso.ledger.importers.sql import bulk_session, lock_for_import
from incasso.ledger.models import Contact, Customer, CustomerGroup, CustomerIban, ImportBatch, LegalEntity

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)`` every few thousand rows (the CLI draws a bar)."""

KINDS = ("entities", "customers", "contacts", "items")
_COLUMN_BLOCK = 50_000  # lines per block of the column-wise item import


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
    bulk_load: bool = False  # new items went in with indexes and foreign keys rebuilt afterwards
    path: str = ""  # items: "columns" (column-wise), "staged" (set-based), or "per row" (and why not staged)
    not_columnar: str = ""  # items: why a CSV file tried column-wise went row by row
    arrow: bool = False  # items, column-wise: the whole file was checked and written through Arrow

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def plan(self, verb: str, what: str) -> None:
        if len(self.planned) < PLANNED_SHOWN:
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
    bulk_min_items: int = BULK_MIN_ITEMS,
    staged: bool = False,
    columnar: bool = True,
    arrow: bool = True,
) -> ImportReport:
    """Import one ERP extract of ``kind`` (entities, customers, contacts or items), all or nothing.

    ``as_of`` dates the ERP allocations and reversals the import makes; by default it is each legal
    entity's local today, from one clock reading. ``bulk_min_items`` is the number of new items
    from which an item import takes the bulk-load path (``import_items.bulk_load_possible``).
    ``staged`` sends a CSV item file through the staged path (``import_staged``: loaded into a
    staging table and checked set-based); XLSX and JSON files and files it cannot load take the
    per-row path anyway. It is not the default: measured on a million items it costs as many CPU
    seconds as the per-row path, spent in the database instead (docs/benchmarks.md, item import).
    ``columnar`` (the default) lets a CSV item file without quotes try the column-wise path
    (``import_columns``) first; False forces the per-row path (for comparisons). ``arrow`` (the
    default) lets the column-wise path check and write a first import through Arrow
    (``import_arrow``, PostgreSQL); False keeps it block by block (for comparisons).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown extract kind {kind!r} (one of {', '.join(KINDS)})")
    started = time.perf_counter()
    path = Path(path)
    report = ImportReport(kind=kind, file_name=path.name, dry_run=dry_run)
    mapping = mapping or CANONICAL
    if kind == "items":
        if not staged:
            report.path = "per row"
        elif file_format not in (None, "csv"):
            report.path = f"per row ({file_format.upper()} files are read row by row)"
        else:
            try:
                source = read_csv_text(path)
            except FileFormatError as exc:
                report.errors.append(str(exc))
                return report
            if isinstance(source, str):
                report.path = f"per row ({source})"
            else:
                _import_staged_file(source, path, mapping, report, by=by, clock=timezone.now(), as_of=as_of,
                                    dry_run=dry_run, progress=progress, bulk_min_items=bulk_min_items)
                report.seconds = time.perf_counter() - started
                return report
    try:
        table = read_table(path, file_format)
    except FileFormatError as exc:
        report.errors.append(str(exc))
        return report
    report.detail = table.detail
    layout, header_errors = resolve_header(kind, table.header, mapping)
    if header_errors:
        report.errors = [error.format(table.name) for error in header_errors]
        return report
    rows = _counted(table.rows, progress, "checking", table.row_count)
    clock = timezone.now()
    if kind == "items":
        if columnar and table.lines is not None and _import_item_columns(
                table, layout, mapping, report, by=by, clock=clock, as_of=as_of, dry_run=dry_run,
                progress=progress, bulk_min_items=bulk_min_items, arrow=arrow):
            report.seconds = time.perf_counter() - started
            return report
        _import_item_file(table, rows, layout, mapping, report, by=by, clock=clock, as_of=as_of, dry_run=dry_run,
                          progress=progress, bulk_min_items=bulk_min_items)
        report.seconds = time.perf_counter() - started
        return report
    parsers = {"entities": parse_entities, "customers": parse_customers, "contacts": parse_contacts}
    try:
        parsed, errors = parsers[kind](rows, layout)  # type: ignore[operator]
    except FileFormatError as exc:
        report.errors.append(str(exc))
        return report
    report.rows = len(parsed) + len({error.line for error in errors})
    importer = {"entities": _import_entities, "customers": _import_customers, "contacts": _import_contacts}[kind]
    try:
        with transaction.atomic():
            importer(parsed, errors, report, by=by, clock=clock, as_of=as_of, dry_run=dry_run,
                     progress=progress, file_name=table.name)
            _close_file(table, report, errors, by=by, clock=clock, dry_run=dry_run)
    except _Rejected:
        _rejected(report, errors, table.name)
    report.seconds = time.perf_counter() - started
    return report


def _rejected(report: ImportReport, errors: list[RowError], file_name: str) -> None:
    report.errors = [error.format(file_name) for error in sorted(errors, key=lambda e: e.line)]
    report.created = report.updated = report.unchanged = 0
    report.allocations_created = report.allocations_reversed = 0


def _import_item_file(table: Table, rows: Iterable[tuple[int, list[str]]], layout, mapping: Mapping,  # type: ignore[no-untyped-def]
                      report: ImportReport, *, by: Actor, clock, as_of: date | None, dry_run: bool,
                      progress: Progress | None, bulk_min_items: int) -> None:
    """Items: rows are checked while they are written (see ``ledger.actions.import_items``)."""
    checker = ItemChecker(layout, mapping)
    # A file that may take the bulk-load path runs with SQLite's per-row foreign key checks off
    # (settable only outside the transaction); the import checks the tables before it commits.
    large = not dry_run and table.row_count >= bulk_min_items
    try:
        with bulk_session(relax_foreign_keys=large), transaction.atomic():
            if not dry_run:
                lock_for_import("ledger_item", "ledger_allocation")
            ItemImport(report, checker.errors, layout, by=by, dry_run=dry_run, clock=clock, as_of=as_of,
                       progress=progress, file_name=table.name, file_rows=table.row_count,
                       bulk_min_items=bulk_min_items).run(checker.check(rows))
            report.rows = checker.rows_seen
            if checker.errors:
                raise _Rejected
            if not dry_run:
                _record_batch(table, report, by=by, clock=clock)
            if dry_run:
                transaction.set_rollback(True)
    except _Rejected:
        _rejected(report, checker.errors, table.name)
    except FileFormatError as exc:  # the CSV broke down part-way: nothing was kept
        report.rows = checker.rows_seen
        _rejected(report, [], table.name)
        report.errors = [str(exc)]


def _column_blocks(lines: list[str], checker: ItemColumnChecker) -> Iterator[ItemColumns | None]:
    """The data lines in blocks, each checked column-wise (None: not certain, or an empty line)."""
    end = len(lines)
    while end > 1 and not lines[end - 1]:
        end -= 1  # the empty line after the last line end
    for start in range(1, end, _COLUMN_BLOCK):
        block = lines[start:min(start + _COLUMN_BLOCK, end)]
        if "" in block:
            yield None
            return
        yield checker.check(block, start + 1)
    checker.forget()  # the whole file is checked: its keys are no longer needed (memory for the compare)


def _import_item_columns(table: Table, layout, mapping: Mapping, report: ImportReport, *, by: Actor,  # type: ignore[no-untyped-def]
                         clock, as_of: date | None, dry_run: bool, progress: Progress | None,
                         bulk_min_items: int, arrow: bool) -> bool:
    """A plain CSV item file through the column-wise path (``ledger.actions.import_columns``; with
    ``arrow``, a first import on PostgreSQL through ``ledger.actions.import_arrow`` when it can).
    False when a block could not be vouched for: the transaction was rolled back, nothing was
    recorded, and the caller imports the file row by row."""
    assert table.lines is not None
    errors: list[RowError] = []
    large = not dry_run and table.row_count >= bulk_min_items
    try:
        with bulk_session(relax_foreign_keys=large), transaction.atomic():
            if not dry_run:
                lock_for_import("ledger_item", "ledger_allocation")
            importer = ArrowItemImport(report, errors, layout, by=by, dry_run=dry_run, clock=clock, as_of=as_of,
                                       progress=progress, file_name=table.name, file_rows=table.row_count,
                                       bulk_min_items=bulk_min_items)
            checker = ItemColumnChecker(layout, table.delimiter, mapping)
            rows = importer.run_arrow(table.lines, checker) if arrow else None
            report.arrow = rows is not None
            if rows is None:
                rows = importer.run_columns(_column_blocks(table.lines, checker))
            report.rows = rows
            _close_file(table, report, errors, by=by, clock=clock, dry_run=dry_run)
    except _Rejected:
        _rejected(report, errors, table.name)
    except NotColumnar as exc:
        report.rows = report.created = report.updated = report.unchanged = 0
        report.allocations_created = report.allocations_reversed = 0
        report.planned = []
        report.bulk_load = report.arrow = False
        report.path, report.not_columnar = "per row", str(exc)
        return False
    report.path = "columns"
    return True


def _import_staged_file(source: CsvText, path: Path, mapping: Mapping, report: ImportReport, *, by: Actor,  # noqa: PLR0913
                        clock, as_of: date | None, dry_run: bool, progress: Progress | None,  # type: ignore[no-untyped-def]
                        bulk_min_items: int) -> None:
    """A CSV item file through the staged path (``ledger.actions.import_staged``); when the file
    cannot be staged (a row SQLite cannot bind, a quoted field over two lines ...), the per-row path
    takes it over in the same transaction and ``report.path`` says why."""
    report.detail = source.detail
    layout, header_errors = resolve_header("items", source.header, mapping)
    if header_errors:
        report.errors = [error.format(source.name) for error in header_errors]
        return
    errors: list[RowError] = []
    large = not dry_run and source.row_count >= bulk_min_items
    table = Table(source.name, "csv", source.header, iter(()), source.row_count, source.detail, source.sha256)
    try:
        with bulk_session(relax_foreign_keys=large), transaction.atomic():
            if not dry_run:
                lock_for_import("ledger_item", "ledger_allocation")
            options = {"by": by, "dry_run": dry_run, "clock": clock, "as_of": as_of, "progress": progress,
                       "file_name": source.name, "file_rows": source.row_count, "bulk_min_items": bulk_min_items}
            reason = StagedItemImport(report, errors, layout, **options).run_staged(source, layout, mapping)
            if reason is None:
                report.path = "staged"
            else:
                report.path = f"per row ({reason})"
                del source
                table = read_table(path, "csv")
                checker = ItemChecker(layout, mapping)
                errors = checker.errors
                rows = _counted(table.rows, progress, "checking", table.row_count)
                ItemImport(report, errors, layout, **options).run(checker.check(rows))
                report.rows = checker.rows_seen
            _close_file(table, report, errors, by=by, clock=clock, dry_run=dry_run)
    except _Rejected:
        _rejected(report, errors, table.name)
    except FileFormatError as exc:  # the CSV broke down part-way: nothing was kept
        _rejected(report, [], table.name)
        report.errors = [str(exc)]


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


def _close_file(table: Table, report: ImportReport, errors: list, *, by: Actor, clock, dry_run: bool) -> None:  # type: ignore[no-untyped-def]
    """End a file's transaction: refuse it whole if any row was rejected, else record the batch, or roll
    everything back on a dry run."""
    if errors:
        raise _Rejected
    if dry_run:
        transaction.set_rollback(True)
    else:
        _record_batch(table, report, by=by, clock=clock)


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
