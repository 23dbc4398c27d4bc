"""Each format read from a short inline file: what the cash application specialist relies on."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from incasso.core.bank import ParseError, parse_bytes
from incasso.core.bank.detect import detect
from incasso.core.bank.encoding import decode
from incasso.core.bank.model import ReferenceKind, Sign

MT940 = b"""{1:F01INGBNL2ABXXX0000000000}{2:I940INGBNL2AXXXN}{4:
:20:P140220000000001
:25:NL77INGB0574908765EUR
:28C:00000
:60F:C140219EUR662,23
:61:1402200220C1,56NTRFEREF//00000000001005
/TRCD/00100/
:86:/EREF/EV12341REP1231456T1234//CNTP/NL32INGB0000012345/INGBNL2A/ING BANK NV I
NZAKE WEB///REMI/USTD//EV10001REP1000012T1000/
:61:1402200220D100,00NTRFNONREF//00000000001006
:86:/REMI/USTD//INVOICE 4711/
:62F:C140220EUR563,79
-}
"""


def test_mt940_message_becomes_a_statement_with_references_and_counterparty() -> None:
    [statement] = parse_bytes(MT940, "ing.940")

    assert statement.format == "mt940"
    assert statement.account == "NL77INGB0574908765"  # the glued currency code dropped
    assert (statement.opening_balance, statement.closing_balance) == (Decimal("662.23"), Decimal("563.79"))
    first, second = statement.entries
    assert (first.amount, first.sign, first.booking_date) == (Decimal("1.56"), Sign.CREDIT, date(2014, 2, 20))
    assert first.bank_reference == "00000000001005"
    assert first.end_to_end_id == "EV12341REP1231456T1234"
    assert first.counterparty_iban == "NL32INGB0000012345"
    assert first.counterparty_name == "ING BANK NV INZAKE WEB"  # the :86: continuation line joined
    assert (second.sign, second.remittance.unstructured) == (Sign.DEBIT, "INVOICE 4711")
    assert statement.warnings == ()  # 662.23 + 1.56 - 100 = 563.79


def test_a_statement_that_does_not_reconcile_is_read_with_a_warning() -> None:
    data = MT940.replace(b":62F:C140220EUR563,79", b":62F:C140220EUR999,99")

    [statement] = parse_bytes(data, "ing.940")

    assert len(statement.entries) == 2
    assert any("do not reconcile" in w.message for w in statement.warnings)


def test_a_broken_mt940_line_is_an_error_naming_file_and_line() -> None:
    data = MT940.replace(b":61:1402200220D100,00", b":61:14022X0220D100,00")

    with pytest.raises(ParseError) as raised:
        parse_bytes(data, "ing.940")

    assert str(raised.value).startswith("ing.940: line 10: :61: statement line")


CAMT054 = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>M1</MsgId></GrpHdr>
<Ntfctn><Id>N1</Id><Acct><Id><IBAN>CH160077401231234567</IBAN></Id></Acct>
<Ntry><Amt Ccy="CHF">150.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2024-05-02</Dt></BookgDt><ValDt><DtTm>2024-05-03T00:00:00+02:00</DtTm></ValDt>
<AcctSvcrRef>BANKREF1</AcctSvcrRef>
<NtryDtls>
<TxDtls><Refs><EndToEndId>E2E-1</EndToEndId></Refs><Amt Ccy="CHF">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<RltdPties><Dbtr><Pty><Nm>ACME ROMANIA SRL</Nm></Pty></Dbtr><DbtrAcct><Id><IBAN>RO49AAAA1B31007593840000</IBAN></Id>
</DbtrAcct></RltdPties><RmtInf><Strd><CdtrRefInf><Ref>210000000003139471430009017</Ref></CdtrRefInf></Strd></RmtInf>
</TxDtls>
<TxDtls><Refs><EndToEndId>E2E-2</EndToEndId></Refs><Amt Ccy="CHF">50.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<RmtInf><Ustrd>INV 4712 RF18 5390 0754 7034</Ustrd></RmtInf></TxDtls>
</NtryDtls></Ntry></Ntfctn></BkToCstmrDbtCdtNtfctn></Document>
"""


