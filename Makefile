# The mentorship API. `make run` starts a demo on SQLite; `make test` runs every test.
CARGO ?= cargo

.PHONY: run test lint fmt openapi migrate check-domain-purity s3-server

## Build and start the server on 127.0.0.1:8080 with an embedded SQLite database in data/.
## Development defaults: a bootstrap admin admin@example.com / change-me-now, a JWT secret in data/.
run:
	$(CARGO) run -p mentorship-api --bin mentorship -- serve

## Apply the migrations of DATABASE_URL and exit.
migrate:
	$(CARGO) run -p mentorship-api --bin mentorship -- migrate

## Every test. The PostgreSQL half runs when TEST_POSTGRES_URL is set; the documents on S3 when
## TEST_S3_SERVER names an S3-compatible server to start (`make s3-server` installs one).
test:
	@if [ -z "$$TEST_POSTGRES_URL" ]; then \
	  echo "make test: PostgreSQL half skipped: TEST_POSTGRES_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/postgres)"; \
	fi
	@if [ -z "$$TEST_S3_SERVER" ]; then \
	  echo "make test: S3 half skipped: TEST_S3_SERVER is not set (make s3-server; TEST_S3_SERVER=$(S3_SERVER))"; \
	fi
	$(CARGO) test --workspace --all-targets --no-fail-fast

## The S3-compatible server the storage tests start on loopback: moto's, from PyPI (pinned in
## tests/s3-requirements.txt), installed into .venv-s3.
S3_SERVER = $(CURDIR)/.venv-s3/bin/moto_server
s3-server: $(S3_SERVER)
$(S3_SERVER): tests/s3-requirements.txt
	python3 -m venv .venv-s3
	.venv-s3/bin/pip install -q --disable-pip-version-check -r tests/s3-requirements.txt
	touch $(S3_SERVER)

## Formatting, clippy with warnings as errors, the domain crate's purity, the dependencies'
## licenses, duplicate versions and sources (cargo deny, deny.toml), and unused dependencies
## (cargo machete). The two tools are installed, pinned, when missing.
lint: check-domain-purity deny machete
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

CARGO_DENY_VERSION = 0.20.2
CARGO_MACHETE_VERSION = 0.9.2

.PHONY: deny machete
## The advisory database cannot be fetched from here, so `advisories` is not checked.
deny:
	@$(CARGO) deny --version 2>/dev/null | grep -qx "cargo-deny $(CARGO_DENY_VERSION)" || \
	  $(CARGO) install --locked --quiet cargo-deny --version $(CARGO_DENY_VERSION)
	$(CARGO) deny check licenses bans sources

machete:
	@$(CARGO) machete --version 2>/dev/null | grep -qx "$(CARGO_MACHETE_VERSION)" || \
	  $(CARGO) install --locked --quiet cargo-machete --version $(CARGO_MACHETE_VERSION)
	$(CARGO) machete

fmt:
	$(CARGO) fmt --all

## The domain decides rules and does no I/O: no tokio, sqlx or actix among its dependencies.
check-domain-purity:
	@if $(CARGO) tree -p mentorship-domain -e normal --prefix none | grep -E '^(tokio|sqlx|actix|mio|hyper)' ; then \
	  echo "mentorship-domain depends on an I/O crate (above)"; exit 1; \
	else echo "mentorship-domain: no I/O dependencies"; fi

## Rewrite the committed contract from the code.
openapi:
	$(CARGO) run -q -p mentorship-api --bin mentorship -- openapi > openapi/openapi.json.tmp
	mv openapi/openapi.json.tmp openapi/openapi.json

.PHONY: seed-demo fuzz-api lint-openapi clients client-typescript client-python

## Build the demo program (README, "The demo program"; published passwords) on an empty DATABASE_URL.
seed-demo:
	$(CARGO) run -q -p mentorship-api --bin mentorship -- seed-demo

## Contract fuzzing: schemathesis (pinned in fuzz/requirements.txt, installed into .venv) against
## openapi/openapi.json on a fresh seeded SQLite database, as no one and as each demo role.
## With FUZZ_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres, on a fresh PostgreSQL
## database too. FUZZ_SEED and FUZZ_MAX_EXAMPLES change the cases.
fuzz-api:
	$(CARGO) build -q -p mentorship-api --bin mentorship
	./fuzz/fuzz-api.sh

## The generated clients frontends and scripts would use, checked against the committed contract:
## TypeScript types (openapi-typescript) under a typed openapi-fetch program compiled with
## tsc --strict (clients/typescript, pinned in its package-lock.json), and a Python client
## (openapi-python-client) whose walk.py passes mypy --strict and then walks a live server.
clients: client-typescript client-python

client-typescript:
	cd clients/typescript && npm ci --no-audit --no-fund --silent && npm run -s generate && npm run -s check

client-python:
	$(CARGO) build -q -p mentorship-api --bin mentorship
	./clients/python/check.sh

## Lint the committed contract offline with Redocly CLI; redocly.yaml and .redocly.lint-ignore.yaml
## say why each exception stands.
REDOCLY_CLI_VERSION = 2.77.0
lint-openapi:
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
	  npx --yes @redocly/cli@$(REDOCLY_CLI_VERSION) lint --config redocly.yaml openapi/openapi.json

.PHONY: bench bench-cohort bench-statements check-bench

## Benchmarks (not part of `make test`: timings are noisy). Release build, server and wrk pinned to
## separate cores, each endpoint as a ratio to its ceiling; writes bench/results/latest.json.
## See BENCHMARKS.md. Installs wrk (and curl) with apt-get when missing. Then issuing a month
## (bench-statements).
bench:
	CARGO="$(CARGO)" bench/run.sh
	CARGO="$(CARGO)" bench/statements.sh

## Issuing a month for 1,000 mentors over HTTP against the store alone, on SQLite and, with
## BENCH_POSTGRES_URL, on PostgreSQL; writes bench/results/statements.json.
bench-statements:
	CARGO="$(CARGO)" bench/statements.sh

## What a 500-student cohort costs against 500 single enrollments, on SQLite and, with
## BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres, on PostgreSQL; writes
## bench/results/cohort.json.
bench-cohort:
	CARGO="$(CARGO)" bench/cohort.sh

## What CI checks of the bench: that it compiles.
check-bench:
	$(CARGO) check -p mentorship-bench --all-targets
