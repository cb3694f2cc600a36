"""The shared Hub-folder writer on a small builder defined here: shards, card YAML, empty splits, statistics counted
as rows pass, the card renderer it is handed, and the refusal of a build without rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
import pytest
from huggingface_hub import DatasetCard

from knowbench.builders.base import BuilderConfig, DatasetBuilder, RowStatistics
from knowbench.builders.writer import build_to_folder
from knowbench.cards import CardTemplate
from knowbench.errors import ConfigError, SourceFormatError
from knowbench.folder import read_folder
from knowbench.loaders import load

FEATURES = datasets.Features({"word": datasets.Value("string"), "length": datasets.Value("int32")})


@dataclass(frozen=True)
class WordsConfig(BuilderConfig):
    #: the words to sort into configs
    words: tuple[str, ...] = ()

    def validate(self) -> None:
        if any(not w for w in self.words):
            raise ConfigError(f"words must be non-empty, got words={self.words}")


class LengthStatistics(RowStatistics):
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []
        self.lengths: Counter[int] = Counter()

    def update(self, hub_config: str, split: str, row: dict[str, Any]) -> None:
        self.seen.append((hub_config, split, row["word"]))
        self.lengths[row["length"]] += 1

    def result(self) -> dict[str, Any]:
        return {"rows": len(self.seen), "lengths": sorted(self.lengths.items())}


class WordsBuilder(DatasetBuilder[WordsConfig]):
    """Long words go to `long`, short ones to `short`; `short/validation` always stays empty."""

    name = "toolhop"  # a registered name, so that knowbench.loaders.load reads the folder back
    config_class = WordsConfig

    def __init__(self, config: WordsConfig) -> None:
        super().__init__(config)
        self.generated: list[tuple[str, str]] = []
        self.stats: LengthStatistics | None = None

    def hub_configs(self) -> dict[str, tuple[str, ...]]:
        return {"long": ("train",), "short": ("train", "validation")}

    def features(self, hub_config: str) -> datasets.Features:
        return FEATURES

    def generate(self, hub_config: str, split: str) -> Iterator[dict[str, Any]]:
        self.generated.append((hub_config, split))
        if split == "validation":
            return
        for word in self.config.words:
            if (len(word) > 4) == (hub_config == "long"):
                yield {"word": word, "length": len(word)}

    def row_statistics(self) -> LengthStatistics:
        self.stats = LengthStatistics()
        return self.stats


def test_statistics_are_counted_as_rows_pass_and_each_split_is_generated_once(tmp_path: Path) -> None:
    words = ("sea", "ocean", "lake", "river")
    builder = WordsBuilder(WordsConfig(words=words))
    report = build_to_folder(builder, tmp_path / "words")
    assert builder.generated == [("long", "train"), ("short", "train"), ("short", "validation")]
    assert builder.stats is not None
    assert builder.stats.seen == [("long", "train", "ocean"), ("long", "train", "river"),
                                  ("short", "train", "sea"), ("short", "train", "lake")]
    assert report.statistics == {"rows": len(words), "lengths": sorted(Counter(map(len, words)).items())}


def test_empty_splits_get_a_schema_shard_and_load_empty_and_typed(tmp_path: Path) -> None:
    out = tmp_path / "words"
    build_to_folder(WordsBuilder(WordsConfig(words=("sea", "ocean", "lake", "river"))), out)
    meta = DatasetCard.load(out / "README.md").data.to_dict()
    assert [c["config_name"] for c in meta["configs"]] == ["long", "short"]
    info = read_folder(out)
    assert info.empty_splits == (("short", "validation"),)
    assert info.rows("short", "validation") == 0
    assert load("toolhop", out, "long", split="train")["word"] == ["ocean", "river"]
    empty = load("toolhop", out, "short", split="validation")
    assert empty.num_rows == 0 and empty.features == FEATURES
    both = load("toolhop", out, "short")
    assert both["train"]["word"] == ["sea", "lake"] and both["validation"].num_rows == 0


def test_a_config_without_any_row_is_still_loadable_through_the_loader(tmp_path: Path) -> None:
    out = tmp_path / "words"
    build_to_folder(WordsBuilder(WordsConfig(words=("sea", "lake"))), out)
    assert load("toolhop", out, "long", split="train").num_rows == 0
    assert load("toolhop", out, "short", split="train")["word"] == ["sea", "lake"]
    assert "long" in read_folder(out).configs


def test_a_build_without_any_row_is_refused_and_the_previous_output_kept(tmp_path: Path) -> None:
    out = tmp_path / "words"
    build_to_folder(WordsBuilder(WordsConfig(words=("sea", "ocean"))), out)
    before = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    with pytest.raises(SourceFormatError, match="no rows in any split") as info:
        build_to_folder(WordsBuilder(WordsConfig(words=())), out)
    assert "\n" not in str(info.value)
    assert {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["words"]  # no temporary folder left behind


def test_the_card_renderer_is_an_argument(tmp_path: Path) -> None:
    generic = tmp_path / "generic"
    build_to_folder(WordsBuilder(WordsConfig(words=("sea", "ocean"))), generic)
    text = DatasetCard.load(generic / "README.md").text
    assert text.lstrip().startswith("# toolhop") and "## How this folder was built" in text
    assert "| long | train | 1 | 1 |" in text and "| short | validation | 0 | 1 |" in text

    class TemplateRecorder(CardTemplate):
        def render(self, builder: Any, card_data: Any, **context: Any) -> Any:
            self.__dict__.setdefault("calls", []).append(context["statistics"])
            return super().render(builder, card_data, **context)

    recorder = TemplateRecorder("_build")
    report = build_to_folder(WordsBuilder(WordsConfig(words=("sea",))), tmp_path / "recorded", card=recorder)
    assert recorder.__dict__["calls"] == [report.statistics]


def test_config_validation_names_the_value() -> None:
    with pytest.raises(ConfigError, match=r"words=\('a', ''\)"):
        WordsConfig(words=("a", ""))
