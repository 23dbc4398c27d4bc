"""Worked examples for statutory late-payment interest, computed by hand from the published rates."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from incasso.core.interest import (
    JURISDICTIONS,
    REFERENCE_RATES,
    Instalment,
    InterestError,
    RateTable,
    RateUnknownError,
    compute_instalments_interest,
    compute_interest,
)
from incasso.core.money import D


def periods_of(result):
    return [(p.start, p.end, p.days, p.annual_rate) for p in result.periods]


def test_germany_b2b_split_at_1_july():
    # EUR 10,000 due 15 May 2025, paid 30 September 2025, § 288 Abs. 2 BGB: base rate + 9 points.
    # 16 May-30 Jun: 46 days at 2.27 + 9 = 11.27 %: 10,000 × 11.27 % × 46 / 365 = 51,842 / 365 = 142.0329
    # 1 Jul-30 Sep: 92 days at 1.27 + 9 = 10.27 %: 10,000 × 10.27 % × 92 / 365 = 94,484 / 365 = 258.8603
    # total 400.8932 → 400.89, plus the EUR 40 flat compensation
    result = compute_interest(D("10000"), "EUR", date(2025, 5, 15), date(2025, 9, 30), "DE")
    assert periods_of(result) == [
        (date(2025, 5, 16), date(2025, 6, 30), 46, D("11.27")),
        (date(2025, 7, 1), date(2025, 9, 30), 92, D("10.27")),
    ]
    assert result.total == D("400.89")
    assert result.compensation == D("40.00")
    assert result.legal_basis.startswith("§ 288 Abs. 2 BGB")
    assert result.days_overdue == 138


def test_germany_consumer_is_five_points_not_five_percent():
    # the same claim against a consumer, § 288 Abs. 1 BGB: base + 5 POINTS.
    # 1.27 + 5 = 6.27 % (not 1.27 × 1.05 = 1.3335 %); 2.27 + 5 = 7.27 %
    # 10,000 × 7.27 % × 46 / 365 = 33,442 / 365 = 91.6219; 10,000 × 6.27 % × 92 / 365 = 57,684 / 365 = 158.0384
    # total 249.6603 → 249.66; no flat compensation for a consumer debtor (§ 288 Abs. 5 BGB)
    result = compute_interest(D("10000"), "EUR", date(2025, 5, 15), date(2025, 9, 30), "DE", consumer=True)
    assert [p.annual_rate for p in result.periods] == [D("7.27"), D("6.27")]
    assert result.total == D("249.66")
    assert result.compensation == D("0.00")
    assert result.legal_basis == "§ 288 Abs. 1 BGB"


def test_austria_margin_is_9_2_points():
    # EUR 10,000 due 31 March 2024, paid 30 April 2024: 30 days at 3.88 + 9.2 = 13.08 %
    # 10,000 × 13.08 % × 30 / 365 = 39,240 / 365 = 107.5068 → 107.51
    result = compute_interest(D("10000"), "EUR", date(2024, 3, 31), date(2024, 4, 30), "AT")
    assert periods_of(result) == [(date(2024, 4, 1), date(2024, 4, 30), 30, D("13.08"))]
    assert result.total == D("107.51")


def test_france_crossing_1_january_with_the_legal_rate_floor():
    # EUR 5,000 due 15 December 2024, paid 20 January 2025.
    # H2 2024: ECB 4.25 + 10 = 14.25 %, but 3 × legal rate 4.92 = 14.76 % is higher: 14.76 %
    #   16-31 Dec: 16 days: 5,000 × 14.76 % × 16 / 365 = 11,808 / 365 = 32.3507
    # H1 2025: ECB 3.15 + 10 = 13.15 % (floor 3 × 3.71 = 11.13 % is lower)
    #   1-20 Jan: 20 days: 5,000 × 13.15 % × 20 / 365 = 13,150 / 365 = 36.0274
    # total 68.3781 → 68.38
    result = compute_interest(D("5000"), "EUR", date(2024, 12, 15), date(2025, 1, 20), "FR")
    assert periods_of(result) == [
        (date(2024, 12, 16), date(2024, 12, 31), 16, D("14.76")),
        (date(2025, 1, 1), date(2025, 1, 20), 20, D("13.15")),
    ]
    assert [p.floor_applied for p in result.periods] == [True, False]
    assert result.total == D("68.38")
    assert result.legal_basis.startswith("Art. L441-10 Code de commerce")


def test_same_rate_on_both_sides_of_1_january_stays_one_period():
    # EUR 5,000 due 15 December 2025, paid 20 January 2026, France: ECB 2.15 + 10 = 12.15 % in both
    # semesters (floors 3 × 2.76 = 8.28 and 3 × 2.62 = 7.86 are lower): one period of 16 + 20 = 36 days
    # 5,000 × 12.15 % × 36 / 365 = 21,870 / 365 = 59.9178 → 59.92
    result = compute_interest(D("5000"), "EUR", date(2025, 12, 15), date(2026, 1, 20), "FR")
    assert periods_of(result) == [(date(2025, 12, 16), date(2026, 1, 20), 36, D("12.15"))]
    assert result.total == D("59.92")


@pytest.mark.parametrize(
    ("day_count", "days", "expected"),
    [
        # EUR 10,000 due 31 Jan 2025, paid 1 Mar 2025, EU default 3.15 + 8 = 11.15 %:
        # act/365: 29 actual days: 10,000 × 11.15 % × 29 / 365 = 32,335 / 365 = 88.5890 → 88.59
        ("act/365", 29, "88.59"),
        # act/360: 32,335 / 360 = 89.8194 → 89.82
        ("act/360", 29, "89.82"),
        # 30/360 (30E): 31 Jan counts as the 30th; 30 Jan → 1 Mar = 2 × 30 + (1 − 30) = 31 days
        # 10,000 × 11.15 % × 31 / 360 = 34,565 / 360 = 96.0139 → 96.01
        ("30/360", 31, "96.01"),
    ],
)
def test_day_count_conventions(day_count, days, expected):
    result = compute_interest(D("10000"), "EUR", date(2025, 1, 31), date(2025, 3, 1), "EU", day_count=day_count)
    assert [p.days for p in result.periods] == [days]
    assert result.total == D(expected)


def test_act_360_against_act_365_over_sixty_days():
    # EUR 10,000 due 31 Mar 2025, paid 30 May 2025: 60 days at 11.15 %
    # act/365: 1,115 × 60 / 365 = 183.2877 → 183.29; act/360: 1,115 × 60 / 360 = 185.8333 → 185.83
    act365 = compute_interest(D("10000"), "EUR", date(2025, 3, 31), date(2025, 5, 30), "EU")
    act360 = compute_interest(D("10000"), "EUR", date(2025, 3, 31), date(2025, 5, 30), "EU", day_count="act/360")
    assert (act365.total, act360.total) == (D("183.29"), D("185.83"))
    assert act365.day_count == "act/365"


def test_act_365_divides_by_365_in_a_leap_year():
    # EUR 10,000 due 31 Dec 2023, paid 30 Jun 2024, Germany: 182 days (31+29+31+30+31+30) at 3.62 + 9 = 12.62 %
    # 10,000 × 12.62 % × 182 / 365 = 229,684 / 365 = 629.2712 → 629.27
    result = compute_interest(D("10000"), "EUR", date(2023, 12, 31), date(2024, 6, 30), "DE")
    assert periods_of(result) == [(date(2024, 1, 1), date(2024, 6, 30), 182, D("12.62"))]
    assert result.total == D("629.27")


def test_one_day_overdue_runs_from_the_day_after_the_due_date():
    # EUR 1,000 due 30 June 2025 (Spain), paid 1 July: one day, in H2 2025: 2.15 + 8 = 10.15 %
    # 1,000 × 10.15 % × 1 / 365 = 101.5 / 365 = 0.2781 → 0.28, and the EUR 40 compensation
    result = compute_interest(D("1000"), "EUR", date(2025, 6, 30), date(2025, 7, 1), "ES")
    assert periods_of(result) == [(date(2025, 7, 1), date(2025, 7, 1), 1, D("10.15"))]
    assert result.total == D("0.28")
    assert result.compensation == D("40.00")
    assert result.legal_basis.startswith("Ley 3/2004")


@pytest.mark.parametrize("paid_on", [date(2025, 6, 30), date(2025, 6, 1)])
def test_paid_on_or_before_the_due_date_owes_nothing(paid_on):
    result = compute_interest(D("1000"), "EUR", date(2025, 6, 30), paid_on, "IT")
    assert result.periods == ()
    assert (result.total, result.compensation) == (D("0.00"), D("0.00"))


def test_semester_rule_keeps_the_rate_in_force_on_1_july():
    # the ECB cut to 3.65 on 18 Sep 2024 and 3.40 on 23 Oct 2024, but H2 2024 uses the 1 July rate 4.25:
    # EUR 10,000 due 31 Oct 2024, paid 30 Nov 2024: 30 days at 4.25 + 8 = 12.25 %
    # 10,000 × 12.25 % × 30 / 365 = 36,750 / 365 = 100.6849 → 100.68
    result = compute_interest(D("10000"), "EUR", date(2024, 10, 31), date(2024, 11, 30), "IT")
    assert periods_of(result) == [(date(2024, 11, 1), date(2024, 11, 30), 30, D("12.25"))]
    assert result.total == D("100.68")
    assert result.legal_basis.startswith("D.Lgs. 231/2002")


@pytest.mark.parametrize(
    ("semester", "ecb"),
    [("2023-01-01", "2.50"), ("2023-07-01", "4.00"), ("2024-01-01", "4.50"), ("2024-07-01", "4.25"),
     ("2025-01-01", "3.15"), ("2025-07-01", "2.15"), ("2026-01-01", "2.15")],
)
def test_ecb_rate_per_semester_matches_the_published_values(semester, ecb):
    assert REFERENCE_RATES["ECB_MRO"].in_force_on(date.fromisoformat(semester)) == D(ecb)


def test_romania_in_lei_with_the_compensation_passed_in_lei():
    # RON 10,000 due 1 Dec 2024, paid 30 Jan 2025; NBR reference on 1 Jul 2024 was still 7.00 (cut to
    # 6.75 on 8 Jul 2024 and 6.50 on 8 Aug 2024), on 1 Jan 2025 6.50:
    # 2-31 Dec: 30 days at 15.00 %: 10,000 × 15 % × 30 / 365 = 45,000 / 365 = 123.2877
    # 1-30 Jan: 30 days at 14.50 %: 10,000 × 14.5 % × 30 / 365 = 43,500 / 365 = 119.1781
    # total 242.4658 → 242.47; compensation: the lei equivalent of EUR 40 the caller chose (199.03)
    result = compute_interest(D("10000"), "RON", date(2024, 12, 1), date(2025, 1, 30), "RO",
                              compensation=D("199.03"))
    assert [p.annual_rate for p in result.periods] == [D("15.00"), D("14.50")]
    assert result.total == D("242.47")
    assert result.compensation == D("199.03")
    assert result.legal_basis.startswith("Legea 72/2013")


def test_a_non_euro_claim_needs_the_compensation_amount():
    with pytest.raises(InterestError, match="equivalent in RON"):
        compute_interest(D("10000"), "RON", date(2024, 12, 1), date(2025, 1, 30), "RO")


def test_total_is_rounded_once_at_the_currency_minor_unit():
    # JPY 1,000,000 due 31 Mar 2025, paid 30 May 2025, EU: 60 days at 11.15 %
    # 1,000,000 × 11.15 % × 60 / 365 = 6,690,000 / 365 = 18,328.767 → 18,329 (no minor unit)
    result = compute_interest(D("1000000"), "JPY", date(2025, 3, 31), date(2025, 5, 30), "EU",
                              compensation=D("6500"))
    assert result.total == D("18329")
    assert result.legal_basis.startswith("Directive 2011/7/EU")


def test_compensation_per_late_instalment():
    # three instalments of EUR 1,000, Italy (ECB 3.15 + 8 = 11.15 % in H1 2025), as of 30 April 2025:
    # due 31 Jan, paid 31 Jan: on time, nothing
    # due 28 Feb, paid 10 Mar: 10 days: 1,000 × 11.15 % × 10 / 365 = 1,115 / 365 = 3.0548 → 3.05
    # due 31 Mar, unpaid: 1-30 Apr, 30 days: 3,345 / 365 = 9.1644 → 9.16
    # interest 12.21; two late instalments → 2 × EUR 40 = 80.00 (CJEU C-78/22)
    result = compute_instalments_interest([
        Instalment(D("1000"), date(2025, 1, 31), date(2025, 1, 31)),
        Instalment(D("1000"), date(2025, 2, 28), date(2025, 3, 10)),
        Instalment(D("1000"), date(2025, 3, 31)),
    ], "EUR", date(2025, 4, 30), "IT")
    assert [r.total for r in result.results] == [D("0.00"), D("3.05"), D("9.16")]
    assert result.interest_total == D("12.21")
    assert result.late_instalments == 2
    assert result.compensation_total == D("80.00")


def test_rates_are_data_the_caller_can_replace():
    # a table where the Basiszinssatz from 1 Jul 2025 were 2.00: 2.00 + 9 = 11.00 % in H2 2025
    table = REFERENCE_RATES["DE_BASISZINSSATZ"]
    changed = replace(table, entries=tuple((d, D("2.00") if d == date(2025, 7, 1) else r) for d, r in table.entries))
    rates = {**REFERENCE_RATES, "DE_BASISZINSSATZ": changed}
    result = compute_interest(D("10000"), "EUR", date(2025, 5, 15), date(2025, 9, 30), "DE", rates=rates)
    assert [p.annual_rate for p in result.periods] == [D("11.27"), D("11.00")]


def test_a_semester_beyond_the_known_rates_is_refused_not_guessed():
    # the Austrian table is known through 1 July 2024; H1 2025 is not in it
    with pytest.raises(RateUnknownError, match="AT_BASISZINSSATZ"):
        compute_interest(D("100"), "EUR", date(2025, 1, 15), date(2025, 2, 15), "AT")


def test_rate_table_entries_must_be_in_order():
    with pytest.raises(InterestError, match="oldest first"):
        RateTable("X", ((date(2025, 7, 1), D("1")), (date(2025, 1, 1), D("2"))), date(2025, 12, 31))


def test_no_consumer_rate_outside_germany():
    with pytest.raises(InterestError, match="FR: no statutory consumer rate"):
        compute_interest(D("100"), "EUR", date(2025, 1, 15), date(2025, 2, 15), "FR", consumer=True)


def test_unknown_jurisdiction_and_negative_principal_are_refused():
    with pytest.raises(InterestError, match="unknown jurisdiction 'PT'"):
        compute_interest(D("100"), "EUR", date(2025, 1, 15), date(2025, 2, 15), "PT")
    with pytest.raises(InterestError, match="negative"):
        compute_interest(D("-100"), "EUR", date(2025, 1, 15), date(2025, 2, 15), "DE")


def test_every_jurisdiction_names_its_legal_basis():
    expected = {
        "EU": "Directive 2011/7/EU", "FR": "Art. L441-10 Code de commerce", "DE": "§ 288 Abs. 2 BGB",
        "ES": "Ley 3/2004", "IT": "D.Lgs. 231/2002", "RO": "Legea 72/2013", "AT": "§ 456 UGB",
    }
    assert set(JURISDICTIONS) == set(expected)
    for code, basis in expected.items():
        assert JURISDICTIONS[code].legal_basis.startswith(basis)
