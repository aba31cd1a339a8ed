"""Fixtures of the Python package's tests: the workspace, the `agora` binary they compare
against (AGORA_BIN, else target/debug/agora, which `make test` builds first), a scratch dir."""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _binary() -> Path:
    env = os.environ.get("AGORA_BIN")
    if env:
        return Path(env)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "debug" / "agora"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def example() -> Path:
    return ROOT / "instances" / "example-day.json"


@pytest.fixture(scope="session")
def cli():
    """Runs the agora binary; returns the completed process (check=False)."""
    binary = _binary()
    if not binary.is_file():
        pytest.fail(f"{binary} not found: build it with `cargo build -p agora-cli` (make test does) or set AGORA_BIN")

    def run(*args, check=True):
        p = subprocess.run([str(binary), *map(str, args)], cwd=ROOT, capture_output=True, text=True)
        if check and p.returncode != 0:
            raise AssertionError(f"agora {' '.join(map(str, args))} exited {p.returncode}:\n{p.stdout}\n{p.stderr}")
        return p

    return run


def load(path) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)