def test_camt054_batch_booking_keeps_every_payment_with_its_reference() -> None:
    [statement] = parse_bytes(CAMT054, "notification.xml")

    assert (statement.format, statement.account, statement.currency) == ("camt.054", "CH160077401231234567", "CHF")
    [entry] = statement.entries
    assert (entry.amount, entry.sign, entry.bank_reference) == (Decimal("150.00"), Sign.CREDIT, "BANKREF1")
    assert entry.value_date == date(2024, 5, 3)
    first, second = entry.details
    assert (first.amount, first.end_to_end_id, first.counterparty_name) == (Decimal("100.00"), "E2E-1",
                                                                            "ACME ROMANIA SRL")
    assert first.remittance.reference_kind is ReferenceKind.QRR and first.remittance.reference_valid
    assert second.remittance.structured_reference == "RF18539007547034"


def test_camt_error_names_the_xml_path() -> None:
    data = CAMT054.replace(b"<CdtDbtInd>CRDT</CdtDbtInd><Sts>", b"<CdtDbtInd>XXXX</CdtDbtInd><Sts>")

    with pytest.raises(ParseError) as raised:
        parse_bytes(data, "notification.xml")

    assert "Ntfctn/Ntry" in raised.value.position
    assert "CdtDbtInd" in raised.value.reason


def _record(width: int, **fields: str) -> str:
    """A fixed-width record from {"position": "text"} pairs (0-based positions as in the formats' specs)."""
    line = [" "] * width
    for position, text in fields.items():
        start = int(position.removeprefix("p"))
        line[start:start + len(text)] = text
    return "".join(line)


CFONB = "\n".join([
    _record(120, p0="0115589", p11="00000", p16="EUR2", p21="98765432100", p34="150519", p90="0000000001904}"),
    _record(120, p0="0415589", p7="9162", p11="00000", p16="EUR2", p21="98765432100", p32="B1", p34="160519",
            p42="160519", p48="PRLV SEPA TEST CABINET", p81="0000001", p90="0000000000322J", p104="REF123"),
    _record(120, p0="0715589", p11="00000", p16="EUR2", p21="98765432100", p34="160519", p90="0000000002226J"),
]).encode()


def test_cfonb120_signed_amounts_and_statement_order() -> None:
    [statement] = parse_bytes(CFONB, "releve.txt")

    assert statement.format == "cfonb120"
    assert (statement.opening_balance, statement.closing_balance) == (Decimal("-190.40"), Decimal("-222.61"))
    [entry] = statement.entries
    assert (entry.amount, entry.sign, entry.value_date) == (Decimal("32.21"), Sign.DEBIT, date(2019, 5, 16))
    assert (entry.customer_reference, entry.remittance.unstructured) == ("REF123", "PRLV SEPA TEST CABINET")
    assert statement.warnings == ()


def test_cfonb120_operation_before_its_statement_is_an_error() -> None:
    lines = CFONB.decode().splitlines()
    data = "\n".join(lines[1:]).encode()

    with pytest.raises(ParseError, match=r"releve.txt: line 1: operation \(04\) outside a statement"):
        parse_bytes(data, "releve.txt")


