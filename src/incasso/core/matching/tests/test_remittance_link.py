"""Which bank line a remittance advice describes: amount and window first, then the evidence."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from incasso.core.matching.remittance import AdviceFacts, LineFacts, best_link

ADVICE = AdviceFacts(Decimal("1980.40"), "EUR", date(2026, 3, 1), "PAY-77", "Acme Bâtiment", "")


def _line(line_id: int, amount: str = "1980.40", day: int = 2, text: str = "", name: str = "",
          iban: str = "", currency: str = "EUR") -> LineFacts:
    return LineFacts(line_id, Decimal(amount), currency, date(2026, 3, day), ("", "", ""), text, name, iban)


def test_the_reference_in_the_text_links_and_is_explained():
    best, why = best_link(ADVICE, [_line(1, text="VIR PAY-77"), _line(2, name="Someone")])
    assert best is not None and best.line_id == 1
    assert why.startswith("amount 1980.40 EUR equal; reference PAY-77 found in the line's text")
    assert "booked 1 day(s) after the advice date" in why


def test_a_different_amount_currency_or_a_date_outside_the_window_is_no_candidate():
    lines = [_line(1, amount="1980.41", text="PAY-77"), _line(2, currency="USD", text="PAY-77"),
             _line(3, day=20, text="PAY-77")]
    best, why = best_link(ADVICE, lines)
    assert best is None and why.startswith("no open bank credit of 1980.40 EUR")


def test_the_payer_name_identifies_and_two_equal_candidates_are_not_guessed():
    best, _why = best_link(ADVICE, [_line(1, name="ACME BATIMENT SARL"), _line(2, name="Other Ltd")])
    assert best is not None and best.line_id == 1
    best, why = best_link(ADVICE, [_line(1, name="ACME BATIMENT"), _line(2, name="ACME BATIMENT")])
    assert best is None and "fit equally well" in why
    best, why = best_link(ADVICE, [_line(1, name="Other Ltd")])
    assert best is None and "none shows the advice's reference, IBAN or payer name" in why
