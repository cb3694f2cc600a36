"""Shared fixtures. Real sample data lives in ``../shared/data`` beside the checkout (never copied into git)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("KNOWBENCH_SHARED_DATA", REPO.parent / "shared" / "data"))


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
    """A ToolHop folder built from the 70 real rows by the real builder (read-only for tests)."""
    from knowbench.builders import get_builder
    from knowbench.builders.writer import build_to_folder

    out = tmp_path_factory.mktemp("built") / "toolhop"
    build_to_folder(get_builder("toolhop", source=toolhop_sample), out)
    return out
