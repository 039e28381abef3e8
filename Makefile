# customauth: `make run` runs the service locally, `make test` runs every test.
SHELL := /bin/bash
CARGO ?= cargo
PYTHON ?= python3
FUNCTIONS := create-ticket get-user-info get-client-ip
WATCH_PORT ?= 9000

.PHONY: run test deps lint audit fmt build watch invoke deploy bench load first-request clean-dev emulator bench-emulator

## run: the three functions on 127.0.0.1:9001-9003 with generated dev credentials, API key and JWT secret
run:
	scripts/run-local.sh

## test: tools, formatting, clippy, cfn-lint, then every unit, integration, end-to-end and doc test
test: deps lint
	$(CARGO) build --workspace --bins --examples
	scripts/schemathesis.sh
	$(CARGO) nextest run --workspace --all-targets --no-fail-fast
	$(CARGO) test --workspace --doc

## deps: the Python tools the tests use (moto for Secrets Manager/SSM, cfn-lint)
deps:
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@command -v cargo-deny >/dev/null 2>&1 || $(CARGO) install --locked cargo-deny --version 0.20.2

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy -p create-ticket --no-default-features -- -D warnings
	$(PYTHON) scripts/module-cycles.py shared/core/src shared/src cli/src tests/src
	cfn-lint template.yaml
	$(CARGO) deny --offline check licenses bans sources

## audit: RustSec advisories (needs the network; RUSTSEC-2023-0071 is documented in deny.toml)
audit:
	$(CARGO) deny check advisories

fmt:
	$(CARGO) fmt --all

## build: Lambda bundles for arm64 (target/lambda/<function>/bootstrap); needs `pip install cargo-lambda`
## and the aarch64 standard library (`rustup target add aarch64-unknown-linux-gnu`)
build:
	$(CARGO) lambda build --release --arm64 $(addprefix --bin ,$(FUNCTIONS))

## watch: the functions behind cargo lambda's local Lambda emulator, in gateway mode, on port $(WATCH_PORT)
watch: .dev/credentials.json
	$(CARGO) lambda watch --invoke-address 127.0.0.1 --invoke-port $(WATCH_PORT) \
	  --env-var CUSTOMAUTH_CALLER_AUTH=gateway,CUSTOMAUTH_CREDENTIALS_FILE=$(CURDIR)/.dev/credentials.json,RUST_LOG=info

## invoke: send the API Gateway fixtures to `make watch`
invoke:
	$(CARGO) lambda invoke create-ticket --invoke-address 127.0.0.1 --invoke-port $(WATCH_PORT) --data-file tests/fixtures/events/apigw-v2-create-ticket-jwt.json
	$(CARGO) lambda invoke get-user-info --invoke-address 127.0.0.1 --invoke-port $(WATCH_PORT) --data-file tests/fixtures/events/apigw-v2-get-user-info.json
	$(CARGO) lambda invoke get-client-ip --invoke-address 127.0.0.1 --invoke-port $(WATCH_PORT) --data-file tests/fixtures/events/apigw-v2-get-client-ip.json

.dev/credentials.json:
	@mkdir -p .dev && chmod 700 .dev
	$(CARGO) run -q --release -p customauth-cli -- keygen --env dev-env --key-id dev-key --out $@

## deploy: AWS SAM (sam build uses cargo-lambda; see README)
deploy:
	sam build && sam deploy --guided

## bench: openssl speed vs customauth vs the official SDK, then criterion
bench:
	scripts/bench.sh
	$(CARGO) bench -p customauth-core --bench sign

## load: create-ticket under wrk, 64 connections for 60 s: throughput, p50/p99, errors, RSS (not a test)
load:
	scripts/load.sh

## first-request: exec to first answered request for each function (release build)
first-request:
	$(CARGO) build --release -q -p create-ticket -p get-user-info -p get-client-ip
	scripts/first_request.py

## emulator: the local CloudBase sign-in emulator on 127.0.0.1:9100 with the dev credentials (state in .dev/cloudbase-emulator)
emulator: .dev/credentials.json
	$(CARGO) run -q --release -p cloudbase-emulator -- --credentials .dev/credentials.json

## bench-emulator: complete v1 sign-ins per second at 1, 8 and 64 clients, p50/p99, RSS (not a test)
bench-emulator:
	scripts/bench-emulator.sh

clean-dev:
	rm -rf .dev
