from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incasso.core.money import D, Money, MoneyError, convert, parse_amount, quantize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("1\u00a0234,56", "1234.56"),
        ("1234,56", "1234.56"),
        ("12,5", "12.5"),
        ("-12.50", "-12.50"),
        ("12.50-", "-12.50"),  # SAP writes the sign after the amount
        ("(12.50)", "-12.50"),  # accountants' negative
        ("1'234.50", "1234.50"),  # Swiss thousands separator
        ("1.234.567,89", "1234567.89"),
    ],
)
def test_parse_amount_reads_european_and_us_spreadsheets(text, expected):
    assert parse_amount(text) == Decimal(expected)


def test_ambiguous_thousands_follow_the_callers_convention():
    assert parse_amount("1,234", decimal_comma=False) == Decimal("1234")
    assert parse_amount("1.234", decimal_comma=True) == Decimal("1234")


@pytest.mark.parametrize("text", ["", "abc", "1.2.3,4,5", "12a", "--"])
def test_parse_amount_rejects_what_is_not_an_amount(text):
    with pytest.raises(MoneyError):
        parse_amount(text)


def test_floats_never_become_money():
    with pytest.raises(MoneyError):
        D(0.1)  # type: ignore[arg-type]
    assert D("0.1") + D("0.2") == D("0.3")


def test_quantize_rounds_half_up_at_the_minor_unit():
    assert quantize(Decimal("2.675"), "EUR") == Decimal("2.68")
    assert quantize(Decimal("2.5"), "JPY") == Decimal("3")
    assert quantize(Decimal("1.2345"), "KWD") == Decimal("1.235")
    with pytest.raises(MoneyError):
        quantize(Decimal("1"), "XXX")


def test_money_refuses_to_mix_currencies():
    with pytest.raises(MoneyError):
        Money(D("1"), "EUR") + Money(D("1"), "GBP")
    assert str(Money(D("10.005"), "EUR")) == "10.01 EUR"


def test_conversion_needs_a_rate():
    assert convert(D("100"), "GBP", "EUR", {"GBP": D("1.17")}) == D("117.00")
    with pytest.raises(MoneyError):
        convert(D("100"), "RON", "EUR", {"GBP": D("1.17")})


@given(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_formatting_with_comma_round_trips(value):
    text = f"{value:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    assert parse_amount(text, decimal_comma=True) == value
