"""Which format a bank file is in, decided from its content (never from its name or extension).

Banks and users name files ``export.txt``, ``statement`` or ``MT940.xml``; the first bytes say
more: ``<`` is XML (camt; the root element decides which), ``PK`` a zip archive of statements,
``ISA``/``ST*`` X12, ``01,`` BAI2, a ``0`` + 127-character first record CODA, ``01`` + 120-character
records CFONB120, ``11`` + 80-character records Norma 43, and ``:20:`` or a SWIFT block ``{1:``
MT940/MT942.
"""

from __future__ import annotations

import re

ZIP, XML, X12, BAI2, CODA, CFONB120, NORMA43, SWIFT = (
    "zip", "xml", "x12", "bai2", "coda", "cfonb120", "norma43", "swift",
)

_SWIFT_TAG = re.compile(r"(?m)^(?:\{4:)?:(?:20|25|28C|60F|61|62F):")


def detect(data: bytes) -> str | None:
    """The format family of ``data``, or None when it is none of the bank formats we read."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if data[:4] == b"PK\x03\x04":
        return ZIP
    if head.startswith(b"<"):
        return XML
    if head.startswith(b"ISA") or re.match(rb"^(GS|ST)[*|]", head):
        return X12
    if head.startswith(b"01,"):
        return BAI2
    text = head.decode("latin-1")
    lines = [line.rstrip("\r") for line in text.split("\n") if line.strip()]
    first = lines[0] if lines else ""
    if first.startswith("0") and len(lines) > 1 and lines[1][:1] == "1" and first[:5] == "00000":
        return CODA
    if first[:2] == "01" and (any(len(line) == 120 for line in lines[:5]) or len(first) % 120 == 0):
        return CFONB120
    if first[:2] in ("04", "05", "07") and len(first) == 120:
        return CFONB120  # a fragment: the parser says what is missing
    if first[:2] == "11" and len(first) <= 80 and all(line[:2].isdigit() for line in lines[:5]):
        return NORMA43
    if "{1:" in text[:200] or _SWIFT_TAG.search(text):
        return SWIFT
    return None
