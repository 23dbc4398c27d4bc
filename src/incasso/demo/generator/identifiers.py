"""VAT ids and IBANs that pass the real checks (python-stdnum, schwifty), drawn from a seeded random.

Cash application identifies payers by IBAN and the import validates VAT ids, so demo data with bad
check digits would only exercise the error paths. Each national VAT format is built from a random
body and its own check algorithm; IBANs are built by schwifty from a real bank code, which also
computes the national check digits (French RIB key, Spanish DC, Italian CIN, German account
checks).
"""

from __future__ import annotations

from random import Random

from schwifty import IBAN
from stdnum import luhn
from stdnum.es import cif
from stdnum.iso7064 import mod_11_10
from stdnum.ro import cui

from incasso.demo.generator.catalog import COUNTRIES


def _digits(rng: Random, count: int, first_nonzero: bool = True) -> str:
    low = 10 ** (count - 1) if first_nonzero else 0
    return str(rng.randrange(low, 10**count)).zfill(count)


def vat_id(country: str, rng: Random, large_company: bool = False) -> str:
    """A valid VAT id of ``country`` with its two-letter prefix (``FR``, ``ESB``..., ``GB``)."""
    if country == "FR":
        # SIREN: 8 digits + Luhn check; the TVA key is (12 + 3 * (SIREN mod 97)) mod 97.
        body = _digits(rng, 8)
        siren = body + luhn.calc_check_digit(body)
        key = (12 + 3 * (int(siren) % 97)) % 97
        return f"FR{key:02d}{siren}"
    if country == "DE":
        body = _digits(rng, 8)
        return f"DE{body}{mod_11_10.calc_check_digit(body)}"
    if country == "ES":
        # CIF: A = sociedad anónima, B = sociedad limitada; province, sequence, numeric check digit.
        letter = "A" if large_company else "B"
        body = letter + _digits(rng, 7, first_nonzero=False)
        return f"ES{body}{cif.calc_check_digits(body)[0]}"
    if country == "IT":
        # Partita IVA: 7-digit company number, 3-digit provincial office (001-100), Luhn check.
        body = _digits(rng, 7) + f"{rng.randint(1, 100):03d}"
        return f"IT{body}{luhn.calc_check_digit(body)}"
    if country == "RO":
        body = _digits(rng, rng.randint(5, 8))
        return f"RO{body}{cui.calc_check_digit(body)}"
    if country == "GB":
        # Weights 8..2 on the first seven digits, 10 and 1 on the check pair: total ≡ 0 (mod 97).
        body = _digits(rng, 7)
        weighted = sum(w * int(d) for w, d in zip((8, 7, 6, 5, 4, 3, 2), body, strict=True))
        return f"GB{body}{(-weighted) % 97:02d}"
    raise ValueError(f"no VAT id format for country {country!r}")


def iban(country: str, rng: Random) -> str:
    """A valid IBAN at one of the country's banks, in electronic form (no spaces)."""
    spec = COUNTRIES[country]
    bank_code, branch_code = spec.banks[rng.randrange(len(spec.banks))]
    if country == "DE":
        # German banks embed a check digit in the account number by a bank-specific method;
        # schwifty's random generator solves it for the bank (seeded by our random).
        return str(IBAN.random(country_code="DE", random=rng, bank_code=bank_code))
    account = _digits(rng, spec.account_digits, first_nonzero=False)
    if branch_code:
        return str(IBAN.generate(country, bank_code=bank_code, branch_code=branch_code, account_code=account))
    return str(IBAN.generate(country, bank_code=bank_code, account_code=account))
