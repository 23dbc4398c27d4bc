"""ERP extract rows: the columns each extract has, and turning one text row into checked values.

Pure: no Django, no database. The import action reads a file into a header and text rows, hands
them here, and gets back typed rows plus a list of :class:`RowError` values, one per bad field.
Lookups that need the database (does this entity or customer exist, is this a known user) are
done by the caller with plain dicts; everything that can be decided from the row alone is decided
here, so the web upload, the API and the CLI reject the same rows with the same words.

A :class:`Mapping` adapts another layout (a SAP FBL5N export, say) to the canonical columns:
column renames, ignored columns, constant defaults, a map of document types to item kinds, the
sign convention (negative amount = credit item), the date format and the decimal separator.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from stdnum import get_cc_module
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.gb import vat as gb_vat

from incasso.core.calendar import CalendarError, zone
from incasso.core.money import MoneyError, is_currency, minor_unit, parse_amount

# Canonical columns per extract: (required, optional). The order is the documented header order.
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "entities": (("code", "name", "country", "currency"), ("timezone", "language")),
    "customers": (
        ("entity", "account", "name"),
        ("country", "language", "currency", "payment_terms_days", "credit_limit", "segment", "collector",
         "vat_id", "ibans", "email", "phone", "group", "risk_class"),
    ),
    "contacts": (("entity", "account", "purpose"), ("name", "email", "phone", "language")),
    "items": (
        ("entity", "account", "kind", "number", "document_date", "due_date", "currency", "amount"),
        ("open_amount", "reference", "posting_date", "amount_entity", "external_id", "text", "cleared_date"),
    ),
}

# The item kinds and which of them are credits (owed to the customer); mirrors ledger.choices,
# which the pure core may not import.
ITEM_KINDS = frozenset({"invoice", "credit_note", "debit_note", "payment", "fee", "interest", "adjustment"})
CREDIT_ITEM_KINDS = frozenset({"credit_note", "payment"})
CONTACT_PURPOSES = frozenset({"invoices", "reminders", "statements", "escalation", "general"})
RISK_CLASSES = frozenset({"low", "medium", "high", "critical"})

_MAX_LENGTHS = {
    "code": 10, "name": 200, "account": 40, "number": 40, "reference": 80, "external_id": 80,
    "text": 200, "segment": 40, "phone": 40, "vat_id": 32, "email": 254, "group": 40, "language": 8,
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}([-_][A-Za-z]{2,4})?$")


@dataclass(frozen=True, slots=True)
class RowError:
    """One rejected field: the file line (1 = header), the column, and why."""

    line: int
    column: str
    reason: str

    def format(self, file_name: str) -> str:
        return f"{file_name}:{self.line}: column {self.column}: {self.reason}"


class MappingError(ValueError):
    """A mapping file that cannot be used; the message names the key."""


@dataclass(frozen=True)
class Mapping:
    """How a foreign layout maps onto the canonical columns (see docs/formats.md, "ERP extracts").

    ``columns`` renames file columns to canonical ones; ``ignore`` lists file columns to skip;
    ``defaults`` gives canonical columns a constant when the file has no such column; ``kinds``
    maps document types to item kinds; ``sign`` is ``"positive"`` (negative amounts are errors) or
    ``"negative_is_credit"`` (a negative amount must be on a credit kind and is taken as its absolute
    value); ``date_format`` is a ``strptime`` format; ``decimal_comma`` forces the decimal separator.
    """

    columns: dict[str, str] = field(default_factory=dict)
    ignore: frozenset[str] = frozenset()
    defaults: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    sign: str = "positive"
    date_format: str | None = None
    decimal_comma: bool | None = None

    @classmethod
    def from_dict(cls, data: object) -> Mapping:
        if not isinstance(data, dict):
            raise MappingError("a mapping is a JSON object")
        known = {"columns", "ignore", "defaults", "kinds", "sign", "date_format", "decimal_comma", "comment"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise MappingError(f"unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")

        def str_dict(key: str) -> dict[str, str]:
            value = data.get(key, {})
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                raise MappingError(f"{key!r} must be an object of text to text")
            return dict(value)

        ignore = data.get("ignore", [])
        if not isinstance(ignore, list) or not all(isinstance(v, str) for v in ignore):
            raise MappingError("'ignore' must be a list of column names")
        kinds = str_dict("kinds")
        bad_kinds = sorted(v for v in kinds.values() if v not in ITEM_KINDS)
        if bad_kinds:
            raise MappingError(f"'kinds' maps to unknown item kind(s) {', '.join(bad_kinds)}")
        sign = data.get("sign", "positive")
        if sign not in ("positive", "negative_is_credit"):
            raise MappingError("'sign' must be 'positive' or 'negative_is_credit'")
        date_format = data.get("date_format")
        if date_format is not None and (not isinstance(date_format, str) or "%" not in date_format):
            raise MappingError("'date_format' must be a strptime format such as '%d.%m.%Y'")
        decimal_comma = data.get("decimal_comma")
        if decimal_comma is not None and not isinstance(decimal_comma, bool):
            raise MappingError("'decimal_comma' must be true, false or absent (inferred)")
        return cls(columns=str_dict("columns"), ignore=frozenset(ignore), defaults=str_dict("defaults"),
                   kinds=kinds, sign=sign, date_format=date_format, decimal_comma=decimal_comma)


CANONICAL = Mapping()


@dataclass(frozen=True)
class Layout:
    """Where each canonical column is in the file's rows, after the mapping was applied."""

    kind: str
    positions: dict[str, int]
    width: int
    defaults: dict[str, str]

    def has(self, column: str) -> bool:
        return column in self.positions or column in self.defaults


