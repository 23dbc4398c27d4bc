"""Short bank files written inline for the cash application tests, and a small ledger to match against."""

from __future__ import annotations

from datetime import date

from incasso.ledger.models import Customer, CustomerIban, EntityBankAccount, LegalEntity
from incasso.testing.builders import a_customer, an_entity, an_item

OUR_IBAN = "FR7630004000031234567890143"
ACME_IBAN = "FR7610107001011234567890129"


def camt053_entry(amount: str, *, ref: str = "", sign: str = "CRDT", day: str = "2026-03-02", name: str = "",
                  iban: str = "", rf: str = "", text: str = "", status: str = "BOOK") -> str:
    refs = f"<AcctSvcrRef>{ref}</AcctSvcrRef>" if ref else ""
    party = f"<Dbtr><Nm>{name}</Nm></Dbtr>" if name else ""
    account = f"<DbtrAcct><Id><IBAN>{iban}</IBAN></Id></DbtrAcct>" if iban else ""
    strd = f"<Strd><CdtrRefInf><Ref>{rf}</Ref></CdtrRefInf></Strd>" if rf else ""
    ustrd = f"<Ustrd>{text}</Ustrd>" if text else ""
    return (f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{sign}</CdtDbtInd><Sts><Cd>{status}</Cd></Sts>'
            f"<BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>{refs}"
            f"<NtryDtls><TxDtls><RltdPties>{party}{account}</RltdPties><RmtInf>{ustrd}{strd}</RmtInf></TxDtls>"
            f"</NtryDtls></Ntry>")


def camt053(*entries: str, statement_id: str = "STMT-2026-03-02", opening: str = "1000.00",
            closing: str = "1000.00", message_id: str = "MSG-1", account: str = OUR_IBAN) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>{message_id}</MsgId><CreDtTm>2026-03-02T18:00:00</CreDtTm></GrpHdr>
<Stmt><Id>{statement_id}</Id><CreDtTm>2026-03-02T18:00:00</CreDtTm>
<Acct><Id><IBAN>{account}</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{opening}</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<Dt><Dt>2026-03-01</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{closing}</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<Dt><Dt>2026-03-02</Dt></Dt></Bal>
{"".join(entries)}
</Stmt></BkToCstmrStmt></Document>
""".encode()


# Two genuinely identical 250.00 payments on one day (no bank reference), and a bank fee.
MT940 = b"""{1:F01AGRIFRPPXXX0000000000}{2:I940AGRIFRPPXXXN}{4:
:20:MT-2026-03-03
:25:FR7630004000031234567890143
:28C:00062
:60F:C260302EUR1000,00
:61:2603030303C250,00NTRFNONREF
:86:/NAME/DUPONT SA/REMI/USTD//LOYER MARS/
:61:2603030303C250,00NTRFNONREF
:86:/NAME/DUPONT SA/REMI/USTD//LOYER MARS/
:61:2603030303D12,50NCHGNONREF//FEE77
:86:/REMI/USTD//FRAIS TENUE DE COMPTE/
:62F:C260303EUR1487,50
-}
"""


def our_entity(code: str = "FR01") -> LegalEntity:
    entity = an_entity(code, name="Incasso France SAS", timezone="Europe/Paris")
    EntityBankAccount.objects.create(entity=entity, iban=OUR_IBAN, currency="EUR", bank_name="Crédit Agricole")
    return entity


def acme(entity: LegalEntity) -> Customer:
    customer = a_customer(entity, "C-100", name="Acme Bâtiment SARL")
    CustomerIban.objects.create(customer=customer, iban=ACME_IBAN)
    return customer


def acme_invoices(customer: Customer):  # type: ignore[no-untyped-def]
    first = an_item(customer, "FA20260001", amount="1200.00", document_date=date(2026, 1, 15),
                    due_date=date(2026, 2, 14))
    second = an_item(customer, "FA20260002", amount="830.40", document_date=date(2026, 1, 20),
                     due_date=date(2026, 2, 19))
    return first, second
