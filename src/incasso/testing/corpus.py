"""Where the shared third-party test files live, and how tests skip when they are absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus"


def corpus_dir() -> Path:
    """The corpus folder; in CI its absence is a failure, elsewhere a clearly-worded skip."""
    if CORPUS.is_dir():
        return CORPUS
    if os.environ.get("CI"):
        pytest.fail(f"the shared corpus is missing at {CORPUS}; CI must run with ../shared beside the checkout")
    pytest.skip(f"the shared corpus is not at {CORPUS} (expected ../shared/corpus beside the checkout)")
