"""Turning a bank file's bytes into text: UTF-8 first, then the legacy code pages banks still send.

XML declares its encoding and lxml honours it, so this is for the line formats (MT940/942, BAI2,
CODA, Norma 43, CFONB120, X12). Policy, in order:

1. A UTF-8 byte-order mark, or bytes that are valid UTF-8, are UTF-8 (ASCII is valid UTF-8).
2. An encoding the caller declares (from a bank profile or the format's rule) is used as is.
3. Otherwise each legacy code page in ``LEGACY_ENCODINGS`` decodes the bytes and the most plausible
   text wins: letters score, C0/C1 control characters and undefined bytes cost. Windows-1252 is
   tried first so that Western European text wins ties; IBM 852 wins where a Hungarian or Polish
   DOS export puts ``á`` at 0xA0 (a non-breaking space in Windows-1252). Latin-1 decodes anything,
   so a file is never rejected for its encoding alone: the choice is reported as a warning.

A strictly UTF-8 reader (svenstaro/mt940-rs) rejects such files; WoLpH/mt940 reads them. Incasso
reads them, because the cash behind the lines is real, and says which code page it assumed.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass

LEGACY_ENCODINGS: tuple[str, ...] = ("cp1252", "iso-8859-2", "cp1250", "cp852", "iso-8859-1")


@dataclass(frozen=True, slots=True)
class DecodedText:
    text: str
    encoding: str
    guessed: bool  # True when no UTF-8 and no declaration decided it


def _plausibility(text: str) -> int:
    score = 0
    for char in text:
        if char.isascii():
            continue
        category = unicodedata.category(char)
        if category.startswith("L"):
            score += 2
        elif category in ("Cc", "Co", "Cn") or char == "\ufffd":
            score -= 5
        elif char == "\u00a0":
            score -= 1  # a no-break space inside a word is rarely what a bank meant
        else:
            score -= 1
    return score


def decode(data: bytes, declared: str | None = None) -> DecodedText:
    """Decode bank-file bytes by the policy above."""
    if data.startswith(codecs.BOM_UTF8):
        return DecodedText(data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace"), "utf-8", False)
    try:
        return DecodedText(data.decode("utf-8"), "utf-8", False)
    except UnicodeDecodeError:
        pass
    if declared:
        return DecodedText(data.decode(declared, errors="replace"), declared, False)
    best: DecodedText | None = None
    best_score = 0
    for encoding in LEGACY_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = _plausibility(text)
        if best is None or score > best_score:
            best, best_score = DecodedText(text, encoding, True), score
    assert best is not None  # iso-8859-1 decodes every byte string
    return best
