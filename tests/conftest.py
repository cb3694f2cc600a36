"""Shared fixtures. Real sample data lives in ``../shared/data`` beside the checkout (never copied into git).

Each built sample is built once per test session, by the real builders, and is read-only for the tests:
``toolhop_folder`` (the 70 real ToolHop rows), ``gpt3_ingest`` / ``gpt3_run`` (the published GPT-3 GSM8K solutions
ingested as a run folder) and ``mwpes_folder`` (MWPES built from that run).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("KNOWBENCH_SHARED_DATA", REPO.parent / "shared" / "data"))
#: the bundled examples of `make demo` (written for this project)
EXAMPLES = REPO / "examples"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public samples (``../shared/data``); skips with the reason when the folder is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real sample data not found at {SHARED_DATA} (set KNOWBENCH_SHARED_DATA); .ci/run requires it")
    return SHARED_DATA


@pytest.fixture(autouse=True, scope="session")
def _isolated_caches(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep every `datasets` cache of the test run in a temporary folder and never reach a hub."""
    cache = tmp_path_factory.mktemp("hf-cache")
    os.environ["HF_DATASETS_CACHE"] = str(cache / "datasets")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def toolhop_sample(shared_data: Path) -> Path:
    """The 70 real ToolHop rows."""
    return shared_data / "toolhop" / "toolhop_sample70.json"


@pytest.fixture(scope="session")
def toolhop_folder(toolhop_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ToolHop folder built from the 70 real rows by the registered builder and card (read-only for tests)."""
    from knowbench.builders import build

    out = tmp_path_factory.mktemp("built") / "toolhop"
    build("toolhop", out, source=toolhop_sample)
    return out


@pytest.fixture(scope="session")
def toolhop_rows(toolhop_folder: Path) -> list[Any]:
    """The typed rows of :func:`toolhop_folder`, read once by the loader (read-only for tests)."""
    from knowbench.loaders.toolhop import load_rows

    return load_rows(toolhop_folder)


@pytest.fixture(scope="session")
def gpt3_solutions(shared_data: Path) -> Path:
    """OpenAI's GPT-3 6B/175B solutions of the 1,319 GSM8K test problems, with their ``is_correct`` labels."""
    return shared_data / "mwp_solutions" / "gsm8k_example_model_solutions.jsonl"


@pytest.fixture(scope="session")
def gpt3_ingest(gpt3_solutions: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """The GPT-3 solutions ingested once: the run folder and the counts ``ingest`` returned (read-only)."""
    from knowbench.datasets_src.mwpes.ingest import ingest

    out = tmp_path_factory.mktemp("runs") / "gpt3"
    return out, ingest(gpt3_solutions, out)


@pytest.fixture(scope="session")
def gpt3_run(gpt3_ingest: tuple[Path, dict[str, int]]) -> Path:
    """The run folder of :func:`gpt3_ingest`."""
    return gpt3_ingest[0]


@pytest.fixture(scope="session")
def mwpes_build(gpt3_run: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """MWPES built from the GPT-3 run by the registered builder and card: the folder and the build report."""
    from knowbench.builders import build

    out = tmp_path_factory.mktemp("built") / "mwpes"
    return out, build("mwpes", out, runs=(gpt3_run,))


@pytest.fixture(scope="session")
def mwpes_folder(mwpes_build: tuple[Path, Any]) -> Path:
    """The folder of :func:`mwpes_build` (read-only for tests)."""
    return mwpes_build[0]


@pytest.fixture(scope="session")
def count_reference() -> Any:
    """``bench/count_reference.py`` (the plain reference counts: ``paper_scan``, ``automaton_scan``) as a module."""
    import importlib.util

    path = REPO / "bench" / "count_reference.py"
    spec = importlib.util.spec_from_file_location("knowbench_count_reference", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
