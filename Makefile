# ccstats: `make run` serves the demo, `make test` runs every test; both set everything up.
# constraints.txt pins every installed package (direct and transitive): regenerate it with
# `.venv/bin/pip freeze --all --exclude-editable | grep -v '^pip==' > constraints.txt` after
# changing pyproject.toml (--all keeps setuptools, which pip freeze leaves out before 3.12).
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

.PHONY: install browser deploy-tools wheel test test-duckdb test-wheel test-clickhouse test-clickhouse-server test-clickhouse-cluster mutants check run bench screenshots guide clean

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

# The sdist and the wheel, into dist/, built by the venv's setuptools: what is installed is
# what builds, pinned by constraints.txt, with nothing to download or set up per build.
wheel: install
	$(BIN)/python -m build --no-isolation --outdir dist .

# The embedded store's run and the ClickHouse server's and cluster's run side by side: each
# waits on its servers most of the time, so together they keep both cores busy. Then the
# wheel's test (under a minute alone, most of it pip filling a new venv) runs beside the
# mutants. Each run prints its output when done.
test: install browser deploy-tools
	deploy/clickhouse/servers.sh $(MAKE) --no-print-directory -j3 --output-sync=target \
		test-duckdb test-clickhouse-server test-clickhouse-cluster
	$(MAKE) --no-print-directory -j2 --output-sync=target mutants test-wheel

test-duckdb: install
	env -u CCSTATS_TEST_DB $(BIN)/python -m pytest

# Builds the sdist and the wheel, installs the wheel into a clean venv and runs the demo from
# there; slow, so the plain pytest run leaves it out (marker `wheel`).
test-wheel: install
	$(BIN)/python -m pytest -m wheel tests/test_wheel.py

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

# docs/analysts.md and its pictures, from the demo at a fixed date (tests/test_analysts_guide.py
# checks that the committed page is what this writes).
guide: install
	$(BIN)/python scripts/analysts_guide.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
