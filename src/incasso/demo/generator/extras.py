"""The demo's inbox beyond the ERP extract and the bank's camt/MT940 statements (pure, deterministic).

After ``generate`` and ``generate_bank`` have written their files, ``generate_extras`` adds what
shows the cash application's newer inputs and the targets of the cash report:

* ``bank_csv/<mapping>/RO01_EUR_<day>.csv``: a CSV export of the Romanian entity's EUR account for
  the last bank day, in a Romanian bank's layout (semicolons, ``dd.mm.yyyy``, decimal comma). The
  folder is the name of the saved column mapping that reads it (``CSV_MAPPING``); the daily cycle
  imports it with ``incasso bank import --mapping <mapping>``. It pays items no other statement pays;
  ``bank_csv_truth.csv`` says which (same columns as ``bank_truth.csv``).
* ``remittance/advices_<day>.csv``: remittance advices (payer, date, invoices and amounts) for the
  payments whose bank text names no invoice (bulk payments first, then single ones), imported by
  ``incasso bank remittance`` before the matching run, which then reads the advice's invoice list.
* ``cash_targets.csv``: entity, currency, month, amount: the cash each entity should collect per
  month, for the three months up to the as-of date and the next one (90 % of what falls due in the
  month, at least the month's average), set through ``reports.targets.set_cash_target``.

Same files in, same bytes out: one ``random.Random`` seeded from text, fixed iteration order.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from random import Random

from incasso.core.bank import parse_file
from incasso.demo.generator.bank import (
    PHRASES,
    TRUTH_COLUMNS,
    _payer_name,
    _read_ledger,
    business_days,
    entity_accounts,
)

CSV_ENTITY, CSV_CURRENCY = "RO01", "EUR"
CSV_PAYMENTS = 6
# the saved column mapping (cashapp.BankFileMapping fields) that reads the CSV export
CSV_MAPPING: dict[str, object] = {
    "name": "ro01-eur-csv", "header_line": 1, "booking_date": "Data operatiunii", "value_date": "Data valutei",
    "amount": "Suma", "currency": "Moneda", "counterparty_name": "Platitor", "counterparty_iban": "IBAN platitor",
    "remittance": "Detalii", "bank_reference": "Referinta", "date_format": "%d.%m.%Y", "decimal_separator": ",",
    "sign_convention": "signed",
}
CSV_COLUMNS = ["Data operatiunii", "Data valutei", "Suma", "Moneda", "Platitor", "IBAN platitor", "Detalii",
               "Referinta"]
ADVICE_COLUMNS = ["payment_date", "payer", "payer_iban", "payer_account", "invoice", "paid", "amount", "currency"]
ADVICES = 3  # payments without references that get an advice
ADVICE_CLASSES = ("bulk_no_reference", "amount_only")  # in this order of preference
TARGET_COLUMNS = ["entity", "currency", "month", "amount"]
TARGET_SHARE = Decimal("0.9")


@dataclass
class ExtrasResult:
    csv_statement: Path | None = None
    csv_lines: int = 0
    remittance_file: Path | None = None
    advices: int = 0
    targets: list[tuple[str, str, date, Decimal]] = field(default_factory=list)


def paid_in_statements(out: Path) -> set[tuple[str, str]]:
    """(entity, number) of every item the generated statements pay (bank_truth.csv, bank_csv_truth.csv)."""
    paid = set()
    for name in ("bank_truth.csv", "bank_csv_truth.csv"):
        if not (out / name).exists():
            continue
        with open(out / name, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                for part in row["items"].split(";"):
                    entity, rest = part.split("/", 1)
                    paid.add((entity, rest.split("=")[0]))
    return paid


def _euro_text(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def _csv_statement(out: Path, rng: Random, day: date) -> tuple[Path | None, int]:
    (out / "bank_csv_truth.csv").unlink(missing_ok=True)
    paid = paid_in_statements(out)
    customers = [c for c in _read_ledger(out).get(CSV_ENTITY, []) if c.currency == CSV_CURRENCY]
    candidates = [(c, i) for c in customers for i in c.items if (c.entity, i.number) not in paid]
    if not candidates:
        return None, 0
    chosen = rng.sample(candidates, min(CSV_PAYMENTS, len(candidates)))
    chosen.sort(key=lambda pair: (pair[0].account, pair[1].number))
    folder = out / "bank_csv" / str(CSV_MAPPING["name"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{CSV_ENTITY}_{CSV_CURRENCY}_{day:%Y%m%d}.csv"
    truth = []
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for n, (customer, item) in enumerate(chosen, start=1):
            phrase = rng.choice(PHRASES.get(customer.language, PHRASES["en"]))
            reference = f"CSV{CSV_ENTITY}{day:%y%m%d}{n:04d}"
            writer.writerow([f"{day:%d.%m.%Y}", f"{day:%d.%m.%Y}", _euro_text(item.open_amount), CSV_CURRENCY,
                             _payer_name(rng, customer.name), customer.ibans[0], f"{phrase} {item.number}",
                             reference])
            truth.append([path.relative_to(out).as_posix(), reference, "clean", customer.account, customer.entity,
                          f"{item.open_amount:.2f}", CSV_CURRENCY, f"{customer.entity}/{item.number}="
                          f"{item.open_amount:.2f}", ""])
    with open(out / "bank_csv_truth.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(TRUTH_COLUMNS)
        writer.writerows(truth)
    return path, len(chosen)


def _remittance(out: Path, day: date) -> tuple[Path | None, int]:
    """Advices for the first bulk payments without references, read back from the statements' truth."""
    rows = []
    with open(out / "bank_truth.csv", encoding="utf-8", newline="") as handle:
        lines = list(csv.DictReader(handle))
    truth = [row for kind in ADVICE_CLASSES for row in lines if row["noise_class"] == kind][:ADVICES]
    if not truth:
        return None, 0
    names = _payers(out, truth)
    for row in truth:
        payer_name, payer_iban, pay_date = names[row["line_ref"]]
        for part in row["items"].split(";"):
            _entity, rest = part.split("/", 1)
            number, amount = rest.split("=")
            rows.append([pay_date, payer_name, payer_iban, row["customer_account"], number, amount, row["amount"],
                         row["currency"]])
    folder = out / "remittance"
    folder.mkdir(exist_ok=True)
    path = folder / f"advices_{day:%Y%m%d}.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(ADVICE_COLUMNS)
        writer.writerows(rows)
    return path, len(truth)


