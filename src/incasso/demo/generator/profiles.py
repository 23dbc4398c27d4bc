"""The data sets the generator can write: ``demo`` (a browsable client group) and ``large``
(a benchmark ledger). ``Profile.scaled`` keeps a profile's logic with other counts, so a test can run
the large-profile logic on a thousand customers."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Profile:
    """How much to generate. Item counts are exact: ``open_items`` rows with an open amount,
    ``cleared_items`` rows fully cleared (paid invoices, the payments and credit notes that cleared
    them, and the payments behind partly paid open invoices)."""

    name: str
    customers: int
    open_items: int
    cleared_items: int
    groups: int  # business partners with accounts in several entities
    history_days: int = 540  # how far back the paid history goes (about 18 months)
    second_iban_per_mille: int = 250  # customers that pay from two bank accounts

    def scaled(self, *, customers: int, open_items: int, cleared_items: int, groups: int | None = None) -> Profile:
        return replace(self, customers=customers, open_items=open_items, cleared_items=cleared_items,
                       groups=self.groups if groups is None else groups)


PROFILES: dict[str, Profile] = {
    "demo": Profile("demo", customers=600, open_items=4_000, cleared_items=8_000, groups=8),
    "large": Profile("large", customers=100_000, open_items=1_000_000, cleared_items=2_000_000, groups=500,
                     second_iban_per_mille=100),
}
