# The mentorship API. `make run` starts a demo on SQLite; `make test` runs every test.
CARGO ?= cargo

.PHONY: run test lint fmt openapi migrate check-domain-purity

## Build and start the server on 127.0.0.1:8080 with an embedded SQLite database in data/.
## Development defaults: a bootstrap admin admin@example.com / change-me-now, a JWT secret in data/.
run:
	$(CARGO) run -p mentorship-api --bin mentorship -- serve

## Apply the migrations of DATABASE_URL and exit.
migrate:
	$(CARGO) run -p mentorship-api --bin mentorship -- migrate

## Every test. The PostgreSQL half runs when TEST_POSTGRES_URL is set.
test:
	@if [ -z "$$TEST_POSTGRES_URL" ]; then \
	  echo "make test: PostgreSQL half skipped: TEST_POSTGRES_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/postgres)"; \
	fi
	$(CARGO) test --workspace --all-targets --no-fail-fast

## Formatting, clippy with warnings as errors, and the domain crate's purity.
lint: check-domain-purity
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

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
