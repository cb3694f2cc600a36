"""The shared Hub-folder writer on a small builder defined here: shards, card YAML, empty splits."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
import pytest
from huggingface_hub import DatasetCard

from knowbench.builders.base import BuilderConfig, DatasetBuilder
from knowbench.builders.writer import build_to_folder
from knowbench.errors import ConfigError
from knowbench.folder import read_folder
from knowbench.loaders import load

FEATURES = datasets.Features({"word": datasets.Value("string"), "length": datasets.Value("int32")})


@dataclass(frozen=True)
class WordsConfig(BuilderConfig):
    words: tuple[str, ...] = ()

    def validate(self) -> None:
        if any(not w for w in self.words):
            raise ConfigError(f"words must be non-empty, got words={self.words}")


class WordsBuilder(DatasetBuilder[WordsConfig]):
    """Long words go to `long`, short ones to `short`; `short/validation` always stays empty."""

    name = "toolhop"  # borrows an existing card template; the writer only needs one
    config_class = WordsConfig

    def hub_configs(self) -> dict[str, tuple[str, ...]]:
        return {"long": ("train",), "short": ("train", "validation")}

    def features(self, hub_config: str) -> datasets.Features:
        return FEATURES

    def generate(self, hub_config: str, split: str) -> Iterator[dict[str, Any]]:
        if split == "validation":
            return
        for word in self.config.words:
            if (len(word) > 4) == (hub_config == "long"):
                yield {"word": word, "length": len(word)}

    def statistics(self, tables: dict[str, dict[str, Any]]) -> dict[str, Any]:
        rows = tables["long"]["train"].num_rows + tables["short"]["train"].num_rows
        return {"rows": rows, "tools": 0, "distinct_tool_names": 0, "hops": [], "answer_types": [],
                "previous_answer_types": [], "domains": [], "n_domains": 0, "with_example_usage": 0,
                "final_answer_mismatch": []}


def test_empty_splits_are_left_out_of_the_card_and_load_empty_and_typed(tmp_path: Path) -> None:
    out = tmp_path / "words"
    build_to_folder(WordsBuilder(WordsConfig(words=("sea", "ocean", "lake", "river"))), out)
    meta = DatasetCard.load(out / "README.md").data.to_dict()
    assert [c["config_name"] for c in meta["configs"]] == ["long", "short"]
    assert meta["configs"][1]["data_files"] == [{"split": "train", "path": "data/short/train-*"}]
    assert not list((out / "data" / "short").glob("validation-*"))
    info = read_folder(out)
    assert info.empty_splits == (("short", "validation"),)
    assert load("toolhop", out, "long", split="train")["word"] == ["ocean", "river"]
    empty = load("toolhop", out, "short", split="validation")
    assert empty.num_rows == 0 and empty.features == FEATURES
    both = load("toolhop", out, "short")
    assert both["train"]["word"] == ["sea", "lake"] and both["validation"].num_rows == 0


def test_a_config_without_any_row_is_still_loadable_through_the_loader(tmp_path: Path) -> None:
    out = tmp_path / "words"
    build_to_folder(WordsBuilder(WordsConfig(words=("sea", "lake"))), out)
    assert [c["config_name"] for c in DatasetCard.load(out / "README.md").data.to_dict()["configs"]] == ["short"]
    assert load("toolhop", out, "long", split="train").num_rows == 0
    assert "long" in read_folder(out).configs


def test_config_validation_names_the_value() -> None:
    with pytest.raises(ConfigError, match=r"words=\('a', ''\)"):
        WordsConfig(words=("a", ""))
