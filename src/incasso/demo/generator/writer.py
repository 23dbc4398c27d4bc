"""Write a profile's files in one streaming pass over the customers.

Same seed, profile and as-of date give byte-identical files: the plan and the details are drawn
from two ``random.Random`` streams seeded from text (stable across processes, unlike ``hash``), in
a fixed order, and nothing iterates over a set or an unordered mapping.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from random import Random

from incasso.demo.generator.behaviours import BEHAVIOURS
from incasso.demo.generator.catalog import ENTITIES, USERS
from incasso.demo.generator.customers import contacts, customer_account, plan_customers
from incasso.demo.generator.items import DateText, Numbering, customer_items
from incasso.demo.generator.profiles import Profile

ENTITY_COLUMNS = ["code", "name", "country", "currency", "timezone", "language"]
USER_COLUMNS = ["username", "first_name", "last_name", "roles", "language"]
CUSTOMER_COLUMNS = ["entity", "account", "name", "country", "language", "currency", "payment_terms_days",
                    "credit_limit", "segment", "collector", "vat_id", "ibans", "email", "phone", "group"]
TRUTH_COLUMNS = ["account", "entity", "behaviour"]
CONTACT_COLUMNS = ["entity", "account", "purpose", "name", "email", "phone", "language"]
ITEM_COLUMNS = ["entity", "account", "kind", "number", "document_date", "due_date", "currency", "amount",
                "open_amount", "reference", "cleared_date"]

FILES = ("entities.csv", "users.csv", "customers.csv", "customers_truth.csv", "contacts.csv", "items.csv")


@dataclass
class GenerationResult:
    """What was written: rows per file (header excluded) and the wall-clock seconds it took."""

    out_dir: Path
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def files(self) -> list[Path]:
        return [self.out_dir / name for name in self.rows]


def _writer(handle):  # type: ignore[no-untyped-def]
    return csv.writer(handle, lineterminator="\n")


def generate(profile: Profile, out_dir: Path | str, *, seed: int, as_of: date) -> GenerationResult:
    """Write ``FILES`` for ``profile`` into ``out_dir`` (created if missing) as of ``as_of``."""
    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result = GenerationResult(out)

    with open(out / "entities.csv", "w", newline="", encoding="utf-8") as handle:
        writer = _writer(handle)
        writer.writerow(ENTITY_COLUMNS)
        for entity in ENTITIES:
            writer.writerow([entity.code, entity.name, entity.country, entity.currency, entity.timezone,
                             entity.language])
    result.rows["entities.csv"] = len(ENTITIES)

    with open(out / "users.csv", "w", newline="", encoding="utf-8") as handle:
        writer = _writer(handle)
        writer.writerow(USER_COLUMNS)
        for user in USERS:
            writer.writerow([user.username, user.first_name, user.last_name, ";".join(user.roles), user.language])
    result.rows["users.csv"] = len(USERS)

    plan = plan_customers(profile, Random(f"incasso:{profile.name}:{seed}:plan"))
    rng = Random(f"incasso:{profile.name}:{seed}:details")
    as_of_ordinal = as_of.toordinal()
    numbering, day = Numbering(), DateText()
    accounts_per_entity = [0] * len(ENTITIES)
    used_names: set[str] = set()
    counts = {"customers.csv": 0, "customers_truth.csv": 0, "contacts.csv": 0, "items.csv": 0}
    with (
        open(out / "customers.csv", "w", newline="", encoding="utf-8") as customers_file,
        open(out / "customers_truth.csv", "w", newline="", encoding="utf-8") as truth_file,
        open(out / "contacts.csv", "w", newline="", encoding="utf-8") as contacts_file,
        open(out / "items.csv", "w", newline="", encoding="utf-8") as items_file,
    ):
        customers_out, truth_out = _writer(customers_file), _writer(truth_file)
        contacts_out, items_out = _writer(contacts_file), _writer(items_file)
        customers_out.writerow(CUSTOMER_COLUMNS)
        truth_out.writerow(TRUTH_COLUMNS)
        contacts_out.writerow(CONTACT_COLUMNS)
        items_out.writerow(ITEM_COLUMNS)
        contact_rows = item_rows = 0
        for planned in plan:
            accounts_per_entity[planned.entity] += 1
            customer, row = customer_account(planned, accounts_per_entity[planned.entity], rng, used_names,
                                             profile.second_iban_per_mille)
            customers_out.writerow(row)
            behaviour = BEHAVIOURS[planned.behaviour]
            truth_out.writerow([customer.account, customer.entity, behaviour.code])
            for contact in contacts(customer, rng):
                contacts_out.writerow(contact)
                contact_rows += 1
            items = list(customer_items(customer, behaviour, ENTITIES[planned.entity].country,
                                        planned.open_items, planned.cleared_items, as_of_ordinal,
                                        profile.history_days, rng, numbering, day))
            items_out.writerows(items)
            item_rows += len(items)
        counts["customers.csv"] = counts["customers_truth.csv"] = len(plan)
        counts["contacts.csv"], counts["items.csv"] = contact_rows, item_rows
    result.rows.update(counts)
    result.seconds = time.perf_counter() - started
    return result
