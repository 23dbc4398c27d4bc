"""Loading a mapping file (``--mapping MAPPING.json``) into the pure core's ``Mapping``."""

from __future__ import annotations

import json
from pathlib import Path

from incasso.core.erp_rows import Mapping, MappingError


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file; a bad one raises MappingError naming the file and the key."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise MappingError(f"{path}: cannot read the mapping: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise MappingError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    try:
        return Mapping.from_dict(data)
    except MappingError as exc:
        raise MappingError(f"{path}: {exc}") from None
