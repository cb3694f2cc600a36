"""Fixtures shared by the MWPES clustering tests: the real GPT-3 GSM8K errors and an embedding cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowbench.training.mwpes import errors_from_gsm8k_example_solutions

SOLUTIONS = "mwp_solutions/gsm8k_example_model_solutions.jsonl"


@pytest.fixture(scope="module")
def errors(shared_data: Path) -> list:
    return list(errors_from_gsm8k_example_solutions(shared_data / SOLUTIONS))


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("embeddings")
