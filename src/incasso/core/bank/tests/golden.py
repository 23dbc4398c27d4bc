"""What the peer projects assert about the corpus files, and our comparison with it.

Used by the corpus tests and by ``bench/corpus_report.py``. Each ``check_*`` returns a list of
mismatch descriptions (empty when the peer and we agree); ``golden_checks(path)`` names the
checks that apply to one corpus file. Peer values come from the golden files the corpus keeps
(mt940-rs JSON, WoLpH's flattened yml summary, genkgo JSON dumps, OCA ``.pydata``, moov BAI2
JSON) or, where a peer asserts in its test code, from MANIFEST.md (written out here).
"""

from __future__ import annotations

import ast
import csv
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from incasso.core.bank.model import Sign, Statement
from incasso.core.money import MINOR_UNITS
from incasso.testing.corpus import CORPUS  # noqa: F401 - re-exported: the one place that knows where ../shared/corpus is

# files the peers reject or that are not statements; we reject them too, with this reason
EXPECTED_FAILURES: dict[str, str] = {
    "genkgo-camt/camt053.v2.wrong.xml": "no Stmt element",
    "dvbern-iso20022-ch/camt054/v00104/invalid/camt_054_Beispiel_NotificationMissing.xml": "no camt message",
    "dvbern-iso20022-ch/pain001/v00103ch02/pain001ExampleOutput.xml": "not a camt",
    "dvbern-iso20022-ch/pain001/v00103ch02/pain001TestReference.xml": "not a camt",
    "dvbern-iso20022-ch/pain008/v00102ch03/pain008Reference.xml": "not a camt",
    "moov-bai2/errors/sample-parseError.txt": "not a bank statement",
    "svenstaro-mt940-rs/mt940/full/betterplace/sepa_snippet_broken.sta": "second :25:",
    "wolph-mt940/betterplace/sepa_snippet_broken.sta": "second :25:",
    "svenstaro-mt940-rs/mt940/special-cases/invalid_statement.sta": "not a bank statement",
    "wolph-mt940/self-provided/invalid_statement.sta": "not a bank statement",
    "svenstaro-mt940-rs/mt940/special-cases/unexpected_tag.sta": "no :25: account",
    "svenstaro-mt940-rs/mt942/full/cmxl/mt942_1.sta": "empty",
    "pennylane-cfonb/end_of_statement_without_beginning.txt": "without its beginning",
    "pennylane-cfonb/invalid_date.txt": "not a date",
    "pennylane-cfonb/new_statement_without_previous_ended.txt": "before the previous one ended",
    "pennylane-cfonb/operation_detail_without_operation.txt": "without an operation",
    "pennylane-cfonb/operation_out_of_statement.txt": "outside a statement",
    "pennylane-cfonb/operation_unstarted.txt": "without an operation",
    "pennylane-cfonb/operation.txt": "outside a statement",
    "pennylane-cfonb/operation_already_defined.txt": "outside a statement",
    "stupidedi-x12/004010/IN810/pass/1.edi": "810 is not an 820",
    "stupidedi-x12/004010/IN810/ghx_sample.810": "810 is not an 820",
}
# WoLpH's tag-level unit-test snippets: no :20: message, or no :25: account; WoLpH reads the tags,
# we refuse a "statement" without an account (see docs/bank-formats.md)
SNIPPET_REASONS = ("not a bank statement", "no :25: account", "no :20:")

# where we and a peer read the same bytes differently on purpose: {path: {check: (substring, why)}}
KNOWN_DISAGREEMENTS: dict[str, dict[str, tuple[tuple[str, ...], str]]] = {
    "svenstaro-mt940-rs/mt940/full/betterplace/sepa_mt9401.sta": {"mt940-rs JSON": (
        ("-204.88",), "mark RC is a reversal of a credit, a debit in SWIFT's definition of :61:; "
                      "mt940-rs reads RCR as a reversed debit, WoLpH keeps RC positive by default (its own docs "
                      "call that a legacy bug, fixed by Options(reversal_sign=True))")},
    "wolph-mt940/betterplace/sepa_mt9401.sta": {"WoLpH yml": (
        ("sum of amounts",), "the same two RC lines as above: WoLpH's default keeps a reversal of a credit positive")},
    "wolph-mt940/self-provided/raphaelm.sta": {"WoLpH yml": (
        ("final_closing_balance", "intermediate_closing_balance"),
        ":62M:C020315105000,00 has no currency: WoLpH reads currency '105' and amount 000,00; we read "
        "105000.00 in the statement's currency (DEM), with a warning")},
}

