# The two commands a newcomer needs:
#   make demo   sets everything up and runs every function on its sample events
#   make test   installs the test tools and runs every check CI runs
# Both are idempotent and stop at the first failing step.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(CURDIR)/.venv/bin:$(PATH)

.PHONY: demo test setup lint unit bench sam-build clean-demo

demo: setup
	scripts/demo.sh

test: setup
	scripts/test.sh

# Python tools (cargo-lambda, ziglang, moto, cfn-lint, sam) into .venv.
setup:
	scripts/setup.sh

bench: setup
	scripts/bench.sh

# arm64 build of every function, as deployed (needs ziglang from `make setup`).
sam-build: setup
	rustup target add aarch64-unknown-linux-gnu
	sam build --region us-east-1
