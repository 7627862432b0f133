# ccstats: `make run` serves the demo, `make test` runs every test; both set everything up.
# constraints.txt pins every installed package (direct and transitive): regenerate it with
# `.venv/bin/pip freeze --exclude-editable > constraints.txt` after changing pyproject.toml.
VENV := .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# The tests that exercise a store run again on ClickHouse: one server, then a two-shard cluster
# (deploy/clickhouse/servers.sh starts both and stops them afterwards).
STORE_TESTS := tests/test_oracle.py tests/test_ingest.py tests/test_query_options.py \
	tests/test_partitions.py tests/test_seed_fixture.py tests/test_clickhouse.py tests/api \
	tests/test_metadata_races.py tests/test_keys.py tests/test_queues.py \
	tests/test_kpi_oracle.py tests/test_realtime.py tests/test_realtime_oracle.py \
	tests/test_live_events.py tests/test_erasure.py tests/test_retention.py \
	tests/test_spreadsheet.py
CLICKHOUSE_SERVER := clickhouse://127.0.0.1:19000/
CLICKHOUSE_CLUSTER := clickhouse://127.0.0.1:19101/?cluster=ccstats

.PHONY: install browser deploy-tools test test-clickhouse test-clickhouse-server test-clickhouse-cluster mutants check run bench screenshots clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,client,polars]'
	touch $(STAMP)

# The dashboard's end-to-end tests drive Debian's Chromium, installed here with apt-get when
# missing (as root, like CI; elsewhere run `sudo make browser` once).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

# tests/test_deploy_files.py checks deploy/ with the programs that read it: systemd-analyze,
# nginx and openssl, installed here with apt-get when missing (as root, like CI).
deploy-tools:
	@command -v systemd-analyze >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1 && \
		PATH="$$PATH:/usr/sbin" command -v nginx >/dev/null 2>&1 || \
		{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y systemd nginx openssl; }

test: install browser deploy-tools
	$(BIN)/python -m pytest
	$(BIN)/python scripts/mutants.py
	deploy/clickhouse/servers.sh $(MAKE) --no-print-directory test-clickhouse

# Needs the servers of deploy/clickhouse/servers.sh. The server's and the cluster's runs wait
# on the servers most of the time, so they run side by side; each prints its output when done.
test-clickhouse: install
	$(MAKE) --no-print-directory -j2 --output-sync=target test-clickhouse-server \
		test-clickhouse-cluster

test-clickhouse-server:
	CCSTATS_TEST_DB='$(CLICKHOUSE_SERVER)' $(BIN)/python -m pytest $(STORE_TESTS)

test-clickhouse-cluster:
	CCSTATS_TEST_DB='$(CLICKHOUSE_CLUSTER)' $(BIN)/python -m pytest $(STORE_TESTS)

# Plants each fault of scripts/mutants.py in a copy of the tree: the fast correctness
# tests must fail on every one of them (and pass on the unmutated copy).
mutants: install
	$(BIN)/python scripts/mutants.py

check: install
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy

run: install
	$(BIN)/ccstats demo

bench: install
	$(BIN)/python benchmarks/run.py

screenshots: install browser
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