def resolve_header(kind: str, header: list[str], mapping: Mapping = CANONICAL) -> tuple[Layout, list[RowError]]:
    """Match the header row to the canonical columns of ``kind``; errors are on line 1."""
    required, optional = COLUMNS[kind]
    known = set(required) | set(optional)
    positions: dict[str, int] = {}
    errors: list[RowError] = []
    for index, raw in enumerate(header):
        name = raw.strip()
        if name in mapping.ignore or (not name and index == len(header) - 1):
            continue  # an ignored column, or the empty column a trailing delimiter makes
        canonical = mapping.columns.get(name, name)
        if canonical not in known:
            errors.append(RowError(1, name or f"#{index + 1}",
                                   f"unknown column for {kind} (map it with --mapping, or remove it)"))
        elif canonical in positions:
            errors.append(RowError(1, name, f"column {canonical} appears twice"))
        else:
            positions[canonical] = index
    defaults = {k: v for k, v in mapping.defaults.items() if k not in positions}
    for bad in sorted(set(defaults) - known):
        errors.append(RowError(1, bad, f"mapping default for an unknown column of {kind}"))
    for column in required:
        if column not in positions and column not in defaults:
            errors.append(RowError(1, column, "missing required column"))
    return Layout(kind, positions, len(header), defaults), errors


# -- field parsers: each returns the value or raises ValueError with the reason --------------------

def parse_date(text: str, date_format: str | None = None) -> date:
    """ISO ``YYYY-MM-DD`` (fast path), ``DD.MM.YYYY``, ``DD/MM/YYYY``, or the mapping's format."""
    if date_format is not None:
        try:
            return datetime.strptime(text, date_format).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            raise ValueError(f"bad date {text!r} (expected format {date_format})") from None
    if len(text) == 10:
        try:
            if text[4] == "-" and text[7] == "-":
                return date.fromisoformat(text)
            if text[2] in "./" and text[5] == text[2]:
                return date(int(text[6:]), int(text[3:5]), int(text[:2]))
        except ValueError:
            pass
    raise ValueError(f"bad date {text!r} (use YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY)")


def parse_money(text: str, currency: str, decimal_comma: bool | None = None) -> Decimal:
    """An amount with no more decimals than ``currency`` has; the sign is kept."""
    stripped = text[1:] if text[:1] == "-" else text
    if decimal_comma is None and stripped.replace(".", "", 1).isdigit():
        value = Decimal(text)  # the common case: plain "1234.56"
    else:
        try:
            value = parse_amount(text, decimal_comma=decimal_comma)
        except MoneyError:
            raise ValueError(f"bad amount {text!r}") from None
    unit = minor_unit(currency)
    rounded = value.quantize(unit)
    if rounded != value:
        raise ValueError(f"amount {text!r} has more decimals than {currency} allows")
    return rounded


