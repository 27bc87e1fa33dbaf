# README command 1: `make demo`   README command 2: `make test`   (.ci/run calls `make test`)
# Both bootstrap an isolated environment (.venv) from requirements.lock on first use.
PYTHON ?= $(shell for p in python3.11 python3.12 python3; do \
  command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 13))' \
  2>/dev/null && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup setup-gpu demo test test-slow bench lint clean

# The lock is complete, so it is installed with --no-deps (that keeps TensorFlow out: requirements.lock header).
# A changed lock rebuilds .venv from scratch (--clear): packages dropped from the lock must not linger.
# pip check must report nothing but neural-tangents' two TF-bridge requirements (PIP_CHECK_ALLOWED).
PIP_CHECK_ALLOWED := ^neural-tangents 0\.6\.5 requires (tensorflow|tf2jax), which is not installed\.$$
LOCK ?= requirements.lock

$(STAMP): pyproject.toml requirements.lock $(LOCK)
	@test -n "$(PYTHON)" || { echo "error: need Python >=3.11,<3.13 (jaxlib 0.4.25 has no wheels for 3.13)"; exit 1; }
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -r $(LOCK)
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	@problems="$$($(BIN)/python -m pip check 2>&1 | grep -Ev '$(PIP_CHECK_ALLOWED)')"; \
	  test -z "$$problems" || { echo "error: pip check:"; echo "$$problems"; exit 1; }
	touch $(STAMP)

setup: $(STAMP)

# The same .venv with jax's CUDA 12 plugin (requirements-gpu.lock; Linux x86_64, NVIDIA driver for CUDA >= 12.3).
# Always reinstalls; a later change of requirements.lock rebuilds the CPU venv (run setup-gpu again).
setup-gpu:
	$(MAKE) -B $(STAMP) LOCK=requirements-gpu.lock
	$(BIN)/python -c "import jax; print('jax devices:', jax.devices())"

demo: $(STAMP)
	$(BIN)/ntk-bench suite=quick

test: $(STAMP)
	$(BIN)/python -m pytest

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

bench: $(STAMP)
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check ntk_bench tests benchmarks

clean:
	rm -rf $(VENV) outputs multirun

# Suites (docs/suites.md): whole sweeps defined in conf/suite/. `make nightly` also reports, compares with
# reports/baselines/nightly (when present) and exits non-zero when a claim fails or a metric drifts.
# NIGHTLY_ARGS: e.g. `--dir out/nightly` (a fixed dir: rerunning resumes) or Hydra overrides (tracker=none).
.PHONY: quick nightly
NIGHTLY_ARGS ?=

quick: $(STAMP)
	$(BIN)/ntk-bench suite=quick

nightly: $(STAMP)
	$(BIN)/python -m ntk_bench.suite nightly $(NIGHTLY_ARGS)
