# make run   - set up .venv (Python 3.12 or 3.13) and run the policy-comparison experiment
# make test  - set up .venv and run the whole test suite (lint and type checks included)
# make test-fast - the quick loop while developing: every test not marked slow
# make test-slurm - start a one-node SLURM here (scripts/slurm-up; root, Debian), run the tests
#                   marked slurm on it, stop it (scripts/slurm-down)
# make bench - the speed benchmark recorded in docs/PERFORMANCE.md
# make figures - regenerate the README's figures and mechanism table (docs/figures/)
# make screenshot - regenerate the README's screenshot of the dashboard (needs Chromium)

PYTHON ?= $(shell for p in python3.12 python3.13 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' \
	2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-fast test-slurm bench figures screenshot clean

$(BIN)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: Python 3.12 or 3.13 is needed (pyenv: see .python-version)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# compat: the checkout on sys.path, so that Hydra finds the plugins in hydra_plugins/ (the
	# sweeper, the SLURM launcher) from any folder, as it does in an installed wheel
	$(BIN)/pip install --quiet -e ".[dev]" --config-settings editable_mode=compat
	touch $@

run: $(BIN)/.installed
	$(BIN)/python -m sim experiment=policy_comparison

test: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

test-fast: $(BIN)/.installed
	$(BIN)/python -m pytest -m "not slow and not slurm"

test-slurm: $(BIN)/.installed
	scripts/slurm-up && $(BIN)/python -m pytest -m slurm -n 0; status=$$?; \
	scripts/slurm-down; exit $$status

bench: $(BIN)/.installed
	$(BIN)/python -m sim.bench

# the README's figure and table: the policy comparison on uk_2011 (5 policy years, seed noise
# only) under both recruitment mechanisms, copied under docs/figures/
UK_2011 := world=uk_2011 ensemble=none policy_weeks=260
figures: $(BIN)/.installed
	$(BIN)/python -m sim experiment=policy_comparison $(UK_2011) \
		hydra.sweep.dir=results/policy_comparison/readme
	$(BIN)/python -m sim experiment=policy_comparison $(UK_2011) groups.recruitment=market \
		hydra.sweep.dir=results/policy_comparison/market
	mkdir -p docs/figures
	cp results/policy_comparison/readme/figures/comparison.png docs/figures/policy_comparison.png
	cp results/policy_comparison/market/figures/comparison.png docs/figures/policy_comparison_market.png
	$(BIN)/python -m sim.analysis.mechanisms results/policy_comparison/readme \
		results/policy_comparison/market > docs/figures/mechanisms.md

# the dashboard (python -m sim app) on uk_2011 under the 2011 strategy, played past the
# policy's start, in headless Chromium
screenshot: $(BIN)/.installed
	$(BIN)/python -m sim.app.browser docs/figures/dashboard.png world=uk_2011 policy=strategy_2011

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