def validate_vat(vat_id: str) -> str:
    """The compact VAT id if valid: EU ids with their country prefix (EL for Greece), GB, or another
    country python-stdnum knows (CHE-..., NO...)."""
    prefix = vat_id.strip()[:2].upper()
    if prefix in ("GB", "XI"):
        module = gb_vat
    elif prefix in eu_vat.MEMBER_STATES or prefix == "EL":
        module = eu_vat
    else:
        try:
            module = get_cc_module(prefix.lower(), "vat")
        except (ImportError, ValueError, AttributeError):
            module = None
        if module is None:
            raise ValueError(f"VAT id {vat_id!r} has no known country prefix")
    try:
        compact = str(module.validate(vat_id))
        return compact if compact.upper().startswith(prefix) else prefix + compact
    except StdnumValidationError:
        raise ValueError(f"invalid VAT id {vat_id!r}") from None


def validate_iban(text: str) -> str:
    """The compact IBAN if schwifty accepts it (checksum, country length and bank code format)."""
    from schwifty import IBAN  # imported here: schwifty loads its bank registry on first import
    from schwifty.exceptions import SchwiftyException

    try:
        return str(IBAN(text).compact)
    except (SchwiftyException, ValueError):
        raise ValueError(f"invalid IBAN {text!r}") from None


# -- rows ---------------------------------------------------------------------------------------

class EntityRow(NamedTuple):
    line: int
    code: str
    name: str
    country: str
    currency: str
    timezone: str | None
    language: str | None


class CustomerRow(NamedTuple):
    """A customer account; ``None`` means the column was not in the file (keep what is stored)."""

    line: int
    entity: str
    account: str
    name: str
    country: str | None
    language: str | None
    currency: str | None
    payment_terms_days: int | None
    credit_limit: Decimal | None
    segment: str | None
    collector: str | None
    vat_id: str | None
    ibans: tuple[str, ...] | None
    email: str | None
    phone: str | None
    group: str | None
    risk_class: str | None


class ContactRow(NamedTuple):
    line: int
    entity: str
    account: str
    purpose: str
    name: str | None
    email: str
    phone: str | None
    language: str | None


class ItemRow(NamedTuple):
    """An open item as the ERP sees it; ``erp_open`` is the ERP's open amount (default: amount)."""

    line: int
    entity: str
    account: str
    kind: str
    number: str
    document_date: date
    due_date: date
    currency: str
    amount: Decimal
    erp_open: Decimal
    reference: str | None
    posting_date: date | None
    amount_entity: Decimal | None
    external_id: str | None
    text: str | None
    cleared_date: date | None


def _cells(layout: Layout, line: int, values: list[str], errors: list[RowError]) -> dict[str, str] | None:
    """The row's cells by canonical column, or None (and an error) when it has too few or too many."""
    needed = max(layout.positions.values(), default=-1) + 1
    if len(values) < needed or (len(values) > layout.width and any(v.strip() for v in values[layout.width:])):
        errors.append(RowError(line, "(row)", f"row has {len(values)} fields, the header has {layout.width}"))
        return None
    cells = dict(layout.defaults)
    for column, index in layout.positions.items():
        cells[column] = values[index].strip()
    return cells


def _text(cells: dict[str, str], column: str, line: int, errors: list[RowError], *,
          required: bool = False) -> str | None:
    if column not in cells:
        return None
    value = cells[column]
    if required and not value:
        errors.append(RowError(line, column, "is empty"))
    limit = _MAX_LENGTHS.get(column)
    if limit is not None and len(value) > limit:
        errors.append(RowError(line, column, f"longer than {limit} characters"))
    return value


def _check(cells: dict[str, str], column: str, line: int, errors: list[RowError], parse, empty=None):  # type: ignore[no-untyped-def]
    """Parse an optional column: None when absent, ``empty`` when blank, a RowError when ``parse`` refuses it."""
    value = cells.get(column)
    if value is None:
        return None
    if not value:
        return empty
    try:
        return parse(value)
    except ValueError as exc:
        errors.append(RowError(line, column, str(exc)))
        return None


def _country(text: str) -> str:
    if not _COUNTRY.match(text.upper()):
        raise ValueError(f"bad country {text!r} (ISO 3166 two-letter code)")
    return text.upper()


def _currency(text: str) -> str:
    if not is_currency(text.upper()):
        raise ValueError(f"unknown currency {text!r}")
    return text.upper()


