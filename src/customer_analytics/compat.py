"""Which DuckDB clients can read what we publish, and an environment holding the oldest of them.

DuckDB 2 writes storage version 69 by default, which DuckDB 1.x (the CLI, and the library most BI
tools embed) refuses: "can only read 64-68". Published files are therefore written for the
storage of DuckDB 1.1.0 (file version 64, which every DuckDB from 1.1 on reads). Why 1.1 and not
older: the analytics views read the asking role with getvariable(), which DuckDB 1.1.0
introduced (with SET VARIABLE); DuckDB 1.0 cannot even load the file's catalog ("Failed to
deserialize"). DuckDB 2 reads and writes such files as usual.

    python -m customer_analytics.compat [VENV_DIR]

creates (or keeps) VENV_DIR (default .venv-duckdb1) with duckdb==OLDEST_CLIENT, which the tests
use to open published files as the oldest client we support would.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

STORAGE_VERSION = "v1.1.0"
OLDEST_CLIENT = "1.1.0"
DEFAULT_CLIENT_VENV = ".venv-duckdb1"


def client_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def installed_version(python: Path) -> str | None:
    if not python.exists():
        return None
    found = subprocess.run(
        [str(python), "-c", "import duckdb; print(duckdb.__version__)"],
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip() if found.returncode == 0 else None


def ensure_client_venv(venv: Path, version: str = OLDEST_CLIENT) -> Path:
    """A virtualenv with duckdb==version (created or repaired when missing); its python."""
    python = client_python(venv)
    if installed_version(python) == version:
        return python
    # The base interpreter, not this virtualenv's: a venv made from a venv's python works, but
    # sys._base_executable keeps it independent of the project's .venv.
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         f"duckdb=={version}"],
        check=True,
    )  # fmt: skip
    if installed_version(python) != version:
        raise RuntimeError(f"{venv} should hold duckdb {version}, but it does not import")
    return python


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    venv = Path(args[0] if args else DEFAULT_CLIENT_VENV)
    python = ensure_client_venv(venv)
    print(f"compat: {python} has duckdb {OLDEST_CLIENT}, the oldest client published files support")
    return 0


if __name__ == "__main__":
    sys.exit(main())
