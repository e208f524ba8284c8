# jukinet: the two commands of README.md, and their parts.
PYTHON ?= python3

.PHONY: install install-test run test lint types pytest slow wheel

install:            ## install jukinet and its runtime dependencies
	$(PYTHON) -m pip install -q -e .

install-test:       ## install jukinet with the test tools
	$(PYTHON) -m pip install -q -e '.[test]'

run: install        ## the main job on the embedded FY2006 defaults
	jukinet run

test: install-test lint types pytest wheel   ## everything CI runs

lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .

types:
	$(PYTHON) -m mypy -p jukinet

# on every core, a test file per worker (a file's module fixtures are built once); -p no:benchmark: a
# pytest-benchmark installed beside would warn under xdist, and warnings are errors
pytest:
	$(PYTHON) -m pytest -n auto --dist loadfile -p no:benchmark

slow: install-test  ## the slow tier
	$(PYTHON) -m pytest -m slow -n auto --dist loadfile -p no:benchmark

wheel:              ## build the wheel, install it in a fresh venv, run network, prove, mutants and a tiny run from it
	bash .ci/wheel-check
