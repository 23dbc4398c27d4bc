"""Normalising what payers write: company names (accents, legal forms, word order) and document
numbers (OCR and typing noise: separators, missing leading zeros, prefixes and filler words).

A document number has three keys: ``compact`` (upper case, letters and digits only: FA00000123),
``canonical`` (letter prefix + the digits without leading zeros: FA123) and ``digits`` (123). The
index holds the first two for every open item and the third for lookups within one customer.
"""

from __future__ import annotations

import re
import unicodedata

# Legal forms dropped from names before comparing ("ACME ROMÂNIA S.R.L." = "Acme Romania SRL").
# Written without dots and spaces: names are compared after punctuation is removed.
LEGAL_FORMS = frozenset({
    "srl", "sarl", "sas", "sasu", "sa", "sl", "slu", "sll", "gmbh", "ag", "kg", "ohg", "ek", "se", "ug",
    "spa", "sapa", "snc", "srls", "ltd", "limited", "plc", "llp", "lp", "llc", "inc", "corp", "co",
    "bv", "nv", "cv", "vof", "bvba", "sprl", "eurl", "sca", "scs", "oy", "ab", "as", "aps", "sro", "spzoo",
    "kft", "zrt", "doo", "ad", "eood", "ood", "sons", "and", "et", "und", "cie",
})
# Dotted and spaced spellings joined before tokenising ("S.R.L.", "S. A.", "S.p.A.", "GmbH & Co. KG").
_DOTTED_FORM = re.compile(r"\b((?:[a-z]{1,2}\s?\.\s?){2,4})(?=\s|$)")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_NON_ALNUM = re.compile(r"[^0-9A-Z]+")


def strip_accents(text: str) -> str:
    if text.isascii():
        return text  # the common case, and ten times faster than decomposing
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_tokens(name: str) -> list[str]:
    """The significant words of a company name, lower case, accents and legal forms dropped, sorted."""
    text = strip_accents(name).lower().replace("&", " ")
    text = _DOTTED_FORM.sub(lambda m: m.group(1).replace(".", "").replace(" ", "") + " ", text)
    words = [w for w in _NON_WORD.split(text) if w and w not in LEGAL_FORMS]
    return sorted(words)


def normalise_name(name: str) -> str:
    return " ".join(name_tokens(name))


def compact(text: str) -> str:
    """Upper case, letters and digits only."""
    if text.isascii() and text.isalnum():
        return text.upper()  # the common case (IBANs, references): nothing to remove
    return _NON_ALNUM.sub("", strip_accents(text).upper())


_PREFIX_DIGITS = re.compile(r"^([A-Z]*)(\d+)$")


def canonical(number: str) -> str:
    """Letter prefix + digits without leading zeros (FA-0000123 → FA123); other shapes stay compact."""
    packed = number if number.isalnum() and number.isascii() and number.isupper() else compact(number)
    match = _PREFIX_DIGITS.match(packed)
    if not match:
        return packed
    return match.group(1) + str(int(match.group(2)))


_DIGITS = "0123456789"


def number_keys(number: str) -> tuple[str, str]:
    """``(compact(number), canonical(compact(number)))``, the two index keys of a document number,
    without regular expressions for the common shape (ASCII letters and digits): the index computes
    them for every open item of the ledger."""
    packed = number.upper() if number.isascii() and number.isalnum() else compact(number)
    head = packed.rstrip(_DIGITS)  # packed holds only A-Z and 0-9: letters then digits is canonical's shape
    if len(head) == len(packed) or not (head == "" or head.isalpha()):
        return packed, packed
    return packed, head + str(int(packed[len(head):]))


def digits_key(number: str) -> str:
    """The trailing digits of a number without leading zeros ('' when it ends in a letter)."""
    match = re.search(r"(\d+)$", compact(number))
    return str(int(match.group(1))) if match else ""


# a run of letters (optional) then digits, with the separators payers type between them
_CANDIDATE = re.compile(r"(?<![0-9A-Z])([A-Z]{1,5})?[\s\-./#:°]{0,3}(\d[\d\s\-/]{0,14}\d|\d)(?![0-9])")
# dates and amounts in the text are not document numbers: blanked out before looking for numbers
_DATE_OR_AMOUNT = re.compile(r"(?<![0-9])(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}"
                             r"|\d{1,3}(?:[.,' ]\d{3})*[.,]\d{2})(?![0-9])")


def number_candidates(text: str) -> list[tuple[str, str]]:
    """Document-number candidates in free text, in order, as (as written, canonical) pairs.

    Each letter-prefixed candidate is returned once with its prefix (FA123) and once as digits only
    (123), because the prefix may be the payer's filler word ("Nr. 123") rather than the number's."""
    upper = _DATE_OR_AMOUNT.sub(" ", strip_accents(text).upper())
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    for match in _CANDIDATE.finditer(upper):
        written = match.group(0).strip()
        prefix = match.group(1) or ""
        body = match.group(2)
        digits = re.sub(r"\D", "", body)
        if len(digits) > 12:
            continue
        keys = []
        if prefix:
            keys.append(prefix + str(int(digits)))
        keys.append(str(int(digits)))
        for key in keys:
            if key not in seen:
                seen.add(key)
                found.append((written, key))
    return found