BANK_KINDS = {"iso20022", "iso20022-pain", "mt940/942", "mt940-snippet/edge-case", "bai2", "coda", "norma43",
              "cfonb120", "cfonb120-edge-case", "x12", "zip", "other"}


def corpus_files(corpus: Path) -> list[tuple[str, str]]:
    """(path, INVENTORY kind) of every bank-format file of the corpus."""
    with open(corpus / "INVENTORY.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [(r["path"], r["kind"]) for r in rows if r["kind"] in BANK_KINDS]


def format_family(path: str, kind: str) -> str:
    if path.startswith("moov-bai2/"):
        return "BAI2"
    if kind.startswith("iso20022") or kind == "zip" or path.endswith(".xml"):
        return "camt (ISO 20022)"
    if kind.startswith("mt940"):
        return "MT940/MT942"
    if kind.startswith("cfonb"):
        return "CFONB120"
    return {"bai2": "BAI2", "coda": "CODA", "norma43": "Norma 43", "x12": "X12 820"}.get(kind, kind)


def leaves(statements: list[Statement]) -> list[Decimal]:
    """Signed amounts at the level peers count transactions: batch details, else the booking."""
    amounts = []
    for statement in statements:
        for entry in statement.entries:
            if entry.details and all(d.amount is not None for d in entry.details):
                amounts += [d.amount if (d.sign or entry.sign) is Sign.CREDIT else -d.amount  # type: ignore[operator]
                            for d in entry.details]
            else:
                amounts.append(entry.signed_amount)
    return amounts


def _eq(what: str, ours: object, theirs: object) -> list[str]:
    return [] if ours == theirs else [f"{what}: ours {ours!r}, peer {theirs!r}"]


def _d(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


# ---- svenstaro/mt940-rs: one JSON object per message -------------------------------------------------
def check_mt940rs(statements: list[Statement], golden: Path) -> list[str]:
    expected = json.loads(golden.read_text())
    problems = _eq("message count", len(statements), len(expected))
    for i, (ours, theirs) in enumerate(zip(statements, expected, strict=False), start=1):
        def signed(balance: dict) -> Decimal:
            amount = Decimal(balance["amount"])
            return amount if balance["debit_credit_indicator"] == "Credit" else -amount
        problems += _eq(f"message {i} lines", len(ours.entries), len(theirs["statement_lines"]))
        problems += _eq(f"message {i} opening", ours.opening_balance, signed(theirs["opening_balance"]))
        problems += _eq(f"message {i} closing", ours.closing_balance, signed(theirs["closing_balance"]))
        for j, (entry, line) in enumerate(zip(ours.entries, theirs["statement_lines"], strict=False), start=1):
            amount = Decimal(line["amount"])
            credit = line["ext_debit_credit_indicator"] in ("Credit", "ReverseDebit")
            problems += _eq(f"message {i} line {j} amount", entry.signed_amount, amount if credit else -amount)
    return problems


# ---- WoLpH/mt940: flattened yml summary (tags of the last message of a file) -------------------------
def check_wolph(statements: list[Statement], summary: dict) -> list[str]:
    problems = _eq("transactions", sum(len(s.entries) for s in statements), summary["n_transactions"])
    if "sum_tx_amounts" in summary:
        total = sum((e.signed_amount for s in statements for e in s.entries), Decimal(0))
        problems += _eq("sum of amounts", total, Decimal(summary["sum_tx_amounts"]))
    tags = {"final_opening_balance": "opening", "final_closing_balance": "closing",
            "intermediate_opening_balance": "interim_opening", "intermediate_closing_balance": "interim",
            "available_balance": "closing_available", "forward_available_balance": "forward_available"}
    for key, kind in tags.items():
        if key in summary:
            ours = [b for s in statements for b in s.balances if b.kind == kind]
            peer = summary[key]
            amount = Decimal(peer["amount"])
            # WoLpH keeps the sign in the amount for D balances already in some dumps
            signed = amount if peer["status"] == "C" or amount < 0 else -amount
            problems += _eq(key, ours[-1].amount if ours else None, signed)
    if "account_identification" in summary:
        peer = summary["account_identification"]
        # we drop a currency code glued to an IBAN in :25: (NL..0574908765EUR); WoLpH keeps it
        if not (peer.startswith(statements[-1].account) and len(peer) - len(statements[-1].account) in (0, 3)):
            problems += _eq("account", statements[-1].account, peer)
    return problems


# ---- genkgo/camt: PHP object dump, amounts in minor units -------------------------------------------
def _minor(amount: dict) -> Decimal:
    currency = amount["getCurrency"]["getCode"]
    return Decimal(amount["getAmount"]).scaleb(-MINOR_UNITS.get(currency, 2))


def check_genkgo(statements: list[Statement], golden: Path) -> list[str]:
    dump = json.loads(golden.read_text())
    records = {r["getId"]: r for r in dump["getRecords"] if isinstance(r, dict)}
    for entry in dump["getEntries"]:
        record = entry.get("getRecord")
        if isinstance(record, dict):
            records.setdefault(record["getId"], record)
    problems = _eq("records", len(statements), len(dump["getRecords"]))
    ours_entries = [e.signed_amount for s in statements for e in s.entries]
    theirs_entries = [_minor(e["getAmount"]) for e in dump["getEntries"]]
    # genkgo's message-level list holds the entries it could dump without recursion: each must be ours
    problems += [f"entry {amount} not among ours {ours_entries}" for amount in theirs_entries
                 if amount not in ours_entries]
    by_id = {s.statement_id: s for s in statements}
    for record_id, record in records.items():
        statement = by_id.get(record_id)
        if statement is None:
            problems.append(f"record {record_id} not found")
            continue
        for balance in record.get("getBalances") or []:
            if not isinstance(balance, dict):
                continue
            if balance["getType"] in ("opening", "closing"):
                matching = [b.amount for b in statement.balances if b.kind == balance["getType"]]
                if _minor(balance["getAmount"]) not in matching:
                    expected = _minor(balance["getAmount"])
                    problems.append(f"{record_id} {balance['getType']} {expected} not in {matching}")
    return problems


# ---- OCA/bank-statement-import camt: Odoo's parse result as a Python literal ------------------------
def check_oca_camt(statements: list[Statement], golden: Path) -> list[str]:
    currency, account, expected = ast.literal_eval(golden.read_text())
    if not expected:
        return _eq("entries", sum(len(s.entries) for s in statements), 0)
    problems = _eq("currency", statements[0].currency, currency) + _eq("account", statements[0].account, account)
    for ours, theirs in zip(statements, expected, strict=False):
        if "balance_start" in theirs and (ours.opening_balance is not None or theirs["balance_start"]):
            # Odoo fills 0.0 where a camt.054 notification states no balance at all
            problems += _eq("opening", ours.opening_balance, _d(theirs["balance_start"]))
            problems += _eq("closing", ours.closing_balance, _d(theirs["balance_end_real"]))
        problems += _eq("transactions", leaves([ours]), [_d(t["amount"]) for t in theirs["transactions"]])
    return problems


# ---- moov-io/bai2: detail counts per account --------------------------------------------------------
def check_moov(statements: list[Statement], golden: Path) -> list[str]:
    expected = json.loads(golden.read_text())
    accounts = [a for g in expected["Groups"] for a in g["Accounts"]]
    problems = _eq("accounts", [s.account for s in statements], [a["accountNumber"] for a in accounts])
    problems += _eq("details per account", [len(s.entries) for s in statements],
                    [len(a.get("Details") or []) for a in accounts])
    for statement, account in zip(statements, accounts, strict=False):
        for entry, detail in zip(statement.entries, account.get("Details") or [], strict=False):
            problems += _eq(f"{account['accountNumber']} detail {detail['TypeCode']}", entry.amount,
                            Decimal(str(detail["Amount"])) / 100)
    return problems


# ---- peers that assert in test code (values from MANIFEST.md) ----------------------------------------
def _inline(**expected: object) -> Callable[[list[Statement]], list[str]]:
    def check(statements: list[Statement]) -> list[str]:
        s = statements[0]
        problems: list[str] = []
        for key, value in expected.items():
            if key == "statements":
                problems += _eq(key, len(statements), value)
            elif key == "leaves":
                problems += _eq(key, leaves(statements), [Decimal(v) for v in value])  # type: ignore[union-attr]
            elif key == "leaves_nonzero":
                problems += _eq(key, [a for a in leaves(statements) if a], [Decimal(v) for v in value])  # type: ignore[union-attr]
            elif key == "first_leaves":
                problems += _eq(key, leaves(statements)[:len(value)], [Decimal(v) for v in value])  # type: ignore[arg-type]
            elif key in ("opening_balance", "closing_balance"):
                problems += _eq(key, getattr(s, key), Decimal(str(value)))
            elif key == "last_closing":
                problems += _eq(key, statements[-1].closing_balance, Decimal(str(value)))
            elif key == "entries":
                problems += _eq(key, sum(len(x.entries) for x in statements), value)
            elif key == "first_reference":
                problems += _eq(key, s.entries[0].remittance.structured_reference, value)
            elif key == "first_counterparty":
                problems += _eq(key, (s.entries[0].counterparty_name, s.entries[0].counterparty_iban), value)
            elif key == "documents":
                docs = [(d.number, d.amount_paid) for e in s.entries for d in e.remittance.documents]
                problems += _eq(key, docs, [(n, Decimal(a)) for n, a in value])  # type: ignore[union-attr]
            elif key == "detail_reference":
                refs = [d.remittance.structured_reference for e in s.entries for d in e.details]
                problems += _eq(key, value in refs, True)
            else:
                problems += _eq(key, getattr(s, key), value)
        return problems
    return check


INLINE: dict[str, Callable[[list[Statement]], list[str]]] = {
    "wimverstuyf-php-coda-parser/sample1.cod": _inline(
        statements=1, opening_balance="17752.12", closing_balance="17832.12", entries=4, first_leaves=["5"],
        first_reference="000003505158", first_counterparty=("KLANT1 MET NAAM1", "BE22313215646432")),
    "wimverstuyf-php-coda-parser/sample5.cod": _inline(statements=1, entries=3),
    "wimverstuyf-php-coda-parser/sample6.cod": _inline(
        statements=1, opening_balance="4004.1", closing_balance="-500012.1", account="001548226815",
        first_leaves=["-767.823"]),
    "wimverstuyf-php-coda-parser/sample7.cod": _inline(
        opening_balance="17752.12", closing_balance="17832.12", leaves=["-25", "-20", "-30"]),
    "wimverstuyf-php-coda-parser/sample8.cod": _inline(entries=2),
    "wimverstuyf-php-coda-parser/sample9.cod": _inline(entries=1),
    "wimverstuyf-php-coda-parser/sample10.cod": _inline(opening_balance="100", closing_balance="1100",
                                                         leaves=["250", "750"]),
    "wimverstuyf-php-coda-parser/sample11.cod": _inline(opening_balance="100", closing_balance="1100", leaves=["1000"]),
    "oca-l10n-spain-n43/test.n43": _inline(opening_balance="0", closing_balance="101.96",
                                           leaves_nonzero=["-0.03", "-178.30", "280.29"]),
    "oca-l10n-spain-n43/testmulti.n43": _inline(statements=2),
    "sequra-norma43/example1.n43": _inline(statements=1, entries=4, closing_balance="788899999999.99"),
    "sequra-norma43/example2.n43": _inline(statements=1, entries=4, opening_balance="86145.71"),
    "pennylane-cfonb/example.txt": _inline(
        statements=2, opening_balance="-190.40", closing_balance="-241.21", last_closing="-163.72",
        leaves=["-32.21", "-10.70", "-7.90", "97.49", "-12.10", "-7.90"]),
    "stupidedi-x12/003010/RA820/pass/1.edi": _inline(
        leaves=["18806.08"], documents=[("0900", "8136.13"), ("8221", "10669.95")]),
    "oca-bank-statement-import/mt940/mt940_nl_ing/test-ing.940": _inline(
        opening_balance="662.23", closing_balance="564.35", account="NL77INGB0574908765"),
    "oca-bank-statement-import/mt940/mt940_nl_ing/test-ing-old.940": _inline(
        opening_balance="662.23", closing_balance="564.35"),
    "oca-bank-statement-import/mt940/mt940_nl_rabo/test-rabo.swi": _inline(
        opening_balance="4433.52", last_closing="4798.91"),
    "oca-bank-statement-import/mt940/mt940_nl_mollie/Voorbeeld MT-940.mt940": _inline(
        statements=1, entries=21, closing_balance="-1350.26", account="NL30ABNA000000000000"),
    "oca-bank-statement-import/camt/test-camt053": _inline(
        opening_balance="15568.27", closing_balance="15121.12",
        leaves=["-754.25", "-564.05", "-100.00", "1405.31"], account="NL77ABNA0574908765"),
    "dvbern-iso20022-ch/camt053/v00104/camt.053_P_CH0309000000250090342_380000000_0_2016053100163801.xml":
        _inline(account="CH0309000000250090342", message_id="20160430375204000008573"),
    "dvbern-iso20022-ch/camt054/v00104/camt_054_Beispiel_ZA1_ESR_ZE.xml": _inline(
        account="CH160077401231234567", entries=1, leaves=["3949.75"],
        detail_reference="210000000003139471430009017"),
    "dvbern-iso20022-ch/camt054/v00104/camt_054_Beispiel_SammelbuchungEs.xml": _inline(entries=1),
}


def golden_checks(corpus: Path, path: str) -> list[tuple[str, Callable[[list[Statement]], list[str]]]]:
    """The peer comparisons that apply to one corpus file, each with the peer's name."""
    checks: list[tuple[str, Callable[[list[Statement]], list[str]]]] = []
    file = corpus / path
    as_json = file.with_suffix(".json")
    if path.startswith("svenstaro-mt940-rs/") and as_json.exists():
        checks.append(("mt940-rs JSON", lambda s, g=as_json: check_mt940rs(s, g)))
    if path.startswith("wolph-mt940/"):
        summary = json.loads((corpus / "wolph-mt940/EXPECTED_SUMMARY_from_yml.json").read_text())
        key = str(Path(path).relative_to("wolph-mt940").with_suffix(".yml"))
        if key in summary:
            checks.append(("WoLpH yml", lambda s, v=summary[key]: check_wolph(s, v)))
    if path.startswith("genkgo-camt/") and as_json.exists():
        checks.append(("genkgo JSON", lambda s, g=as_json: check_genkgo(s, g)))
    if path.startswith("oca-bank-statement-import/camt/test-camt"):
        golden = file.parent / ("golden-" + file.name.removeprefix("test-") + ".pydata")
        if golden.exists():
            checks.append(("OCA golden", lambda s, g=golden: check_oca_camt(s, g)))
    if path.startswith("moov-bai2/"):
        golden = file.with_name(file.stem + ".expected.json")
        if golden.exists():
            checks.append(("moov JSON", lambda s, g=golden: check_moov(s, g)))
    if path in INLINE:
        checks.append(("peer test assertions", INLINE[path]))
    return checks
