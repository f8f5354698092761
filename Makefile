# The two commands a newcomer needs:
#   make demo   sets everything up and runs every function on its sample events
#   make test   installs the test tools and runs every check CI runs
# Both are idempotent and stop at the first failing step. After `make demo`,
# `make preview` shows every custom message in one page (target/preview/;
# CARGO_TARGET_DIR, when set, stands for target/ here and in every script).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(CURDIR)/.venv/bin:$(PATH)

.PHONY: demo test test-arm64 setup browser-setup arm64-setup preview bench sam-build config-docs advisories mutants

demo: setup
	scripts/demo.sh

test: setup browser-setup
	scripts/test.sh

# The end-to-end suite against the arm64 bootstraps as `sam build` makes
# them, under qemu-user (scripts/test-arm64.sh says what it leaves out and
# why; docs/testing.md gives its time). Not part of `make test`: a cold
# release build of ten fat-LTO arm64 binaries plus the whole suite under
# emulation would take `make test` (about 17 min) well past 30 min; run it
# as a CI job of its own, beside `make test`.
test-arm64: setup arm64-setup
	scripts/test-arm64.sh

# Python tools (cargo-lambda, ziglang, moto, cfn-lint, sam) into .venv.
setup:
	scripts/setup.sh

# Headless Chromium (Debian's package) for the browser check in `make test`.
browser-setup:
	scripts/setup.sh browser

# qemu-user, the arm64 glibc and Rust's aarch64 target, for `make test-arm64`.
arm64-setup:
	scripts/setup.sh arm64

# Every source in every locale (and TEMPLATES_DIR's, when set), rendered by
# the custom-message binary, in one page. Needs only cargo and python3.
preview:
	python3 scripts/preview.py

bench: setup
	scripts/bench.sh

# docs/configuration.md's tables, rendered again from the variables'
# declarations (`config::declare!` in each crate's config.rs) by the
# `config-docs` tool; `make test` fails while they differ. Review the diff
# before committing it.
config-docs:
	cargo run -p dev-tools --locked --bin config-docs

# arm64 build of every function, as deployed (needs ziglang from `make setup`).
sam-build: setup
	rustup target add aarch64-unknown-linux-gnu
	sam build --region us-east-1

# RustSec advisories for every crate in Cargo.lock (cargo deny, deny.toml),
# and in custom-sender's bootstrap workspace (its own Cargo.lock and
# deny.toml). Needs the advisory database from GitHub, which the development
# machines cannot reach, so it is not part of `make test`; run it where the
# network allows (licences, bans and sources are checked by `make test`).
advisories: setup
	cargo deny check advisories
	cargo deny --manifest-path functions/custom-sender/bootstrap/Cargo.toml check advisories

# Mutation testing of the security core (scripts/mutants.sh: the verifier,
# claims, token and key-set parsing, the authorizer's templates and
# decisions, pre-sign-up's admission and email checks). Tens of minutes: not
# part of `make test`. MUTANTS_ARGS=--list shows the mutants without running.
mutants: setup
	scripts/mutants.sh
