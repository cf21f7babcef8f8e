"""Shared fixtures: run dbt as a user would (a subprocess from the project root) into temp dirs."""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = PROJECT_ROOT / "data" / "raw"
DBT = Path(sys.executable).with_name("dbt")
DBT_TIMEOUT_S = 900
T = TypeVar("T")


PROJECT_PARTS = [
    "dbt_project.yml", "profiles.yml", "models", "python_models", "macros", "seeds",
    "tests/generic", "tests/staging", "tests/marts", "tests/seeds", "analyses",
]  # fmt: skip


def copy_project(target: Path) -> Path:
    """A copy of the dbt project (not its data) that a test may change without touching the repo."""
    for part in PROJECT_PARTS:
        source = PROJECT_ROOT / part
        if source.is_dir():
            shutil.copytree(source, target / part)
        elif source.exists():
            target.joinpath(part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target / part)
    return target


def load_python_file(relative_path: str):
    """A Python file of the project (a dbt Python model, a bench script) imported as a module,
    so its plain functions can be tested."""
    path = PROJECT_ROOT / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class DbtRun:
    returncode: int
    output: str


def dbt_env(tmp_dir: Path, duckdb_path: Path | None = None, cwd: Path = PROJECT_ROOT) -> dict:
    """Environment for a dbt process with its own target/log dirs and DuckDB file under tmp_dir."""
    return {
        **os.environ,
        "PYTHONWARNINGS": "ignore",
        "DBT_PROFILES_DIR": str(cwd),
        "DBT_TARGET": "duckdb",
        "DUCKDB_PATH": str(duckdb_path or tmp_dir / "warehouse.duckdb"),
        "DBT_TARGET_PATH": str(tmp_dir / "target"),
        "DBT_LOG_PATH": str(tmp_dir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_USE_COLORS": "false",
    }


def run_command(
    command: list[str], env: dict, cwd: Path = PROJECT_ROOT, timeout: int = DBT_TIMEOUT_S
) -> DbtRun:
    completed = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return DbtRun(completed.returncode, completed.stdout + completed.stderr)


def run_dbt(
    args: list[str], tmp_dir: Path, duckdb_path: Path | None = None, cwd: Path = PROJECT_ROOT
) -> DbtRun:
    """Run the dbt CLI against the project with its own target/log dirs under tmp_dir."""
    return run_command([str(DBT), *args], dbt_env(tmp_dir, duckdb_path, cwd), cwd)


def made_once(tmp_path_factory, name: str, make: Callable[[Path], T]) -> T:
    """make(directory), once per test run. Under pytest-xdist (make test runs two workers) each
    worker has its own session: the first that asks makes it in a directory all workers share,
    the others wait for it and load the result."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return make(tmp_path_factory.mktemp(name))
    shared = tmp_path_factory.getbasetemp().parent
    result = shared / f"{name}.pickle"
    with (shared / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            (shared / name).mkdir()
            made = make(shared / name)
            result.write_bytes(pickle.dumps(made))
        return pickle.loads(result.read_bytes())


def build_sample(tmp_dir: Path) -> Path:
    tmp_dir.mkdir(parents=True, exist_ok=True)
    run = run_dbt(["build"], tmp_dir, tmp_dir / "warehouse.duckdb")
    assert run.returncode == 0, run.output[-5000:]
    return tmp_dir


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory) -> Path:
    """The committed sample built once with `dbt build` into a temporary DuckDB file (its dbt
    target beside it). Each xdist worker gets a copy: dbt opens the file read-write."""
    built = made_once(tmp_path_factory, "build", build_sample)
    if "PYTEST_XDIST_WORKER" in os.environ:
        built = Path(shutil.copytree(built, tmp_path_factory.mktemp("build"), dirs_exist_ok=True))
    return built / "warehouse.duckdb"


@pytest.fixture(scope="session")
def delivery_sequence(tmp_path_factory):
    """The committed sample's deliveries built one after another into one file, and the last one
    built in full into another (tests/python/delivery_sequence.py). Shared by the workers
    without copies: only test_delivery_sequence, on one worker, builds into them again."""
    from delivery_sequence import run_sequence

    return made_once(tmp_path_factory, "deliveries", run_sequence)


def pytest_collection_modifyitems(items):
    """The delivery sequence (minutes of builds) first, so one worker starts on it at once, and
    the fakesnow builds that reuse it last, when it is long done."""
    order = {"test_delivery_sequence.py": 0, "test_emulated_sequence.py": 2}
    items.sort(key=lambda item: order.get(item.path.name, 1))


@dataclass
class DocsSite:
    target: Path  # what `dbt docs generate` wrote: index.html, manifest.json, catalog.json
    published: Path
    published_digest: str
    absent_working: Path


@pytest.fixture(scope="session")
def docs_site(built_warehouse, tmp_path_factory) -> DocsSite:
    """`make docs` as a user runs it: the docs site generated from the published warehouse
    (built_warehouse published), opened read-only, with no working file anywhere."""
    return made_once(tmp_path_factory, "docs", lambda tmp_dir: make_docs(built_warehouse, tmp_dir))


def make_docs(built_warehouse: Path, tmp_dir: Path) -> DocsSite:
    from customer_analytics.publish import publish_file

    published = tmp_dir / "published" / "warehouse.duckdb"
    publish_file(built_warehouse, published)
    digest = hashlib.sha256(published.read_bytes()).hexdigest()
    absent_working = tmp_dir / "never_built" / "warehouse.duckdb"
    env = {**dbt_env(tmp_dir, absent_working), "PUBLISHED_DUCKDB_PATH": str(published)}
    # -o: never reinstall the project from a test, nor redraw the plots.
    run = run_command(["make", "-o", ".venv/bin/dbt", "-o", "plots", "docs"], env, PROJECT_ROOT)
    assert run.returncode == 0, run.output[-3000:]
    return DocsSite(tmp_dir / "target", published, digest, absent_working)