def _language(text: str) -> str:
    if not _LANGUAGE.match(text):
        raise ValueError(f"bad language {text!r} (ISO 639 code such as fr or pt-BR)")
    return text


def _email(text: str) -> str:
    if not _EMAIL.match(text):
        raise ValueError(f"bad email address {text!r}")
    return text


def _timezone(text: str) -> str:
    try:
        zone(text)
    except CalendarError:
        raise ValueError(f"unknown timezone {text!r}") from None
    return text


def parse_entities(rows: Iterable[tuple[int, list[str]]], layout: Layout) -> tuple[list[EntityRow], list[RowError]]:
    parsed: list[EntityRow] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    for line, values in rows:
        row_errors: list[RowError] = []
        cells = _cells(layout, line, values, row_errors)
        if cells is not None:
            code = _text(cells, "code", line, row_errors, required=True) or ""
            name = _text(cells, "name", line, row_errors, required=True) or ""
            country = _check(cells, "country", line, row_errors, _country)
            currency = _check(cells, "currency", line, row_errors, _currency)
            for column in ("country", "currency"):
                if not cells.get(column):
                    row_errors.append(RowError(line, column, "is empty"))
            timezone = _check(cells, "timezone", line, row_errors, _timezone)
            language = _check(cells, "language", line, row_errors, _language)
            if code in first_line:
                row_errors.append(RowError(line, "code", f"duplicate code {code} inside the file "
                                                         f"(first on line {first_line[code]})"))
            first_line.setdefault(code, line)
            if not row_errors:
                parsed.append(EntityRow(line, code, name, country, currency, timezone, language))
        errors.extend(row_errors)
    return parsed, errors


def parse_customers(rows: Iterable[tuple[int, list[str]]], layout: Layout) -> tuple[list[CustomerRow], list[RowError]]:
    parsed: list[CustomerRow] = []
    errors: list[RowError] = []
    first_line: dict[tuple[str, str], int] = {}
    for line, values in rows:
        row_errors: list[RowError] = []
        cells = _cells(layout, line, values, row_errors)
        if cells is not None:
            entity = _text(cells, "entity", line, row_errors, required=True) or ""
            account = _text(cells, "account", line, row_errors, required=True) or ""
            name = _text(cells, "name", line, row_errors, required=True) or ""
            currency = _check(cells, "currency", line, row_errors, _currency)

            def terms(text: str) -> int:
                if not text.isdigit() or int(text) > 3650:
                    raise ValueError(f"bad payment terms {text!r} (whole days, 0 to 3650)")
                return int(text)

            def credit_limit(text: str, currency: str = currency or "EUR") -> Decimal:
                value = parse_money(text, currency)
                if value < 0:
                    raise ValueError(f"negative credit limit {text!r}")
                return value

            def ibans(text: str) -> tuple[str, ...]:
                return tuple(dict.fromkeys(validate_iban(part.strip()) for part in text.split(";") if part.strip()))

            def risk(text: str) -> str:
                if text.lower() not in RISK_CLASSES:
                    raise ValueError(f"unknown risk class {text!r} (one of {', '.join(sorted(RISK_CLASSES))})")
                return text.lower()

            row = CustomerRow(
                line, entity, account, name,
                country=_check(cells, "country", line, row_errors, _country),
                language=_check(cells, "language", line, row_errors, _language),
                currency=currency,
                payment_terms_days=_check(cells, "payment_terms_days", line, row_errors, terms),
                credit_limit=_check(cells, "credit_limit", line, row_errors, credit_limit),
                segment=_text(cells, "segment", line, row_errors),
                collector=_text(cells, "collector", line, row_errors),
                vat_id=_check(cells, "vat_id", line, row_errors, validate_vat, ""),
                ibans=_check(cells, "ibans", line, row_errors, ibans, ()),
                email=_check(cells, "email", line, row_errors, _email, ""),
                phone=_text(cells, "phone", line, row_errors),
                group=_text(cells, "group", line, row_errors),
                risk_class=_check(cells, "risk_class", line, row_errors, risk),
            )
            key = (entity, account)
            if key in first_line:
                row_errors.append(RowError(line, "account", f"duplicate account {account} of {entity} inside the "
                                                            f"file (first on line {first_line[key]})"))
            first_line.setdefault(key, line)
            if not row_errors:
                parsed.append(row)
        errors.extend(row_errors)
    return parsed, errors


