"""Every registered builder keeps the contract: one name everywhere, a frozen validated config whose every field is a
documented `knowbench build NAME` option, and a build from its bundled example under examples/ that the real
`datasets.load_dataset` reads back with the declared features and the row counts the writer reported."""

from __future__ import annotations

import dataclasses
import enum
import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import datasets
import pyarrow.parquet as pq
import pytest
import typer
from huggingface_hub import DatasetCard

from knowbench.builders import BUILDERS, BuilderConfig, build, builder_names, get_builder_class
from knowbench.cards import template_names

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


def _mwpes_run(tmp: Path) -> Path:
    from knowbench.datasets_src.mwpes.ingest import ingest

    run = tmp / "runs" / "demo"
    ingest(EXAMPLES / "mwpes" / "gsm8k_demo_solutions.jsonl", run)
    return run


def _clustering_run(mwpes: Path, tmp: Path) -> Path:
    """A clustering run folder in the format `knowbench cluster mwpes` writes: category by model, a merged one."""
    import numpy as np

    from knowbench.training.mwpes.runs import write_assignments
    from knowbench.training.mwpes.taxonomy import Category, Taxonomy

    rows = pq.read_table(mwpes / "data" / "all").to_pylist()
    models = sorted({r["model"] for r in rows})
    vector = np.ones(4, dtype=np.float32) / 2
    taxonomy = Taxonomy(
        categories=[Category(id=i, name=f"errors of {m}", centroid=vector) for i, m in enumerate(models)],
        retired=[Category(id=len(models), name="merged away", centroid=vector, status="merged", merged_into=0)],
    )
    run = tmp / "taxonomy"
    run.mkdir()
    taxonomy.save(run / "taxonomy.json")
    records = []
    for index, row in enumerate(rows):
        category = models.index(row["model"])
        if index == 0:
            category = -1  # an outlier
        elif index == 1:
            category = len(models)  # assigned before its category was merged into category 0
        records.append({"sample_id": row["sample_id"], "category": category, "similarity": 0.5, "kind": "demo",
                        "summary": f"row {index}"})
    write_assignments(run / "assignments.jsonl", records)
    return run


#: how each registered dataset is built from its bundled example (a new builder needs an entry here)
EXAMPLE_BUILDS: dict[str, Callable[[Path], dict[str, Any]]] = {
    "toolhop": lambda tmp: {"source": EXAMPLES / "toolhop" / "toolhop_demo.json"},
    "mwpes": lambda tmp: {"runs": (_mwpes_run(tmp),)},
    "mwpes_clustered": lambda tmp: {
        "data": build("mwpes", tmp / "mwpes", runs=(_mwpes_run(tmp),)).path,
        "run": _clustering_run(tmp / "mwpes", tmp),
    },
    "evowiki": lambda tmp: {"wikidata": (EXAMPLES / "evowiki" / "wikidata",),
                            "wikipedia": (EXAMPLES / "evowiki" / "enwiki-demo.xml",), "cutoff": "2024-01-01",
                            "retrievers": ("bm25",)},
    "triples": lambda tmp: {"facts": str(EXAMPLES / "triples" / "trex"),
                            "corpora": (f"demo={EXAMPLES / 'triples' / 'corpus.jsonl'}",)},
}


def test_every_registered_builder_has_an_example_build() -> None:
    assert sorted(EXAMPLE_BUILDS) == builder_names()


