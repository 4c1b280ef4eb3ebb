# The two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
INSTALL_LOG := $(VENV)/install.log

.PHONY: install run test test-fast bench bench-data compose-check clean

install: $(STAMP)

# Quiet unless it fails: pip's output goes to $(INSTALL_LOG), printed only if a step fails.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required (found %s)" % sys.version.split()[0]'
	@echo "Installing the Hub into $(VENV) (log: $(INSTALL_LOG)) ..."
	@mkdir -p $(VENV)
	@{ $(PYTHON) -m venv $(VENV) \
	   && $(BIN)/pip install --upgrade pip \
	   && $(BIN)/pip install -e '.[test]'; } > $(INSTALL_LOG) 2>&1 \
	 || { cat $(INSTALL_LOG); echo "Installing failed (the output above is in $(INSTALL_LOG))."; exit 1; }
	@# The Flask package lives in gateway/gateway; a .pth puts its parent on sys.path ahead of
	@# the bare gateway/ folder, which Python would otherwise import as a namespace package.
	@$(BIN)/python -c 'import sysconfig, pathlib; pathlib.Path(sysconfig.get_paths()["purelib"], "industry_hub_gateway.pth").write_text(str(pathlib.Path("gateway").resolve()) + "\n")'
	@touch $(STAMP)
	@echo "Installed."

run: install
	$(BIN)/python -m hubstack.run

test: install
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest tests/unit tests/contracts

# Benchmarks make their own throwaway data, so the development SSN key is fine for them.
# BENCH_ARGS: e.g. --quick, --only relay,sweep, --write bench/RESULTS.md (python -m bench --help)
bench: install
	HUB_DEV_DEFAULTS=1 $(BIN)/python -m bench $(BENCH_ARGS)

# A production-sized data set (BENCH_PEOPLE people, ~115 rows each) written by COPY into
# hub_bench_<service> databases on HUB_BENCH_PG (the local PostgreSQL by default); re-running
# drops and makes them again. Beside a 60,000-people set, the growth sets too (6,000 people, and
# 600,000 with one person in ten's history: ~5 minutes, made once and kept; bench/growth.py). Throwaway data, so the development SSN key is fine here too.
BENCH_PEOPLE ?= 60000
BENCH_SEED ?= 1
bench-data: install
	HUB_DEV_DEFAULTS=1 $(BIN)/python -m bench.data --people $(BENCH_PEOPLE) --seed $(BENCH_SEED)
	HUB_DEV_DEFAULTS=1 $(BIN)/python -m bench.growth --prepare

compose-check:
	docker-compose -f docker-compose.yml config -q

clean:
	rm -rf $(VENV) var .pytest_cache
