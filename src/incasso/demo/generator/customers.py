"""Customer accounts: the plan (who is where, how they behave, how many items they get) and the
account record with its name, identifiers and contacts.

The plan is drawn first from its own random stream and holds only small tuples, so item quotas can
be shared out exactly (the profile's counts are met to the item) before any row is written; the
details are then drawn customer by customer while the rows stream out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from random import Random

from incasso.demo.generator.behaviours import BEHAVIOURS
from incasso.demo.generator.catalog import (
    COUNTRIES,
    COUNTRY_WORD,
    CURRENCY_SCALE,
    ENTITIES,
    FOREIGN_CUSTOMERS_PER_MILLE,
    GROUP_NAMES,
    LANGUAGE_OF_COUNTRY,
    SEGMENTS,
    CountrySpec,
    collector_for,
)
from incasso.demo.generator.identifiers import iban, vat_id
from incasso.demo.generator.profiles import Profile

_SEGMENT_ITEM_FACTOR = {"sme": 2, "corporate": 4, "public_sector": 3, "key_account": 8}


@dataclass(frozen=True, slots=True)
class PlannedCustomer:
    entity: int  # index into ENTITIES
    segment: int  # index into SEGMENTS
    behaviour: int  # index into BEHAVIOURS
    group: int  # index of the group parent, or -1
    country: str  # the customer's country (differs from the entity's for cross-border sales)
    open_items: int
    cleared_items: int


def share_out(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` in proportion to integer ``weights``, exactly (cumulative flooring)."""
    whole = sum(weights)
    if whole == 0:
        return [0] * len(weights)
    shares, cumulative, given = [], 0, 0
    for weight in weights:
        cumulative += weight
        upto = cumulative * total // whole
        shares.append(upto - given)
        given = upto
    return shares


