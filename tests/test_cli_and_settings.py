"""The `incasso` entry point: clear errors for bad settings and for a database that is not set up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

INCASSO = [sys.executable, "-m", "incasso.cli"]


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("INCASSO_")}
    environment.update({"INCASSO_VAR_DIR": str(tmp_path), **env})
    return subprocess.run([*INCASSO, *args], capture_output=True, text=True, env=environment, timeout=120,  # noqa: S603
                          check=False)


def test_a_command_on_an_uninitialised_database_says_to_migrate(tmp_path):
    result = run(["report", "aging"], tmp_path, INCASSO_DATABASE_URL=f"sqlite:///{tmp_path}/empty.sqlite3")
    assert result.returncode == 2
    assert "not initialised" in result.stderr and "incasso migrate" in result.stderr


def test_help_needs_no_database(tmp_path):
    result = run(["report", "aging", "--help"], tmp_path, INCASSO_DATABASE_URL=f"sqlite:///{tmp_path}/none.sqlite3")
    assert result.returncode == 0
    assert "--as-of" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("INCASSO_DEBUG", "maybe", "INCASSO_DEBUG='maybe' is not a boolean"),
        ("INCASSO_DATABASE_URL", "mysql://root@localhost/x", "only sqlite:///PATH and postgresql://"),
        ("INCASSO_SECRET_KEY", "short", "INCASSO_SECRET_KEY is too short"),
        ("INCASSO_EMAIL_PORT", "twenty-five", "INCASSO_EMAIL_PORT='twenty-five' is not a whole number"),
    ],
)
def test_malformed_settings_fail_loudly_naming_the_variable(tmp_path, variable, value, message):
    result = run(["check"], tmp_path, **{variable: value})
    assert result.returncode == 2
    assert message in result.stderr


def test_migrate_then_the_command_runs(tmp_path):
    url = f"sqlite:///{tmp_path}/fresh.sqlite3"
    assert run(["migrate", "-v", "0"], tmp_path, INCASSO_DATABASE_URL=url).returncode == 0
    result = run(["report", "aging", "--as-of", "2026-11-20", "--format", "json"], tmp_path, INCASSO_DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert '"as_of": "2026-11-20"' in result.stdout
