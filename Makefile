# customauth: `make run` runs the service locally, `make test` runs every test.
SHELL := /bin/bash
CARGO ?= cargo
DEV_DIR ?= .dev
DEV_CREDENTIALS := $(DEV_DIR)/credentials.json

.PHONY: run test lint fmt bench clean-dev

## run: generate dev credentials (once), mint a ticket and verify it
run: $(DEV_CREDENTIALS)
	@ticket=$$($(CARGO) run -q --release -p customauth-cli -- mint --credentials $(DEV_CREDENTIALS) --uid dev_user_1) && \
	echo "ticket: $$ticket" && \
	$(CARGO) run -q --release -p customauth-cli -- verify --credentials $(DEV_CREDENTIALS) "$$ticket"

$(DEV_CREDENTIALS):
	@mkdir -p $(DEV_DIR)
	$(CARGO) run -q --release -p customauth-cli -- keygen --env dev-env --key-id dev-key --out $@

## test: formatting, clippy, every unit, integration and doc test
test: lint
	$(CARGO) nextest run --workspace --all-targets --no-fail-fast
	$(CARGO) test --workspace --doc

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

## bench: openssl speed vs customauth vs the official SDK, then criterion
bench:
	scripts/bench.sh
	$(CARGO) bench -p customauth --bench sign

clean-dev:
	rm -rf $(DEV_DIR)