def parse_contacts(rows: Iterable[tuple[int, list[str]]], layout: Layout) -> tuple[list[ContactRow], list[RowError]]:
    parsed: list[ContactRow] = []
    errors: list[RowError] = []
    first_line: dict[tuple[str, str, str, str], int] = {}
    for line, values in rows:
        row_errors: list[RowError] = []
        cells = _cells(layout, line, values, row_errors)
        if cells is not None:
            entity = _text(cells, "entity", line, row_errors, required=True) or ""
            account = _text(cells, "account", line, row_errors, required=True) or ""
            purpose = (cells.get("purpose") or "").lower()
            if purpose not in CONTACT_PURPOSES:
                row_errors.append(RowError(line, "purpose", f"unknown purpose {cells.get('purpose')!r} "
                                                            f"(one of {', '.join(sorted(CONTACT_PURPOSES))})"))
            email = _check(cells, "email", line, row_errors, _email) or ""
            name = _text(cells, "name", line, row_errors)
            if not email and not name:
                row_errors.append(RowError(line, "email", "a contact needs an email address or a name"))
            key = (entity, account, purpose, email.lower())
            if key in first_line:
                row_errors.append(RowError(line, "email", f"duplicate contact {email or name} for {purpose} "
                                                          f"inside the file (first on line {first_line[key]})"))
            first_line.setdefault(key, line)
            row = ContactRow(line, entity, account, purpose, name, email,
                             _text(cells, "phone", line, row_errors),
                             _check(cells, "language", line, row_errors, _language))
            if not row_errors:
                parsed.append(row)
        errors.extend(row_errors)
    return parsed, errors


