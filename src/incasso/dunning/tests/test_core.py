"""The pure dunning rules, as worked examples (no database)."""

from __future__ import annotations

from datetime import date

import pytest

from incasso.core import dunning as core
from incasso.core.dunning import CustomerFacts, ItemFacts, LevelRule, ProcedureRules
from incasso.core.interest import compute_interest
from incasso.core.money import D

RULES = ProcedureRules((
    LevelRule(1, 10, "due", D("10"), channel="email", tone="polite"),
    LevelRule(2, 25, "due", D("10"), channel="email", tone="firm", fee=D("5")),
    LevelRule(3, 45, "due", D("50"), channel="both", tone="formal", fee=D("5"), claim_interest=True,
              claim_compensation=True),
), min_interval_days=7, jurisdiction="FR")
AS_OF = date(2026, 3, 31)


def invoice(item_id: int, due: date, amount: str = "1000.00", **fields) -> ItemFacts:  # type: ignore[no-untyped-def]
    return ItemFacts(item_id, f"INV-{item_id}", fields.pop("currency", "EUR"), due, D(amount), **fields)


def customer(*items: ItemFacts, **fields) -> CustomerFacts:  # type: ignore[no-untyped-def]
    return CustomerFacts(1, tuple(items), **fields)


def test_an_invoice_eleven_days_late_gets_the_polite_first_reminder():
    letters, exceptions = core.propose([customer(invoice(1, date(2026, 3, 20)))], RULES, AS_OF)
    assert exceptions == []
    [letter] = letters
    assert (letter.level, letter.tone, letter.channel) == (1, "polite", "email")
    assert letter.lines[0].days_past_due == 11 and letter.lines[0].climbs
    assert letter.total == D("1000.00")


def test_levels_are_climbed_one_at_a_time_even_when_the_invoice_is_very_late():
    # Given an invoice 100 days late that never had a reminder
    letters, _ = core.propose([customer(invoice(1, date(2025, 12, 21)))], RULES, AS_OF)
    # Then it gets level 1 first, not the formal notice
    assert letters[0].level == 1


def test_a_missed_day_is_caught_up_by_the_next_run():
    # Level 2 is reached 25 days after the due date (26 March); nobody ran dunning that day.
    item = invoice(1, date(2026, 3, 1), level_dates={1: date(2026, 3, 12)})
    assert core.next_level(item, RULES, date(2026, 3, 25)) is None
    assert core.next_level(item, RULES, date(2026, 3, 31)) == 2


@pytest.mark.parametrize(("basis", "days", "reached"), [
    ("due", 10, date(2026, 1, 25)),
    ("month_end", 10, date(2026, 2, 10)),
    ("previous", 14, date(2026, 2, 18)),
])
def test_each_basis_counts_from_its_own_date(basis, days, reached):  # type: ignore[no-untyped-def]
    level = LevelRule(2, days, basis)
    item = invoice(1, date(2026, 1, 15), level_dates={1: date(2026, 2, 4)})
    assert core.level_reached_on(level, item) == reached


def test_the_disputed_part_is_excluded_and_the_rest_dunned():
    letters, _ = core.propose([customer(invoice(1, date(2026, 3, 1), disputed_amount=D("300.00")))], RULES, AS_OF)
    [line] = letters[0].lines
    assert (line.open_amount, line.disputed_amount, line.amount_due) == (D("1000.00"), D("300.00"), D("700.00"))
    assert letters[0].items_total == D("700.00")


def test_a_fully_disputed_or_promised_item_is_left_out():
    letters, _ = core.propose([customer(
        invoice(1, date(2026, 3, 1), disputed_amount=D("1000.00")),
        invoice(2, date(2026, 3, 1), blocked_reason="promise to pay by 2026-04-05"),
        invoice(3, date(2026, 3, 1), amount="250.00"),
    )], RULES, AS_OF)
    assert [line.item_id for line in letters[0].lines] == [3]


def test_one_letter_per_currency_listing_every_overdue_item_with_the_highest_level_deciding():
    letters, _ = core.propose([customer(
        invoice(1, date(2026, 2, 1), level_dates={1: date(2026, 2, 12), 2: date(2026, 2, 27)}),
        invoice(2, date(2026, 3, 15)),
        invoice(3, date(2026, 3, 29), amount="40.00"),  # overdue but not yet at level 1: listed, does not climb
        invoice(4, date(2026, 3, 1), currency="USD", amount="500.00"),
    )], RULES, AS_OF)
    by_currency = {letter.currency: letter for letter in letters}
    eur = by_currency["EUR"]
    assert eur.level == 3 and eur.tone == "formal"
    assert [(line.item_id, line.level, line.climbs) for line in eur.lines] == [(1, 3, True), (2, 1, True),
                                                                              (3, 0, False)]
    assert by_currency["USD"].level == 1


def test_the_formal_notice_claims_interest_and_the_fixed_compensation_per_invoice():
    item = invoice(1, date(2026, 1, 15), level_dates={1: date(2026, 1, 26), 2: date(2026, 2, 10)})
    [letter], _ = core.propose([customer(item)], RULES, AS_OF)
    expected = compute_interest(D("1000.00"), "EUR", date(2026, 1, 15), AS_OF, "FR")
    line = letter.lines[0]
    assert line.interest == expected.total > 0
    assert line.interest_rate == expected.periods[-1].annual_rate
    assert (line.interest_from, line.interest_to) == (date(2026, 1, 16), AS_OF)
    assert "L441-10" in line.legal_basis
    assert letter.compensation_total == D("40.00")
    assert letter.total == D("1000.00") + D("5.00") + expected.total + D("40.00")


@pytest.mark.parametrize(("facts", "code"), [
    ({"blocked_reason": "dunning block: CFO called"}, "blocked"),
    ({"has_reminder_contact": False}, "no_reminder_contact"),
    ({"has_email": False}, "no_email"),
    ({"last_letter_on": date(2026, 3, 27)}, "interval"),
])
def test_held_back_letters_become_exceptions_with_the_reason(facts, code):  # type: ignore[no-untyped-def]
    letters, exceptions = core.propose([customer(invoice(1, date(2026, 3, 1)), **facts)], RULES, AS_OF)
    assert letters == []
    assert [e.code for e in exceptions] == [code]


def test_below_the_minimum_amount_or_share_is_an_exception():
    small = customer(invoice(1, date(2026, 3, 1), amount="9.99"))
    share_rules = ProcedureRules((LevelRule(1, 10, min_share_percent=D("10")),))
    small_share = customer(invoice(1, date(2026, 3, 1), amount="50.00"), open_totals={"EUR": D("1000.00")})
    assert [e.code for e in core.propose([small], RULES, AS_OF)[1]] == ["below_minimum"]
    assert "5.0 %" in core.propose([small_share], share_rules, AS_OF)[1][0].detail


def test_levels_must_be_numbered_in_order():
    with pytest.raises(core.DunningRuleError, match="numbered"):
        ProcedureRules((LevelRule(2, 10),))


def test_a_line_built_in_one_call_equals_one_built_with_its_defaults():
    # propose_customer builds lines without claims with core.new_tuple for speed: if LetterLine gains
    # a field, this test says so before a proposal writes shifted columns.
    from incasso.core.dunning import LetterLine, new_tuple

    fields = (7, "INV-7", date(2026, 1, 15), 75, D("100.00"), D("0"), D("100.00"), 1, True, {})
    assert new_tuple(LetterLine, (*fields, D(0), None, None, None, D(0), "")) == LetterLine(*fields)
    assert len(LetterLine._fields) == 16