@pytest.mark.parametrize("name", builder_names())
def test_builds_from_its_example_and_loads_back_with_load_dataset(name: str, tmp_path: Path) -> None:
    out = tmp_path / "out" / name
    report = build(name, out, **EXAMPLE_BUILDS[name](tmp_path))
    builder = get_builder_class(name)
    provenance_configs = [s.config for s in report.splits]
    assert sum(s.num_examples for s in report.splits) > 0
    for split in report.splits:
        kwargs: dict[str, Any] = {"cache_dir": str(tmp_path / "cache")}
        if split.num_examples == 0:  # `datasets` reads a 0-row split only when streaming
            kwargs = {"streaming": True}
        loaded = datasets.load_dataset(str(out), split.config, split=split.split, **kwargs)
        rows = list(loaded) if split.num_examples == 0 else loaded
        assert len(rows) == split.num_examples, (split.config, split.split)
        if split.num_examples:
            assert loaded.features == datasets.Features.from_dict(
                json.loads((out / "provenance.json").read_text())["features"][split.config]
            )
    # the card names every config with rows, and its body is the registered template's (not the generic one)
    card = DatasetCard.load(out / "README.md")
    assert [c["config_name"] for c in card.data.to_dict()["configs"]] == list(dict.fromkeys(provenance_configs))
    assert card.text.lstrip().startswith("#") and "## How this folder was built" in card.text
    assert BUILDERS.get(name).card in template_names()
    assert report.statistics, f"{name} reported no statistics"
    assert builder.name == name


def test_clustered_rows_carry_resolved_categories(tmp_path: Path) -> None:
    options = EXAMPLE_BUILDS["mwpes_clustered"](tmp_path)
    report = build("mwpes_clustered", tmp_path / "clustered", **options)
    rows = pq.read_table(tmp_path / "clustered" / "data" / "clustered").to_pylist()
    source = pq.read_table(tmp_path / "mwpes" / "data" / "all").to_pylist()
    assert [r["sample_id"] for r in rows] == [r["sample_id"] for r in source]
    models = sorted({r["model"] for r in source})
    expected = [-1, 0, *(models.index(r["model"]) for r in source[2:])]
    assert [r["category"] for r in rows] == expected
    assert rows[1]["category_name"] == f"errors of {models[0]}" and rows[0]["category_name"] == ""
    assert report.statistics["outliers"] == 1 and report.statistics["rows"] == len(source)


@pytest.mark.parametrize("name", builder_names())
def test_one_name_everywhere(name: str) -> None:
    entry = BUILDERS.get(name)
    assert get_builder_class(name).name == name
    assert entry.card in template_names(), f"cards/{entry.card}.md is missing"
    importlib.import_module(f"knowbench.loaders.{entry.dataset}")
    importlib.import_module(f"knowbench.datasets_src.{entry.dataset}")
    assert (REPO / "tests" / "builders" / f"test_{entry.dataset}.py").is_file()


@pytest.mark.parametrize("name", builder_names())
def test_config_is_a_frozen_validated_dataclass_with_documented_options(name: str) -> None:
    from knowbench.cli.build import config_options, field_docs

    config = get_builder_class(name).config_class
    assert issubclass(config, BuilderConfig) and dataclasses.is_dataclass(config)
    assert config.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert config.validate is not BuilderConfig.validate, f"{config.__name__} validates nothing"
    fields = [f.name for f in dataclasses.fields(config)]
    undocumented = [f for f in fields if not field_docs(config).get(f)]
    assert not undocumented, f"{config.__name__} fields without a #: comment: {undocumented}"
    # every field is an option of `knowbench build NAME` (a positional argument may come on top)
    options = [p.name for p in config_options(config) if not p.name.endswith("__more")]
    assert options == fields


def test_build_help_lists_every_registered_dataset(capsys: pytest.CaptureFixture[str]) -> None:
    from knowbench.cli import main

    assert main(["build", "--help"]) == 0
    listed = capsys.readouterr().out
    for name in builder_names():
        assert name in listed