class ItemRowChecker:
    """The full check of one item row: every rule, every message. ``parse_items`` runs it on each
    row; the fast checker of ``incasso.core.erp_items`` runs it only on rows it cannot decide alone,
    so both reject the same rows with the same words. Duplicate keys are the caller's business."""

    _OPTIONAL = ("open_amount", "reference", "posting_date", "amount_entity", "external_id", "text", "cleared_date")

    def __init__(self, layout: Layout, mapping: Mapping = CANONICAL) -> None:
        pos = layout.positions
        self.width = layout.width
        self.needed = max(pos.values(), default=-1) + 1
        self.kinds = mapping.kinds
        self.negative_is_credit = mapping.sign == "negative_is_credit"
        self.date_format = mapping.date_format
        self.decimal_comma = mapping.decimal_comma
        columns = COLUMNS["items"][0] + self._OPTIONAL
        self.index = [pos.get(column) for column in columns]
        self.default = [layout.defaults.get(column) for column in columns]
        self.known_currency: dict[str, bool] = {}

    def check(self, line: int, values: list[str]) -> tuple[ItemRow | None, list[RowError], tuple[str, str, str] | None]:
        """The checked row (or None), its errors, and its key (entity, kind, number) for the
        duplicate check (None when the row has the wrong number of fields)."""
        width = self.width
        if len(values) < self.needed or (len(values) > width and any(v.strip() for v in values[width:])):
            return None, [RowError(line, "(row)", f"row has {len(values)} fields, the header has {width}")], None
        (entity, account, kind_text, number, document_text, due_text, currency, amount_text, open_text,
         reference, posting_text, amount_entity_text, external_id, text, cleared_text) = [
            values[i].strip() if i is not None else d for i, d in zip(self.index, self.default, strict=True)
        ]
        negative_is_credit = self.negative_is_credit
        date_format = self.date_format
        decimal_comma = self.decimal_comma
        row_errors: list[RowError] = []
        if not entity:
            row_errors.append(RowError(line, "entity", "is empty"))
        if not account:
            row_errors.append(RowError(line, "account", "is empty"))
        if not number:
            row_errors.append(RowError(line, "number", "is empty"))
        elif len(number) > 40:
            row_errors.append(RowError(line, "number", "longer than 40 characters"))
        kind = self.kinds.get(kind_text, kind_text)
        if kind not in ITEM_KINDS:
            kind = kind.lower()
            if kind not in ITEM_KINDS:
                row_errors.append(RowError(line, "kind", f"unknown kind {kind_text!r}"))
        ok_currency = self.known_currency.get(currency)
        if ok_currency is None:
            ok_currency = self.known_currency[currency] = is_currency(currency)
        amount = erp_open = None
        if not ok_currency:
            row_errors.append(RowError(line, "currency", f"unknown currency {currency!r}"))
        else:
            try:
                amount = parse_money(amount_text, currency, decimal_comma)
            except ValueError as exc:
                row_errors.append(RowError(line, "amount", str(exc)))
            if open_text:
                try:
                    erp_open = parse_money(open_text, currency, decimal_comma)
                except ValueError as exc:
                    row_errors.append(RowError(line, "open_amount", str(exc)))
            else:
                erp_open = amount
        if amount is not None:
            if amount < 0 or (erp_open is not None and erp_open < 0):
                if negative_is_credit and kind in CREDIT_ITEM_KINDS:
                    amount = -amount if amount < 0 else amount
                    if erp_open is not None and erp_open < 0:
                        erp_open = -erp_open
                elif negative_is_credit:
                    row_errors.append(RowError(line, "amount",
                                               f"negative amount {amount_text} on a debit kind ({kind_text})"))
                else:
                    column, shown = ("amount", amount_text) if amount < 0 else ("open_amount", open_text)
                    row_errors.append(RowError(line, column,
                                               f"negative amount {shown} (positive amounts; the kind says the side)"))
            elif amount == 0:
                row_errors.append(RowError(line, "amount", "amount must be above zero"))
            if erp_open is not None and erp_open > amount and not row_errors:
                row_errors.append(RowError(line, "open_amount",
                                           f"open amount {open_text} is above the amount {amount_text}"))
        document_date = due_date = posting_date = cleared_date = None
        try:
            document_date = parse_date(document_text, date_format)
        except ValueError as exc:
            row_errors.append(RowError(line, "document_date", str(exc)))
        try:
            due_date = parse_date(due_text, date_format)
        except ValueError as exc:
            row_errors.append(RowError(line, "due_date", str(exc)))
        if posting_text:
            try:
                posting_date = parse_date(posting_text, date_format)
            except ValueError as exc:
                row_errors.append(RowError(line, "posting_date", str(exc)))
        if cleared_text:
            try:
                cleared_date = parse_date(cleared_text, date_format)
            except ValueError as exc:
                row_errors.append(RowError(line, "cleared_date", str(exc)))
        amount_entity = None
        if amount_entity_text:
            try:
                amount_entity = abs(parse_money(amount_entity_text, "EUR", decimal_comma))
            except ValueError as exc:
                row_errors.append(RowError(line, "amount_entity", str(exc)))
        for column, value, limit in (("reference", reference, 80), ("external_id", external_id, 80),
                                     ("text", text, 200)):
            if value is not None and len(value) > limit:
                row_errors.append(RowError(line, column, f"longer than {limit} characters"))
        key = (entity, kind, number)
        if row_errors:
            return None, row_errors, key
        return ItemRow(
            line, entity, account, kind, number, document_date, due_date, currency, amount, erp_open,  # type: ignore[arg-type]
            reference, posting_date, amount_entity, external_id, text, cleared_date,
        ), row_errors, key


def duplicate_item(line: int, key: tuple[str, str, str], first: int) -> RowError:
    """The error for a second row with the same (entity, kind, number) as the row on line ``first``."""
    entity, kind, number = key
    return RowError(line, "number", f"duplicate number {number} ({kind}, {entity}) inside the file "
                                    f"(first on line {first})")


def parse_items(rows: Iterable[tuple[int, list[str]]], layout: Layout,
                mapping: Mapping = CANONICAL) -> tuple[list[ItemRow], list[RowError]]:
    """Check item rows into typed rows (the reference check; the import uses ``erp_items.ItemChecker``,
    which gives the same answers faster)."""
    parsed: list[ItemRow] = []
    errors: list[RowError] = []
    first_line: dict[tuple[str, str, str], int] = {}
    checker = ItemRowChecker(layout, mapping)
    for line, values in rows:
        row, row_errors, key = checker.check(line, values)
        if key is not None:
            first = first_line.get(key)
            if first is not None:
                row_errors.append(duplicate_item(line, key, first))
                row = None
            else:
                first_line[key] = line
        if row_errors:
            errors.extend(row_errors)
        elif row is not None:
            parsed.append(row)
    return parsed, errors
