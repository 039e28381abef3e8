# customauth: `make run` runs the service locally, `make test` runs every test.
SHELL := /bin/bash
CARGO ?= cargo
FUNCTIONS := create-ticket get-user-info get-client-ip
WATCH_PORT ?= 9000
CARGO_DENY_VERSION := 0.20.2

# The Python tools (requirements-dev.txt) live in a project virtualenv, never in the system
# Python (Debian's refuses `pip install`: externally-managed-environment). HOST_PYTHON only
# creates it; every recipe below finds the venv's python3, pytest, cfn-lint, schemathesis and
# moto first on the PATH, and the Rust test kit runs moto with CUSTOMAUTH_TEST_PYTHON.
VENV := $(CURDIR)/.venv
HOST_PYTHON ?= $(shell command -v python3)
PYTHON := $(VENV)/bin/python
export PATH := $(VENV)/bin:$(PATH)
export CUSTOMAUTH_TEST_PYTHON := $(PYTHON)

.PHONY: run test deps venv cargo-deny fetch node-deps chromium package-tools package-tencent lint pytest audit fmt build watch invoke deploy bench load first-request clean-dev clean-venv emulator bench-emulator bench-cloudbase hostile \
  lambda-tools needs-cargo-lambda sdk-matrix sdk-matrix-deps bench-timing help

## run: the three functions on 127.0.0.1:9001-9003 and the sign-in emulator on 9100, with generated dev credentials
## and API key (PORT_CREATE, PORT_USER, PORT_IP, PORT_EMULATOR move them; RUN_PROFILE=debug builds faster)
run:
	scripts/run-local.sh

## test: tools, formatting, clippy, cfn-lint, then every unit, integration, end-to-end and doc test
test: deps lint
	$(CARGO) build --workspace --bins
	$(CARGO) build -p customauth --examples
	scripts/schemathesis.sh
	$(CARGO) nextest run --workspace --all-targets --no-fail-fast
	$(CARGO) test --workspace --doc
	$(MAKE) --no-print-directory pytest

## pytest: tests/python (template.yaml per caller-auth mode, scripts/run-local.sh, the README, the Tencent package and
## deployment files); needs the debug binaries, and builds the Tencent package itself (PROFILE=dev)
pytest: venv tests/tencent-tools/node_modules/.package-lock.json
	$(PYTHON) -m pytest -q tests/python

## deps: everything a fresh machine lacks: .venv, cargo-deny, every platform's crates (for cargo deny --offline),
## the npm packages of the browser and SDK tests, Debian's chromium, objdump and unzip
deps: venv cargo-deny fetch node-deps chromium package-tools

node-deps: tests/browser/node_modules/.package-lock.json emulator/sdk-tests/node_modules/.package-lock.json \
  tests/oidc/node_modules/.package-lock.json tests/tencent-tools/node_modules/.package-lock.json \
  emulator/sdk-tests/matrix/js-sdk-2.0.1-alpha.0/node_modules/.package-lock.json \
  emulator/sdk-tests/matrix/tcb-js-sdk-1.3.7/node_modules/.package-lock.json

## sdk-matrix: every SDK version set of emulator/sdk-tests/matrix (committed lockfiles) against the emulator:
## sign-in, user info, refresh, sign-out, the ticket refusals; prints the SDK@version x flow table
sdk-matrix: sdk-matrix-deps
	$(CARGO) build -q -p create-ticket
	$(CARGO) nextest run -p cloudbase-emulator --test sdk_matrix --run-ignored all --no-fail-fast --no-capture --test-threads 1 2>&1 \
	  | tee target/sdk-matrix.log | grep -E '^\| |^ +(PASS|FAIL) |Summary'; exit $${PIPESTATUS[0]}

