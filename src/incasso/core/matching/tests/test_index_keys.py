"""The index's fast number keys equal the reference normalisation (``compact`` then ``canonical``)
for every shape a document number can take, and the open item record behaves as a value."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from random import Random

from incasso.core.matching import CustomerRef, MatchingIndex, OpenItemRef
from incasso.core.matching.text import _NON_ALNUM, canonical, compact, number_keys, strip_accents

SHAPES = ["INV00012345", "inv-0001/2345", "FA 2026 000123", "12345", "000", "0", "", "---", "A1B2", "RE00001A",
          "ÉCH-00042", "ﬁ123", "ß100", "١٢٣", "Ⅳ-0007", "FCT\t0009", "AB12CD0034", "x" * 45 + "0012", "INV 0",
          "1800000001", "INV00000000000000000000042"]


def reference(number: str) -> tuple[str, str]:
    packed = compact(number)
    return packed, canonical(packed)


def random_texts(seed: int, alphabet: str, count: int = 20_000) -> list[str]:
    """``count`` texts of 0 to 14 characters drawn from ``alphabet``, the same for a seed."""
    rng = Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14))) for _ in range(count)]


def test_number_keys_equal_compact_then_canonical() -> None:
    for number in [*SHAPES, *random_texts(7, "ABZabz019 -/.#°éÉßﬁ١Ⅳ\t")]:
        assert number_keys(number) == reference(number), number


def test_the_index_finds_items_by_both_keys_and_sorts_them_oldest_first() -> None:
    customer = CustomerRef(1, "FR01", None, "100001", "Durand SARL", ("FR7630004008280000000000123",), "EUR")
    items = [OpenItemRef(n, 1, "FR01", None, "invoice", number, "", "EUR", Decimal(amount), date(2026, 1, day),
                         date(2026, 2, day), 30)
             for n, (number, amount, day) in enumerate([("FA-000123", "10.00", 9), ("FA000124", "20.00", 3),
                                                         ("FA000125", "0.00", 1)], start=1)]
    index = MatchingIndex.build([customer], items)
    assert [i.item_id for i in index.items_by_number("FA000123")] == [1]
    assert [i.item_id for i in index.items_by_number("FA123")] == [1]
    assert [i.item_id for i in index.open_items_of(1)] == [2, 1]  # nothing open on the third
    assert items[0] == OpenItemRef(*items[0]) and len({items[0], OpenItemRef(*items[0])}) == 1


def test_compact_equals_the_regular_expression_whatever_the_text() -> None:
    """``compact`` skips the regular expression for plain ASCII letters and digits (IBANs, references)."""
    def slow(text: str) -> str:
        return _NON_ALNUM.sub("", strip_accents(text).upper())

    for text in [*SHAPES, "FR7630004008280000000000123", "fr76 3000 4008", "RF18INV00012345", "abc", "ÀB1",
                 *random_texts(11, "ABZabz019 -/.#°éÉßﬁ١Ⅳ\tıİ")]:
        assert compact(text) == slow(text), text


def test_the_order_the_items_come_in_changes_no_look_up() -> None:
    """The run loads the open items unsorted: each customer's items are still oldest first, ties (the
    same number of two kinds, same dates) broken by id, and every look-up answers the same."""
    customer = CustomerRef(1, "FR01", None, "100001", "Durand SARL", ("FR7630004008280000000000123",), "EUR")
    rng = Random(3)
    items = [OpenItemRef(n, 1, "FR01", None, rng.choice(["invoice", "debit_note"]), f"FA{rng.randint(1, 40):06d}",
                         "", "EUR", Decimal(rng.randint(1, 9999)) / 100, date(2026, 1, rng.randint(1, 3)),
                         date(2026, 2, rng.randint(1, 3)), 30) for n in range(1, 200)]
    ordered = MatchingIndex.build([customer], sorted(items, key=lambda i: (i.due_date, i.item_id)))
    for seed in range(5):
        shuffled = list(items)
        Random(seed).shuffle(shuffled)
        index = MatchingIndex.build([customer], shuffled)
        assert index.open_items_of(1) == ordered.open_items_of(1)
        for number in {i.number for i in items}:
            assert sorted(index.items_by_number(number)) == sorted(ordered.items_by_number(number))