@pytest.mark.parametrize("name", builder_names())
def test_build_name_help_shows_every_option_with_its_doc(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    from knowbench.cli import main
    from knowbench.cli.build import field_docs

    assert main(["build", name, "--help"]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    config = get_builder_class(name).config_class
    for f in dataclasses.fields(config):
        assert "--" + f.name.replace("_", "-") in shown, f.name
        assert " ".join(field_docs(config)[f.name].split()[:3]) in shown, f.name


def test_options_of_every_kind_reach_the_config(tmp_path: Path) -> None:
    """Literal, int, str, repeated options and an extra flag name (--corpus) become the config's values."""
    from knowbench.cli import main

    corpus = EXAMPLES / "triples" / "corpus.jsonl"
    out = tmp_path / "triples"
    argv = ["build", "triples", "--facts", str(EXAMPLES / "triples" / "trex"), "--corpus", f"a={corpus}",
            "--corpora", f"b={corpus}", "--mode", "boundary", "--workers", "2", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    config = json.loads((out / "provenance.json").read_text())["config"]
    assert config == {"facts": str(EXAMPLES / "triples" / "trex"), "counts": [], "corpora": [f"a={corpus}", f"b={corpus}"],
                      "mode": "boundary", "workers": 2}
    bad = [tmp_path / "x" if a == str(out) else ("nope" if a == "boundary" else a) for a in argv]
    assert main([str(a) for a in bad]) == 1
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("script", sorted(EXAMPLES.glob("*/make_*.py")), ids=lambda p: p.parent.name)
def test_bundled_examples_are_what_their_scripts_write(script: Path, tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    copy = tmp_path / script.parent.name
    copy.mkdir()
    shutil.copy(script, copy / script.name)
    for folder in {p.parent for p in script.parent.rglob("*") if p.is_file()} - {script.parent}:
        (copy / folder.relative_to(script.parent)).mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, str(copy / script.name)], check=True, capture_output=True, timeout=60)
    written = sorted(p.relative_to(copy) for p in copy.rglob("*") if p.is_file() and p.name != script.name)
    assert written, f"{script} wrote nothing"
    for relative in written:
        assert (copy / relative).read_bytes() == (script.parent / relative).read_bytes(), relative


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclasses.dataclass(frozen=True)
class EveryKindConfig(BuilderConfig):
    #: a path
    source: Path | None = None
    #: a name or a path
    name: str | Path = "x"
    #: a whole number
    count: int = 3
    #: a fraction
    share: float = 0.5
    #: on or off
    strict: bool = True
    #: one of two words
    mode: Literal["fast", "exact"] = "fast"
    #: an enum
    colour: Colour = Colour.RED
    #: repeated, also as plain arguments
    files: tuple[Path, ...] = dataclasses.field(default=(), metadata={"positional": True})
    #: repeated, with another flag name
    tags: list[str] = dataclasses.field(default_factory=list, metadata={"flags": ("--tag",)})

    def validate(self) -> None:
        if self.count < 0:
            raise ValueError(f"count must be >= 0, got count={self.count}")


def test_config_command_reads_every_kind_of_field(tmp_path: Path) -> None:
    from knowbench.cli.build import config_command

    received: list[tuple[Path, bool, EveryKindConfig]] = []
    command = config_command("every", EveryKindConfig, lambda out, quiet, options: received.append(
        (out, quiet, EveryKindConfig(**options))))
    command.main(["--out", "o", "--quiet"], standalone_mode=False)
    assert received[-1] == (Path("o"), True, EveryKindConfig())
    command.main(["--out", "o", "--source", "s.json", "--name", "n", "--count", "7", "--share", "0.25", "--no-strict",
                  "--mode", "exact", "--colour", "blue", "--files", "a", "b", "c", "--tag", "t1", "--tags", "t2"],
                 standalone_mode=False)
    assert received[-1][2] == EveryKindConfig(source=Path("s.json"), name="n", count=7, share=0.25, strict=False,
                                              mode="exact", colour=Colour.BLUE,
                                              files=(Path("a"), Path("b"), Path("c")), tags=["t1", "t2"])
    with pytest.raises(typer.BadParameter, match="nope"):
        command.main(["--out", "o", "--mode", "nope"], standalone_mode=False)
    assert len(received) == 2
