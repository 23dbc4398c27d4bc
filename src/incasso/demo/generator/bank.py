"""Bank statements for the generated ledger, with the ground truth of what each payment pays.

After ``generate`` has written customers.csv and items.csv, ``generate_bank`` pays a realistic
subset of the open debit items over the next ``days`` business days and writes, per entity bank
account and business day, a camt.053.001.08 statement (FR01, ES01, IT01, RO01) or an MT940 message
(DE01, GB01), plus:

* ``entity_bank_accounts.csv``: entity, iban, bic, bank_name, currency (one account per currency the
  entity invoices in);
* ``bank_truth.csv``: for every credit line, its file, the bank's reference (camt ``AcctSvcrRef``,
  MT940 reference after ``//``), the noise class, the paying customer, and the items with the amount
  each should receive (and the cash discount taken), so that a matcher can be scored.

The noise classes are the ways real payers write (or fail to write) what they pay; see ``NOISE``.
Same seed and files in, same bytes out: one ``random.Random`` seeded from text, fixed iteration order.
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from random import Random
from xml.sax.saxutils import escape

from schwifty import IBAN

from incasso.core.bank.references import rf_check_digits
from incasso.demo.generator.catalog import ENTITIES
from incasso.demo.generator.identifiers import iban as make_iban

CENT = Decimal("0.01")
MT940_ENTITIES = ("DE01", "GB01")  # the rest get camt.053
PAYMENTS_PER_DAY_PER_MILLE = 30  # of an entity's open debit items, paid each business day

# (noise class, weight): how payers write what they pay
NOISE: tuple[tuple[str, int], ...] = (
    ("clean", 24), ("rf_reference", 12), ("missing_zeros", 8), ("transposed", 4), ("dropped_char", 4),
    ("prefix_variation", 8), ("multi_invoice", 6), ("amount_only", 5), ("bulk", 6), ("bulk_no_reference", 2),
    ("partial", 4), ("cash_discount", 3), ("bank_charges", 4), ("third_party", 4), ("overpayment", 3),
    ("group_payment", 3),
)
PHRASES = {
    "fr": ("Paiement facture", "Règlement facture", "Virement fact.", "Facture"),
    "es": ("Pago factura", "Pago fra.", "Factura"),
    "de": ("Zahlung Rechnung", "Rechnung", "RE-Ausgleich", "Rg."),
    "it": ("Pagamento fattura", "Saldo fattura", "Fatt."),
    "ro": ("Plata factura", "Contravaloare factura", "Plata fact."),
    "en": ("Payment inv", "Invoice", "Payment for invoice"),
}
NUMBER_WORDS = ("Nr.", "No.", "n°", "nr", "#")
NO_REFERENCE_TEXT = {"fr": "Virement", "es": "Transferencia", "de": "Zahlung", "it": "Bonifico", "ro": "Plata",
                     "en": "Payment"}
BULK_TEXT = {"fr": "Paiement groupé", "es": "Pago agrupado", "de": "Sammelzahlung", "it": "Pagamento cumulativo",
             "ro": "Plata cumulata", "en": "Bulk payment"}
THIRD_PARTIES = ("Factofrance SA", "Eurofactor GmbH", "BNP Paribas Factor", "Banca Ifis S.p.A.", "Holding Payments Ltd")
TRUTH_COLUMNS = ["file", "line_ref", "noise_class", "customer_account", "entity", "amount", "currency",
                 "items", "discounts"]


@dataclass
class _Item:
    number: str
    open_amount: Decimal
    document_date: date
    due_date: date


@dataclass
class _Customer:
    entity: str
    account: str
    name: str
    language: str
    currency: str
    ibans: list[str]
    group: str
    items: list[_Item] = field(default_factory=list)


@dataclass
class _Payment:
    customer: _Customer
    noise: str
    amount: Decimal
    payer_name: str
    payer_iban: str
    text: str = ""
    structured: str = ""
    documents: list[tuple[str, Decimal]] = field(default_factory=list)
    paid: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)  # truth: number, amount, discount
    paid_entities: list[str] = field(default_factory=list)  # entity of each paid item (default: the customer's)


@dataclass
class BankResult:
    out_dir: Path
    files: list[Path] = field(default_factory=list)
    lines: int = 0
    by_noise: dict[str, int] = field(default_factory=dict)


def business_days(after: date, count: int) -> list[date]:
    days, day = [], after
    while len(days) < count:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return days


def entity_accounts() -> list[tuple[str, str, str, str, str]]:
    """(entity, iban, bic, bank_name, currency): one account per currency each entity invoices in."""
    rows = []
    for entity in ENTITIES:
        for currency in [entity.currency] + ([entity.foreign_currency] if entity.foreign_currency else []):
            account = make_iban(entity.country, Random(f"incasso:entity-account:{entity.code}:{currency}"))
            bic = IBAN(account).bic
            rows.append((entity.code, account, str(bic) if bic else "", bic.bank_names[0] if bic else "", currency))
    return rows


def _read_ledger(out: Path) -> dict[str, list[_Customer]]:
    customers: dict[tuple[str, str], _Customer] = {}
    with open(out / "customers.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            customers[(row["entity"], row["account"])] = _Customer(
                row["entity"], row["account"], row["name"], row["language"], row["currency"],
                row["ibans"].split(";"), row["group"])
    with open(out / "items.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["kind"] not in ("invoice", "debit_note") or Decimal(row["open_amount"]) <= 0:
                continue
            customer = customers[(row["entity"], row["account"])]
            if row["currency"] != customer.currency:
                continue
            customer.items.append(_Item(row["number"], Decimal(row["open_amount"]),
                                        date.fromisoformat(row["document_date"]), date.fromisoformat(row["due_date"])))
    by_entity: dict[str, list[_Customer]] = {}
    for customer in customers.values():
        customer.items.sort(key=lambda i: (i.due_date, i.document_date, i.number))
        by_entity.setdefault(customer.entity, []).append(customer)
    return by_entity


def _strip_zeros(number: str) -> str:
    prefix = number.rstrip("0123456789")
    return prefix + str(int(number[len(prefix):]))


def _noisy_number(rng: Random, number: str, noise: str) -> str:
    prefix = number.rstrip("0123456789")
    digits = number[len(prefix):]
    significant = str(int(digits))
    if noise == "missing_zeros":
        return rng.choice((prefix + significant, significant, f"{prefix} {significant}", prefix + digits[2:]))
    if noise == "transposed" and len(significant) >= 2:
        for _ in range(10):
            i = len(digits) - len(significant) + rng.randrange(len(significant) - 1)
            swapped = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:]
            if swapped != digits:
                return prefix + swapped
    if noise == "dropped_char" and len(significant) >= 2:
        i = len(digits) - len(significant) + rng.randrange(len(significant))
        return prefix + digits[:i] + digits[i + 1:]
    if noise == "prefix_variation":
        return rng.choice((f"{rng.choice(NUMBER_WORDS)} {significant}", f"{prefix}-{digits}", f"{prefix} {digits}",
                           f"{rng.choice(NUMBER_WORDS)} {prefix}{digits}", f"{prefix}.{significant}"))
    return number


def _payer_name(rng: Random, name: str) -> str:
    roll = rng.randrange(10)
    if roll < 5:
        return name
    if roll < 7:
        return name.upper()
    if roll < 9:
        return " ".join(name.split()[:-1]) or name  # legal form left out
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()[:35]


def _cents(rng: Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low, high)) / 100


class _Payer:
    """Draws one payment of one noise class from a customer's remaining open items."""

    def __init__(self, rng: Random, pay_date: date, groups: dict[str, list[_Customer]]) -> None:
        self.rng = rng
        self.pay_date = pay_date
        self.groups = groups

    def phrase(self, customer: _Customer) -> str:
        return self.rng.choice(PHRASES.get(customer.language, PHRASES["en"]))

    def take(self, customer: _Customer, item: _Item) -> None:
        customer.items.remove(item)

    def pay(self, customer: _Customer, noise: str) -> _Payment | None:
        rng = self.rng
        items = customer.items
        if not items:
            return None
        payment = _Payment(customer, noise, Decimal(0), _payer_name(rng, customer.name), rng.choice(customer.ibans))
        if rng.randrange(100) < 4 and noise != "third_party":
            payment.payer_iban = make_iban("FR", rng)  # a new account the ledger does not know yet
        item = rng.choice(items[: max(3, len(items) // 2)])  # the older half, mostly
        if noise in ("clean", "rf_reference", "missing_zeros", "transposed", "dropped_char", "prefix_variation",
                     "amount_only", "third_party", "partial", "bank_charges", "overpayment", "cash_discount"):
            amount = item.open_amount
            discount = Decimal(0)
            if noise == "cash_discount":
                recent = [i for i in items if i.document_date + timedelta(days=10) >= self.pay_date]
                if not recent:
                    return None
                item = rng.choice(recent)
                discount = (item.open_amount * Decimal("0.02")).quantize(CENT, ROUND_HALF_UP)
                amount = item.open_amount - discount
            elif noise == "partial":
                amount = (item.open_amount * rng.randint(20, 80) / 100).quantize(CENT, ROUND_HALF_UP)
            elif noise == "bank_charges":
                charge = _cents(rng, 10, 99) if rng.randrange(2) else _cents(rng, 250, 1500)
                if charge >= item.open_amount:
                    return None
                amount = item.open_amount - charge
            elif noise == "overpayment":
                amount = item.open_amount + _cents(rng, 500, 20000)
            payment.amount = amount
            payment.paid = [(item.number, min(amount, item.open_amount), discount)]
            if noise == "rf_reference":
                payment.structured = f"RF{rf_check_digits(item.number)}{item.number}"
            elif noise == "amount_only":
                payment.text = rng.choice((NO_REFERENCE_TEXT.get(customer.language, "Payment"), ""))
            elif noise in ("missing_zeros", "transposed", "dropped_char", "prefix_variation"):
                noisy = _noisy_number(rng, item.number, noise)
                payment.text = f"{self.phrase(customer)} {noisy}"
            else:
                payment.text = f"{self.phrase(customer)} {item.number}"
            if noise == "third_party":
                payment.payer_name = rng.choice(THIRD_PARTIES)
                payment.payer_iban = make_iban(rng.choice(("FR", "DE", "IT")), rng)
                payment.text = f"{payment.text} {customer.name[:40]}"
            self.take(customer, item)
            return payment
        if noise == "multi_invoice":
            chosen = rng.sample(items, min(len(items), rng.randint(2, 4)))
            if len(chosen) < 2:
                return None
            joiner = rng.choice((" ", ", ", " + ", " / "))
            payment.text = f"{self.phrase(customer)} {joiner.join(i.number for i in chosen)}"
        elif noise in ("bulk", "bulk_no_reference"):
            count = min(len(items), rng.randint(2, 20 if noise == "bulk" else 6))
            if count < 2:
                return None
            chosen = items[:count] if noise == "bulk_no_reference" else rng.sample(items, count)
            if noise == "bulk":
                payment.documents = [(i.number, i.open_amount) for i in chosen]
                payment.text = BULK_TEXT.get(customer.language, "Bulk payment")
            else:
                payment.text = rng.choice((BULK_TEXT.get(customer.language, "Bulk payment"), ""))
        elif noise == "group_payment":
            siblings = [c for c in self.groups.get(customer.group, []) if c is not customer and c.items
                        and c.currency == customer.currency]
            if not customer.group or not siblings:
                return None
            sibling = rng.choice(siblings)
            sibling_item = sibling.items[0]
            payment.text = f"{self.phrase(customer)} {item.number} {sibling_item.number}"
            payment.amount = item.open_amount + sibling_item.open_amount
            payment.paid = [(item.number, item.open_amount, Decimal(0)),
                            (sibling_item.number, sibling_item.open_amount, Decimal(0))]
            payment.paid_entities = [customer.entity, sibling.entity]
            self.take(customer, item)
            self.take(sibling, sibling_item)
            return payment
        else:
            raise ValueError(f"unknown noise class {noise!r}")
        payment.amount = sum((i.open_amount for i in chosen), Decimal(0))
        payment.paid = [(i.number, i.open_amount, Decimal(0)) for i in chosen]
        for chosen_item in chosen:
            self.take(customer, chosen_item)
        return payment


# --- writing -------------------------------------------------------------------------------------


def _ascii(text: str) -> str:
    """SWIFT's character set: no accents, no ampersand (MT940 files are transliterated by the bank)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().replace("&", "+")
    return "".join(c for c in plain if c.isalnum() or c in " .,-+()'?:")


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _camt(account: tuple[str, str, str, str, str], day: date, sequence: int, opening: Decimal,
          lines: list[tuple[str, _Payment]]) -> str:
    entity, iban, bic, _bank, currency = account
    closing = opening + sum((p.amount for _ref, p in lines), Decimal(0))
    stamp = f"{day.isoformat()}T18:00:00"
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">',
        "<BkToCstmrStmt>",
        f"<GrpHdr><MsgId>STMT-{entity}-{currency}-{day:%Y%m%d}</MsgId><CreDtTm>{stamp}</CreDtTm></GrpHdr>",
        f"<Stmt><Id>{entity}-{currency}-{day:%Y%m%d}</Id><ElctrncSeqNb>{sequence}</ElctrncSeqNb>"
        f"<CreDtTm>{stamp}</CreDtTm>",
        f"<Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>{currency}</Ccy><Svcr><FinInstnId><BICFI>{bic}</BICFI>"
        "</FinInstnId></Svcr></Acct>",
    ]
    for code, amount in (("OPBD", opening), ("CLBD", closing)):
        out.append(f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"{currency}\">{_amount(abs(amount))}"
                   f"</Amt><CdtDbtInd>{'CRDT' if amount >= 0 else 'DBIT'}</CdtDbtInd><Dt><Dt>{day.isoformat()}</Dt>"
                   "</Dt></Bal>")
    out.append(f"<TxsSummry><TtlCdtNtries><NbOfNtries>{len(lines)}</NbOfNtries><Sum>"
               f"{_amount(closing - opening)}</Sum></TtlCdtNtries></TxsSummry>")
    for reference, payment in lines:
        amount = f'<Amt Ccy="{currency}">{_amount(payment.amount)}</Amt>'
        remittance = []
        if payment.text:
            remittance.append(f"<Ustrd>{escape(payment.text[:140])}</Ustrd>")
        if payment.structured:
            remittance.append("<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>ISO</Issr></Tp>"
                              f"<Ref>{payment.structured}</Ref></CdtrRefInf></Strd>")
        for number, paid in payment.documents:
            remittance.append(f"<Strd><RfrdDocInf><Tp><CdOrPrtry><Cd>CINV</Cd></CdOrPrtry></Tp><Nb>{escape(number)}</Nb>"
                              f"</RfrdDocInf><RfrdDocAmt><RmtdAmt Ccy=\"{currency}\">{_amount(paid)}</RmtdAmt>"
                              "</RfrdDocAmt></Strd>")
        out.append(
            f"<Ntry><NtryRef>{reference}</NtryRef>{amount}<CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
            f"<BookgDt><Dt>{day.isoformat()}</Dt></BookgDt><ValDt><Dt>{day.isoformat()}</Dt></ValDt>"
            f"<AcctSvcrRef>{reference}</AcctSvcrRef>"
            "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
            f"<NtryDtls><TxDtls><Refs><AcctSvcrRef>{reference}</AcctSvcrRef><EndToEndId>E2E{reference}</EndToEndId>"
            f"</Refs>{amount}<CdtDbtInd>CRDT</CdtDbtInd>"
            f"<RltdPties><Dbtr><Pty><Nm>{escape(payment.payer_name)}</Nm></Pty></Dbtr>"
            f"<DbtrAcct><Id><IBAN>{payment.payer_iban}</IBAN></Id></DbtrAcct></RltdPties>"
            + (f"<RmtInf>{''.join(remittance)}</RmtInf>" if remittance else "")
            + "</TxDtls></NtryDtls></Ntry>"
        )
    out += ["</Stmt>", "</BkToCstmrStmt>", "</Document>", ""]
    return "\n".join(out)


def _wrap(text: str, width: int = 65) -> list[str]:
    return [text[i:i + width] for i in range(0, len(text), width)] or [""]


def _mt940(account: tuple[str, str, str, str, str], day: date, sequence: int, opening: Decimal,
           lines: list[tuple[str, _Payment]]) -> str:
    entity, iban, _bic, _bank, currency = account
    closing = opening + sum((p.amount for _ref, p in lines), Decimal(0))

    def swift(amount: Decimal) -> str:
        return _amount(abs(amount)).replace(".", ",")

    out = [f":20:STMT{entity}{day:%y%m%d}", f":25:{iban}", f":28C:{sequence:05d}/001",
           f":60F:{'C' if opening >= 0 else 'D'}{day:%y%m%d}{currency}{swift(opening)}"]
    for reference, payment in lines:
        out.append(f":61:{day:%y%m%d}{day:%m%d}C{swift(payment.amount)}NTRFE2E{reference}//{reference}")
        text = payment.text
        if payment.documents:
            text = f"{text} {' '.join(n for n, _paid in payment.documents)}".strip()
        remittance = f"/REMI/STRD/{payment.structured}" if payment.structured else f"/REMI/USTD//{_ascii(text)}"
        info = (f"/EREF/E2E{reference}/NAME/{_ascii(payment.payer_name)}/IBAN/{payment.payer_iban}{remittance}")
        wrapped = _wrap(info)
        out.append(f":86:{wrapped[0]}")
        out.extend(wrapped[1:])
    out += [f":62F:{'C' if closing >= 0 else 'D'}{day:%y%m%d}{currency}{swift(closing)}", "-", ""]
    return "\r\n".join(out)


def generate_bank(out_dir: Path | str, *, seed: int, as_of: date, days: int) -> BankResult:
    """Pay open items of the ledger in ``out_dir`` over ``days`` business days after ``as_of``; write the
    statements under ``out_dir/bank``, ``entity_bank_accounts.csv`` and ``bank_truth.csv``."""
    out = Path(out_dir)
    result = BankResult(out)
    rng = Random(f"incasso:bank:{seed}:{as_of.isoformat()}")
    accounts = entity_accounts()
    with open(out / "entity_bank_accounts.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["entity", "iban", "bic", "bank_name", "currency"])
        writer.writerows(accounts)
    by_entity = _read_ledger(out)
    groups: dict[str, list[_Customer]] = {}
    for entity in ENTITIES:
        for customer in by_entity.get(entity.code, []):
            if customer.group:
                groups.setdefault(customer.group, []).append(customer)
    statements = out / "bank"
    statements.mkdir(exist_ok=True)
    balances = {(a[0], a[4]): Decimal(rng.randint(5_000_000, 50_000_000)) / 100 for a in accounts}
    classes = [c for c, _w in NOISE]
    weights = [w for _c, w in NOISE]
    truth_rows = []
    for sequence, day in enumerate(business_days(as_of, days), start=1):
        payer = _Payer(rng, day, groups)
        for account in accounts:
            entity, _iban, _bic, _bank, currency = account
            customers = [c for c in by_entity.get(entity, []) if c.currency == currency and c.items]
            open_count = sum(len(c.items) for c in customers)
            wanted = max(1, open_count * PAYMENTS_PER_DAY_PER_MILLE // 1000) if customers else 0
            lines: list[tuple[str, _Payment]] = []
            attempts = 0
            while len(lines) < wanted and attempts < wanted * 5:
                attempts += 1
                noise = rng.choices(classes, weights)[0]
                pool = [c for c in customers if c.group] if noise == "group_payment" else customers
                if not pool:
                    continue
                customer = rng.choice(pool)
                if not customer.items:
                    continue
                payment = payer.pay(customer, noise)
                if payment is None:
                    continue
                lines.append((f"{entity}{currency}{day:%y%m%d}{len(lines) + 1:05d}", payment))
            if not lines:
                continue
            mt940 = entity in MT940_ENTITIES
            name = f"{entity}_{currency}_{day:%Y%m%d}.{'sta' if mt940 else 'xml'}"
            opening = balances[(entity, currency)]
            text = (_mt940 if mt940 else _camt)(account, day, sequence, opening, lines)
            (statements / name).write_bytes(text.encode("utf-8"))
            balances[(entity, currency)] = opening + sum((p.amount for _r, p in lines), Decimal(0))
            result.files.append(statements / name)
            for reference, payment in lines:
                entities = payment.paid_entities or [payment.customer.entity] * len(payment.paid)
                truth_rows.append([
                    f"bank/{name}", reference, payment.noise, payment.customer.account, payment.customer.entity,
                    _amount(payment.amount), currency,
                    ";".join(f"{e}/{n}={_amount(a)}" for e, (n, a, _d) in zip(entities, payment.paid, strict=True)),
                    ";".join(f"{e}/{n}={_amount(d)}" for e, (n, _a, d) in zip(entities, payment.paid, strict=True)
                             if d),
                ])
                result.by_noise[payment.noise] = result.by_noise.get(payment.noise, 0) + 1
    with open(out / "bank_truth.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(TRUTH_COLUMNS)
        writer.writerows(truth_rows)
    result.lines = len(truth_rows)
    return result