def plan_customers(profile: Profile, rng: Random) -> list[PlannedCustomer]:
    """Who the customers are and how many open and cleared items each gets (exact totals)."""
    entity_counts = share_out(profile.customers, [e.weight for e in ENTITIES])
    slots = [index for index, count in enumerate(entity_counts) for _ in range(count)]
    rng.shuffle(slots)
    behaviour_weights = [b.per_mille for b in BEHAVIOURS]
    segment_weights = [s[1] for s in SEGMENTS]
    key_account = next(i for i, s in enumerate(SEGMENTS) if s[0] == "key_account")
    corporate = next(i for i, s in enumerate(SEGMENTS) if s[0] == "corporate")

    # Group parents take the first customer slot of several different entities each.
    group_of = [-1] * len(slots)
    free_by_entity: dict[int, list[int]] = {}
    for position, entity in enumerate(slots):
        free_by_entity.setdefault(entity, []).append(position)
    for group in range(profile.groups):
        entities = [e for e in range(len(ENTITIES)) if free_by_entity.get(e)]
        for entity in rng.sample(entities, min(len(entities), rng.randint(2, 4))):
            group_of[free_by_entity[entity].pop()] = group

    drafts = []
    for position, entity in enumerate(slots):
        group = group_of[position]
        segment = (key_account if rng.randrange(2) else corporate) if group >= 0 else \
            rng.choices(range(len(SEGMENTS)), segment_weights)[0]
        behaviour = rng.choices(range(len(BEHAVIOURS)), behaviour_weights)[0]
        country = ENTITIES[entity].country
        if group < 0 and rng.randrange(1000) < FOREIGN_CUSTOMERS_PER_MILLE:
            country = rng.choice([c for c in COUNTRIES if c != country])
        drafts.append((entity, segment, behaviour, group, country))

    def weight(draft: tuple[int, int, int, int, str], per_behaviour: int) -> int:
        return per_behaviour * _SEGMENT_ITEM_FACTOR[SEGMENTS[draft[1]][0]] * rng.randint(20, 180)

    open_quota = share_out(profile.open_items, [weight(d, BEHAVIOURS[d[2]].open_weight) for d in drafts])
    # Cleared items come in pairs (invoice + payment); an odd total adds one triple (invoice +
    # credit note + payment) at the customer with the most history.
    pairs = share_out(profile.cleared_items // 2, [weight(d, BEHAVIOURS[d[2]].cleared_weight) for d in drafts])
    cleared_quota = [2 * p for p in pairs]
    if profile.cleared_items % 2 and cleared_quota:
        cleared_quota[cleared_quota.index(max(cleared_quota))] += 1
    return [
        PlannedCustomer(*draft, open_items=open_count, cleared_items=cleared_count)
        for draft, open_count, cleared_count in zip(drafts, open_quota, cleared_quota, strict=True)
    ]


@dataclass(frozen=True, slots=True)
class CustomerAccount:
    """What the items and contacts of a customer need to know about it."""

    entity: str
    account: str
    name: str
    slug: str
    country: str
    language: str
    currency: str
    payment_terms_days: int
    segment: str
    amount_range_cents: tuple[int, int]


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def company_name(spec: CountrySpec, rng: Random, large: bool, used: set[str]) -> tuple[str, str]:
    """A company name in the country's language with its legal form, and its domain slug."""
    for attempt in range(20):
        surname, activity = rng.choice(spec.surnames), rng.choice(spec.activities)
        base = f"{activity} {surname}" if spec.activity_first else f"{surname} {activity}"
        if attempt >= 3 or rng.randrange(4) == 0:
            base = f"{base} {rng.choice(spec.cities)}"
        if base not in used or attempt == 19:
            break
    used.add(base)
    small_form, large_form = rng.choice(spec.legal_forms)
    form = large_form if large else small_form
    return f"{base} {form}", _slug(base)


def customer_account(planned: PlannedCustomer, number: int, rng: Random, used_names: set[str],
                     second_iban_per_mille: int) -> tuple[CustomerAccount, list[str]]:
    """The account record and its customers.csv row (the ``group`` column last)."""
    entity = ENTITIES[planned.entity]
    spec = COUNTRIES[planned.country]
    segment, _share, limit_range, amount_range = SEGMENTS[planned.segment]
    large = segment in ("key_account", "corporate")
    if planned.group >= 0:
        parent = GROUP_NAMES[planned.group % len(GROUP_NAMES)]
        suffix = "" if planned.group < len(GROUP_NAMES) else f" {planned.group // len(GROUP_NAMES) + 1}"
        base = f"{parent}{suffix} {COUNTRY_WORD[planned.country]}"
        name = f"{base} {spec.legal_forms[0][1]}"
        slug = _slug(f"{parent}{suffix}")
        group_code = f"G-{_slug(parent + suffix).upper()}"
    else:
        name, slug = company_name(spec, rng, large, used_names)
        group_code = ""
    language = LANGUAGE_OF_COUNTRY[planned.country]
    foreign = planned.country != entity.country
    currency = entity.currency
    if entity.foreign_currency and (foreign or rng.randrange(100) < 15):
        currency = entity.foreign_currency
    roll = rng.randrange(10)
    terms = entity.payment_terms[0 if roll < 7 else 1 if roll < 9 else 2]
    numerator, denominator = CURRENCY_SCALE[currency]
    credit_limit = rng.randint(*limit_range) * 1000 * numerator // denominator
    low, high = amount_range
    amount_range_cents = (low * 100 * numerator // denominator, high * 100 * numerator // denominator)
    account = str(100000 + number)
    ibans = [iban(planned.country, rng)]
    if rng.randrange(1000) < second_iban_per_mille:
        ibans.append(iban(planned.country, rng))
    collector = collector_for(entity.code, language, segment == "key_account")
    email = f"{spec.mailbox['general']}@{slug}.{spec.tld}"
    row = [
        entity.code, account, name, planned.country, language, currency, str(terms), f"{credit_limit}.00",
        segment, collector, vat_id(planned.country, rng, large), ";".join(ibans), email,
        phone(spec, rng), group_code,
    ]
    record = CustomerAccount(entity.code, account, name, slug, planned.country, language, currency, terms,
                             segment, amount_range_cents)
    return record, row


def phone(spec: CountrySpec, rng: Random) -> str:
    return f"{spec.phone_prefix} {rng.randint(1, 9)}{rng.randrange(10**8):08d}"


# Which purposes a customer has a contact for, per mille; invoices and reminders always.
_CONTACT_PURPOSES = (("invoices", 1000), ("reminders", 1000), ("statements", 500), ("escalation", 600),
                     ("general", 300))


def contacts(customer: CustomerAccount, rng: Random) -> Iterator[list[str]]:
    """contacts.csv rows: a shared mailbox for invoices and statements, people for the rest.

    Key accounts and cross-border customers often escalate in English (a group finance director)."""
    spec = COUNTRIES[customer.country]
    for purpose, per_mille in _CONTACT_PURPOSES:
        if rng.randrange(1000) >= per_mille:
            continue
        language = customer.language
        if purpose in spec.mailbox:
            name = ""
            email = f"{spec.mailbox[purpose]}@{customer.slug}.{spec.tld}"
        else:
            first, last = rng.choice(spec.first_names), rng.choice(spec.surnames)
            name = f"{first} {last}"
            email = f"{_slug(first)}.{_slug(last)}@{customer.slug}.{spec.tld}"
            if purpose == "escalation" and customer.segment == "key_account" and rng.randrange(2):
                language = "en"
        yield [customer.entity, customer.account, purpose, name, email, phone(spec, rng), language]
