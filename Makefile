# agora: the two commands of the README, and the prerequisites they need.
#   make run   solves the bundled example day
#   make test  runs every test of the workspace
# Both install what a fresh Debian machine lacks (cmake, libclang for HiGHS' build) first.

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CARGO ?= cargo

.PHONY: deps data run test bench fmt fmt-check clippy

deps:
	@if ! command -v cmake >/dev/null 2>&1 || ! ls /usr/lib/llvm-*/lib/libclang*.so* >/dev/null 2>&1; then \
		echo "installing cmake and libclang (needed to build HiGHS)"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake libclang-dev; \
	fi

# The real data sets the tests and importers read (MovieLens-100k from the recbole 1.2.1 wheel,
# the Open Bandit sample from the obp 0.4.1 wheel, through pip), into data/; not committed.
data:
	scripts/fetch-data.sh

run: deps
	$(CARGO) run -p agora-cli -- solve instances/example-day.json --out solution.json

test: deps data
	$(CARGO) test --workspace --all-features

bench: deps
	$(CARGO) bench -p agora-benches

fmt:
	$(CARGO) fmt --all

fmt-check:
	$(CARGO) fmt --all -- --check

clippy: deps
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings
