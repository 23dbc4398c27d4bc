"""Structured payment references: the payer's pointer to the invoice, checked by its check digits.

* ISO 11649 creditor reference: ``RF`` + 2 check digits + 1-21 letters/digits, ISO 7064 mod 97-10
  (move the first four characters to the end, letters to 10..35, the number mod 97 is 1).
* Belgian structured communication (OGM/VCS): 12 digits written ``+++123/4567/89002+++`` (or with
  ``***``); the last two digits are the first ten mod 97, with 97 for a remainder of 0.
* Swiss QR reference (QRR) and the older ISR/ESR reference: 27 digits (ISR also 16), the last digit
  a mod 10 recursive check over the others.

A reference whose check digits fail is still returned (flagged ``valid=False``): a payer who
mistypes one digit of an RF still paid, and cash application should see what was written.
"""

from __future__ import annotations

import re

from incasso.core.bank.model import ReferenceKind, RemittanceInfo

_RF = re.compile(r"^RF(\d{2})([0-9A-Z]{1,21})$")
_RF_IN_TEXT = re.compile(r"\bRF\s?\d{2}(?:\s?[0-9A-Z]){1,21}\b")
_BE_IN_TEXT = re.compile(r"([+*]{3})\s*(\d{3})\s*/\s*(\d{4})\s*/\s*(\d{5})\s*\1")
_MOD10_TABLE = (0, 9, 4, 6, 8, 2, 7, 1, 3, 5)


def normalise(reference: str) -> str:
    return re.sub(r"[\s]", "", reference).upper()


# ISO 7064 letters to numbers (A = 10 ... Z = 35), as a translation table: a dunning run computes
# one reference per letter, so this is kept to one C-level call per reference.
_LETTER_DIGITS = {ord(c): str(int(c, 36)) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}


def _mod97(text: str) -> int:
    return int(text.translate(_LETTER_DIGITS)) % 97


def is_valid_rf(reference: str) -> bool:
    ref = normalise(reference)
    return bool(_RF.match(ref)) and _mod97(ref[4:] + ref[:4]) == 1


def rf_check_digits(body: str) -> str:
    """The two check digits that make ``RF??`` + ``body`` valid (to build references)."""
    return f"{98 - _mod97(normalise(body) + 'RF00'):02d}"


def is_valid_belgian(reference: str) -> bool:
    digits = re.sub(r"\D", "", reference)
    if len(digits) != 12:
        return False
    check = int(digits[:10]) % 97 or 97
    return check == int(digits[10:])


def qr_check_digit(digits: str) -> int:
    carry = 0
    for char in digits:
        carry = _MOD10_TABLE[(carry + int(char)) % 10]
    return (10 - carry) % 10


def is_valid_qr_reference(reference: str) -> bool:
    digits = normalise(reference)
    if not digits.isdigit() or len(digits) not in (16, 27):
        return False
    return qr_check_digit(digits[:-1]) == int(digits[-1])


def classify(reference: str) -> tuple[str, ReferenceKind, bool | None]:
    """Name the scheme of a structured reference and check it: (normalised, kind, valid)."""
    ref = normalise(reference)
    be = _BE_IN_TEXT.fullmatch(reference.strip())
    if be:
        digits = "".join(be.group(2, 3, 4))
        return digits, ReferenceKind.BE, is_valid_belgian(digits)
    if ref.startswith("RF") and _RF.match(ref):
        return ref, ReferenceKind.RF, is_valid_rf(ref)
    if ref.isdigit() and len(ref) == 27:
        return ref, ReferenceKind.QRR, is_valid_qr_reference(ref)
    if ref.isdigit() and len(ref) == 12 and is_valid_belgian(ref):
        return ref, ReferenceKind.BE, True
    if ref.isdigit() and len(ref) == 16 and is_valid_qr_reference(ref):
        return ref, ReferenceKind.QRR, True
    return ref, ReferenceKind.OTHER, None


def find_references(text: str) -> list[tuple[str, ReferenceKind, bool]]:
    """Structured references written inside free text, with check digits that verify."""
    found: list[tuple[str, ReferenceKind, bool]] = []
    for match in _BE_IN_TEXT.finditer(text):
        digits = "".join(match.group(2, 3, 4))
        if is_valid_belgian(digits):
            found.append((digits, ReferenceKind.BE, True))
    for match in _RF_IN_TEXT.finditer(text.upper()):
        ref = normalise(match.group(0))
        # the greedy match may swallow the next word; shorten until the check digits hold
        while len(ref) > 4 and not is_valid_rf(ref):
            ref = ref[:-1]
        if len(ref) > 4:
            found.append((ref, ReferenceKind.RF, True))
    for match in re.finditer(r"(?<!\d)(\d{27})(?!\d)", text.replace(" ", "")):
        if is_valid_qr_reference(match.group(1)):
            found.append((match.group(1), ReferenceKind.QRR, True))
    return found


def remittance(structured: str = "", unstructured: str = "", documents: tuple = ()) -> RemittanceInfo:
    """Build remittance info, classifying a structured reference or one found in the free text."""
    unstructured = " ".join(unstructured.split())
    if structured.strip():
        ref, kind, valid = classify(structured)
        return RemittanceInfo(ref, kind, valid, unstructured, documents)
    found = find_references(unstructured) if unstructured else []
    if found:
        ref, kind, valid = found[0]
        return RemittanceInfo(ref, kind, valid, unstructured, documents)
    return RemittanceInfo("", None, None, unstructured, documents)