sdk-matrix-deps: emulator/sdk-tests/node_modules/.package-lock.json \
  $(patsubst %/package.json,%/node_modules/.package-lock.json,$(wildcard emulator/sdk-tests/matrix/*/package.json))

%/node_modules/.package-lock.json: %/package-lock.json
	npm ci --prefix $* --no-audit --no-fund

## chromium: Debian's headless browser for the CORS and emulator browser tests (apt-get, as root)
chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] \
	  && { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } \
	  || { echo "make chromium: run as root, or: sudo apt-get install chromium" >&2; exit 2; }; }

## package-tools: Debian's binutils (objdump, for the glibc check) and unzip (the package tests) (apt-get, as root)
package-tools:
	@command -v objdump >/dev/null && command -v unzip >/dev/null || { [ "$$(id -u)" = 0 ] \
	  && { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends binutils unzip; } \
	  || { echo "make package-tools: run as root, or: sudo apt-get install binutils unzip" >&2; exit 2; }; }

venv: $(VENV)/.requirements

$(VENV)/.requirements: requirements-dev.txt scripts/venv.sh
	scripts/venv.sh $(VENV) requirements-dev.txt $(HOST_PYTHON)
	@touch $@

# cargo-deny's own release profile (fat LTO, one codegen unit) makes its build about 6 minutes on
# two cores; without them it builds faster and checks this workspace just as fast (about 1 s).
cargo-deny:
	@$(CARGO) deny --version 2>/dev/null | grep -qx 'cargo-deny $(CARGO_DENY_VERSION)' \
	  || CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
	     $(CARGO) install --locked cargo-deny --version $(CARGO_DENY_VERSION)

fetch:
	$(CARGO) fetch --locked

## lint: rustfmt, clippy (with and without the AWS SDK), import circles, cfn-lint, cargo deny (licenses, bans, sources)
lint: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy -p create-ticket --no-default-features -- -D warnings
	$(PYTHON) scripts/module-cycles.py shared/core/src shared/src cli/src testkit/src emulator/src $(FUNCTIONS:%=functions/%/src)
	cfn-lint template.yaml
	$(CARGO) deny --offline check licenses bans sources

## audit: RustSec advisories (needs the network; none is ignored, see deny.toml)
audit: cargo-deny
	$(CARGO) deny check advisories

## fmt: rustfmt every crate
fmt:
	$(CARGO) fmt --all

## build: Lambda bundles for arm64 (target/lambda/<function>/bootstrap); needs `make lambda-tools`
## and the aarch64 standard library (`rustup target add aarch64-unknown-linux-gnu`)
build: needs-cargo-lambda
	$(CARGO) lambda build --release --arm64 $(addprefix --bin ,$(FUNCTIONS))

## package-tencent: dist/tencent/<function>.zip for a Tencent Cloud web function or CloudBase HTTP function:
## x86_64 binaries for glibc 2.17 (cargo-zigbuild from the venv) and scf_bootstrap (PROFILE=dev builds faster)
package-tencent: venv package-tools
	scripts/package-tencent.sh

# cargo-lambda for watch, invoke and build: from PyPI into .venv (with zig), nothing else of make deps.
CARGO_LAMBDA_VERSION := 1.9.2

## lambda-tools: cargo-lambda $(CARGO_LAMBDA_VERSION) from PyPI into .venv, for make watch, invoke and build
lambda-tools: venv
	$(PYTHON) -m pip install -q cargo-lambda==$(CARGO_LAMBDA_VERSION)

# First prerequisite of the cargo-lambda targets: says how to get it instead of cargo's "no such command".
needs-cargo-lambda:
	@command -v cargo-lambda >/dev/null || { echo "cargo-lambda is not installed: run \`make lambda-tools\` \
	  (pip install cargo-lambda==$(CARGO_LAMBDA_VERSION) into .venv)" >&2; exit 2; }

## watch: the functions behind cargo lambda's local Lambda emulator, in gateway mode, on port $(WATCH_PORT)
watch: needs-cargo-lambda .dev/credentials.json
	$(CARGO) lambda watch --invoke-address 127.0.0.1 --invoke-port $(WATCH_PORT) \
	  --env-var CUSTOMAUTH_CALLER_AUTH=gateway,CUSTOMAUTH_CREDENTIALS_FILE=$(CURDIR)/.dev/credentials.json,RUST_LOG=info

## invoke: send the API Gateway fixtures to `make watch`
invoke: needs-cargo-lambda
	@echo "make invoke: make watch builds each function on its first invocation; the first answer can take minutes" >&2
	$(CARGO) lambda invoke create-ticket --invoke-address 127.0.0.1 --invoke-port $(WATCH_PORT) --data-file tests/fixtures/events/apigw-v2-create-ticket-jwt.json
	$(CARGO) lambda invoke get-user-info --invoke-address 127.0.0.1 --invoke-port $(WATCH_PORT) --data-file tests/fixtures/events/apigw-v2-get-user-info.json
	$(CARGO) lambda invoke get-client-ip --invoke-address 127.0.0.1 --invoke-port $(WATCH_PORT) --data-file tests/fixtures/events/apigw-v2-get-client-ip.json

.dev/credentials.json:
	@mkdir -p .dev && chmod 700 .dev
	$(CARGO) run --release -p customauth-cli -- keygen --env dev-env --key-id dev-key --out $@

## deploy: AWS SAM: sam build (with cargo-lambda) and sam deploy --guided (docs/deploy-aws.md)
deploy:
	sam build && sam deploy --guided

## bench: openssl speed vs customauth vs the official SDK, then criterion
bench:
	scripts/bench/bench.sh
	$(CARGO) bench -p customauth-core --bench sign

## bench-timing: 1024-bit signing time for a fixed vs a random customUserId: median, p99, Welch t (not a test)
bench-timing:
	$(CARGO) bench -p customauth-core --bench timing --no-run
	taskset -c $${BENCH_CPU:-0} $(CARGO) bench -p customauth-core --bench timing

## load: create-ticket under wrk, 64 connections for 60 s: throughput, p50/p99, errors, RSS (not a test)
load:
	scripts/bench/load.sh

## hostile: the functions in HTTP mode against slow, chunked, refused, pipelined, audit-stalling, junk-token and
## forged-context floods, and fail-open settings, then the emulator's attacks: latency, RSS, log counts,
## what the attacker got (not a test)
hostile:
	$(CARGO) build --release -q -p create-ticket -p get-user-info -p get-client-ip -p cloudbase-emulator
	$(HOST_PYTHON) scripts/hostile.py
	$(HOST_PYTHON) scripts/hostile-emulator.py

## first-request: exec to first answered request for each function (release build)
first-request:
	$(CARGO) build --release -q -p create-ticket -p get-user-info -p get-client-ip
	scripts/bench/first_request.py

## emulator: the local CloudBase sign-in emulator on 127.0.0.1:9100 with the dev credentials (state in .dev/cloudbase-emulator)
emulator: .dev/credentials.json
	$(CARGO) run -q --release -p cloudbase-emulator -- --credentials .dev/credentials.json

## bench-emulator: complete v1 sign-ins per second at 1, 8 and 64 clients, p50/p99, RSS (not a test)
bench-emulator:
	scripts/bench/bench-emulator.sh

## bench-cloudbase: getUserInfo in cloudbase mode against the emulator, warm cache vs cold (not a test)
bench-cloudbase:
	scripts/bench/bench-cloudbase.sh

## clean-dev: remove .dev/ (make run's dev credentials, API key and emulator state)
clean-dev:
	rm -rf .dev

## clean-venv: remove the Python tools (make deps makes them again)
clean-venv:
	rm -rf $(VENV)

## help: this list, by group
help:
	@python3 scripts/make-help.py Makefile
