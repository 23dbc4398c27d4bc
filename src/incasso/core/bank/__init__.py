"""Reading bank statements and remittance advices into one shape (``incasso.core.bank.model``).

``parse_bytes(data, file)`` detects the format from the content, decodes the text by the
encoding policy of ``encoding``, and returns the statements the file holds, or raises
``ParseError`` naming the file, the position (line, XML path or X12 segment) and the reason.
Pure: no Django, no database; the cash application app imports what this returns.

| format | module | statements per file |
|---|---|---|
| camt.052 / camt.053 / camt.054 (any version) | camt | one per Rpt / Stmt / Ntfctn |
| MT940 / MT942 | mt940 | one per :20: message |
| BAI2 | bai2 | one per 03 account |
| CODA | coda | one per 0...9 statement |
| Norma 43 | norma43 | one per 11...33 account |
| CFONB120 | cfonb120 | one per 01...07 statement |
| X12 820 | x12_820 | one per ST...SE transaction set |
| zip | (each member) | the members' statements |
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from incasso.core.bank import bai2, camt, cfonb120, coda, mt940, norma43, x12_820
from incasso.core.bank.detect import detect
from incasso.core.bank.encoding import decode
from incasso.core.bank.model import ParseError, ParseWarning, Statement

_TEXT_PARSERS = {
    "swift": mt940.parse, "bai2": bai2.parse, "coda": coda.parse, "norma43": norma43.parse,
    "cfonb120": cfonb120.parse, "x12": x12_820.parse,
}
MAX_ZIP_MEMBERS = 1000


def parse_bytes(data: bytes, file: str) -> list[Statement]:
    """Every statement in one file's bytes; ``file`` names it in messages."""
    if not data.strip():
        raise ParseError(file, "line 1", "the file is empty")
    kind = detect(data)
    if kind is None:
        raise ParseError(file, "line 1", "not a bank statement or remittance format Incasso reads "
                                         "(camt, MT940/942, BAI2, CODA, Norma 43, CFONB120, X12 820)")
    if kind == "xml":
        return camt.parse(data, file)
    if kind == "zip":
        return _parse_zip(data, file)
    decoded = decode(data)
    statements = _TEXT_PARSERS[kind](decoded.text, file)
    if decoded.guessed:
        note = ParseWarning("file", f"not UTF-8; decoded as {decoded.encoding} (most plausible legacy code page)")
        statements = [_with_warning(s, note) for s in statements]
    return statements


def parse_file(path: str | Path) -> list[Statement]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ParseError(str(path), "file", f"cannot be read: {exc.strerror}") from None
    return parse_bytes(data, str(path))


def _parse_zip(data: bytes, file: str) -> list[Statement]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ParseError(file, "zip", f"not a readable zip archive: {exc}") from None
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) > MAX_ZIP_MEMBERS:
        raise ParseError(file, "zip", f"{len(members)} members; at most {MAX_ZIP_MEMBERS} are read")
    statements: list[Statement] = []
    for member in members:
        statements += parse_bytes(archive.read(member), f"{file}!{member.filename}")
    if not statements:
        raise ParseError(file, "zip", "the archive holds no statement")
    return statements


def _with_warning(statement: Statement, warning: ParseWarning) -> Statement:
    from dataclasses import replace

    return replace(statement, warnings=(warning, *statement.warnings))


__all__ = ["ParseError", "ParseWarning", "Statement", "parse_bytes", "parse_file"]