def test_norma43_account_with_concepts() -> None:
    data = "\n".join([
        _record(80, p0="11", p2="0081", p6="1234", p10="0123456789", p20="050101", p26="050131", p32="2",
                p33="00000000010000", p47="978", p50="3", p51="MY COMPANY SL"),
        _record(80, p0="22", p6="1234", p10="050105", p16="050105", p22="99", p24="002", p27="2",
                p28="00000000002500", p42="0000000000", p52="000000000000"),
        _record(80, p0="23", p2="01", p4="FACTURA 2024-77", p42="CLIENTE ACME"),
        _record(80, p0="33", p2="0081", p6="1234", p10="0123456789", p20="00000", p25="00000000000000",
                p39="00001", p44="00000000002500", p58="2", p59="00000000012500", p73="978"),
        _record(80, p0="88", p2="9" * 18, p20="000004"),
    ]).encode("latin-1")

    [statement] = parse_bytes(data, "cuenta.n43")

    assert (statement.format, statement.currency) == ("norma43", "EUR")
    assert (statement.opening_balance, statement.closing_balance) == (Decimal("100.00"), Decimal("125.00"))
    [entry] = statement.entries
    assert (entry.amount, entry.sign) == (Decimal("25.00"), Sign.CREDIT)
    assert entry.remittance.unstructured == "FACTURA 2024-77 CLIENTE ACME"
    assert statement.warnings == ()


def test_x12_820_lists_invoices_paid_and_adjustments() -> None:
    data = (
        b"ISA*00*          *00*          *ZZ*PAYER          *ZZ*PAYEE          *240101*1200*U*00401*000000001*0*P*>~"
        b"GS*RA*PAYER*PAYEE*20240101*1200*1*X*004010~ST*820*0001~BPR*C*950.00*C*ACH*CTX***********20240105~"
        b"TRN*1*TRACE42~N1*PR*ACME ROMANIA SRL~N1*PE*INCASSO DEMO*92*V123~"
        b"RMR*IV*INV-1001**600.00*600.00~RMR*IV*INV-1002**350.00*400.00~ADX*-50.00*01~SE*9*0001~GE*1*1~IEA*1*000000001~"
    )

    [statement] = parse_bytes(data, "remit.edi")

    assert statement.format == "x12-820"
    [payment] = statement.entries
    assert (payment.amount, payment.sign, payment.bank_reference) == (Decimal("950.00"), Sign.CREDIT, "TRACE42")
    assert payment.counterparty_name == "ACME ROMANIA SRL"
    first, second = payment.remittance.documents
    assert (first.number, first.amount_paid) == ("INV-1001", Decimal("600.00"))
    assert (second.number, second.amount_paid, second.amount_invoiced, second.adjustment) == (
        "INV-1002", Decimal("350.00"), Decimal("400.00"), Decimal("-50.00"))


@pytest.mark.parametrize(
    ("head", "family"),
    [
        (b"<?xml version='1.0'?><Document/>", "xml"),
        (b"\xef\xbb\xbf<Document/>", "xml"),
        (b"PK\x03\x04rest", "zip"),
        (b"ISA*00*", "x12"),
        (b"01,0004,12345,060321,0829,001,80,1,2/\n", "bai2"),
        (b":20:REF\n:25:ACC\n", "swift"),
        (b"{1:F01BANK}{2:I940}{4:\n:20:X\n", "swift"),
        (b"hello world", None),
    ],
)
def test_format_is_detected_from_content_not_name(head: bytes, family: str | None) -> None:
    assert detect(head) == family


def test_legacy_code_page_is_guessed_when_not_utf8() -> None:
    hungarian_dos = "Csoportos átutalás jóváírása, napi összevont utalás".encode("cp852")
    latin = "COMISIÓN TRANSFERENCIA".encode("cp1252")

    assert decode(hungarian_dos).text == "Csoportos átutalás jóváírása, napi összevont utalás"
    assert decode(hungarian_dos).guessed
    assert decode(latin).text == "COMISIÓN TRANSFERENCIA"
    assert decode("déjà vu".encode()).encoding == "utf-8"


def test_empty_and_unknown_files_are_refused_with_the_file_name() -> None:
    with pytest.raises(ParseError, match="empty.txt: line 1: the file is empty"):
        parse_bytes(b"  \n", "empty.txt")
    with pytest.raises(ParseError, match="notes.txt: line 1: not a bank statement"):
        parse_bytes(b"Dear customer,", "notes.txt")
