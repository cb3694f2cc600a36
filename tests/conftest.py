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
