from pathlib import Path

import pytest

from incasso.audit.events import SYSTEM
from incasso.audit.models import AuditEvent
from incasso.ledger.actions.bank_accounts import BankAccountFileError, register_bank_accounts
from incasso.ledger.models import EntityBankAccount
from incasso.testing.builders import an_entity

pytestmark = pytest.mark.django_db

GOOD = "entity,iban,bic,bank_name,currency\nFR01,FR76 3000 6000 0112 3456 7890 189,AGRIFRPP,Crédit Agricole,EUR\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "entity_bank_accounts.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_accounts_are_registered_once_and_audited(tmp_path):
    an_entity("FR01")
    path = write(tmp_path, GOOD)
    assert register_bank_accounts(path, by=SYSTEM).created == 1
    again = register_bank_accounts(path, by=SYSTEM)
    assert (again.created, again.unchanged) == (0, 1)
    account = EntityBankAccount.objects.get()
    assert account.iban == "FR7630006000011234567890189" and account.entity.code == "FR01"
    events = AuditEvent.objects.filter(subject_type="entity", message__contains="FR7630006000011234567890189")
    assert events.count() == 1


def test_every_bad_field_is_named_and_nothing_is_written(tmp_path):
    an_entity("FR01")
    path = write(tmp_path, GOOD + "XX01,FR7630006000011234567890189,,,EUR\nFR01,FR7630006000011234567890188,,,EUR\n"
                 "FR01,DE89370400440532013000,,,EUE\n")
    with pytest.raises(BankAccountFileError) as error:
        register_bank_accounts(path, by=SYSTEM)
    assert error.value.errors[0] == "entity_bank_accounts.csv:3: column entity: unknown entity 'XX01'"
    assert error.value.errors[1].startswith("entity_bank_accounts.csv:4: column iban: invalid IBAN")
    assert error.value.errors[2] == "entity_bank_accounts.csv:5: column currency: unknown currency 'EUE'"
    assert not EntityBankAccount.objects.exists()