def _payers(out: Path, truth: list[dict[str, str]]) -> dict[str, tuple[str, str, str]]:
    """Payer name, IBAN and booking date of the given bank lines, as the statements carry them."""
    wanted = {row["line_ref"]: row["file"] for row in truth}
    found: dict[str, tuple[str, str, str]] = {}
    for name in sorted(set(wanted.values())):
        for statement in parse_file(out / name):
            for entry in statement.entries:
                reference = entry.bank_reference
                if reference in wanted and reference not in found:
                    detail = entry.details[0] if entry.details else None
                    day = entry.booking_date or entry.value_date
                    found[reference] = (entry.counterparty_name or (detail.counterparty_name if detail else ""),
                                        entry.counterparty_iban or (detail.counterparty_iban if detail else ""),
                                        day.isoformat() if day else "")
    return found


def _month_starts(as_of: date) -> list[date]:
    first = as_of.replace(day=1)
    months = []
    for back in (-2, -1, 0, 1):
        index = first.year * 12 + first.month - 1 + back
        months.append(date(index // 12, index % 12 + 1, 1))
    return months


def _targets(out: Path, as_of: date) -> list[tuple[str, str, date, Decimal]]:
    months = _month_starts(as_of)
    due: dict[tuple[str, str, date], Decimal] = {}
    with open(out / "items.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["kind"] not in ("invoice", "debit_note"):
                continue
            month = date.fromisoformat(row["due_date"]).replace(day=1)
            if month in months:
                key = (row["entity"], row["currency"], month)
                due[key] = due.get(key, Decimal(0)) + Decimal(row["amount"])
    targets = []
    for entity, currency in sorted({(e, c) for e, c, _m in due}):
        amounts = [due.get((entity, currency, month), Decimal(0)) for month in months]
        floor = sum(amounts, Decimal(0)) / len(months)
        for month, amount in zip(months, amounts, strict=True):
            target = (max(amount * TARGET_SHARE, floor) / 1000).to_integral_value(ROUND_DOWN) * 1000
            if target > 0:
                targets.append((entity, currency, month, target))
    with open(out / "cash_targets.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(TARGET_COLUMNS)
        writer.writerows([e, c, m.isoformat(), f"{a:.2f}"] for e, c, m, a in targets)
    return targets


def generate_extras(out_dir: Path | str, *, seed: int, as_of: date, days: int) -> ExtrasResult:
    """Write the CSV statement, the remittance advices and the cash targets (see the module doc) for
    the ledger and statements ``generate`` and ``generate_bank`` wrote into ``out_dir``."""
    out = Path(out_dir)
    rng = Random(f"incasso:extras:{seed}:{as_of.isoformat()}")
    last_day = business_days(as_of, days)[-1]
    result = ExtrasResult()
    result.csv_statement, result.csv_lines = _csv_statement(out, rng, last_day)
    result.remittance_file, result.advices = _remittance(out, last_day)
    result.targets = _targets(out, last_day)
    return result


def csv_account_iban() -> str:
    """The IBAN of the account the CSV export is of (the mapping's bank account)."""
    return next(a[1] for a in entity_accounts() if a[0] == CSV_ENTITY and a[4] == CSV_CURRENCY)
