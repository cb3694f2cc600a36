"""The ToolHop builder end to end: real rows -> Hub folder -> the real `load_dataset` -> the original JSON."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pytest
from huggingface_hub import DatasetCard

from knowbench.builders import build, get_builder
from knowbench.builders.toolhop import FEATURES
from knowbench.builders.writer import build_to_folder
from knowbench.errors import SourceFormatError
from knowbench.folder import read_folder
from knowbench.loaders import load
from knowbench.loaders.toolhop import to_original


def test_load_dataset_gives_all_rows_with_declared_features(toolhop_folder: Path, toolhop_sample: Path, tmp_path: Path) -> None:
    expected = len(json.loads(toolhop_sample.read_text()))
    ds = datasets.load_dataset(str(toolhop_folder), "default", split="test", cache_dir=str(tmp_path / "cache"))
    assert ds.num_rows == expected
    assert ds.features == FEATURES


def test_round_trip_to_the_original_json_is_exact(toolhop_folder: Path, toolhop_sample: Path) -> None:
    original = json.loads(toolhop_sample.read_text())
    rebuilt = [to_original(row) for row in load("toolhop", toolhop_folder, split="test")]
    # same values and the same key order everywhere (compared as serialised text)
    assert json.dumps(rebuilt, ensure_ascii=False) == json.dumps(original, ensure_ascii=False)


def test_card_parses_and_its_yaml_matches_the_files(toolhop_folder: Path, toolhop_sample: Path) -> None:
    card = DatasetCard.load(toolhop_folder / "README.md")
    meta = card.data.to_dict()
    assert meta["configs"] == [
        {"config_name": "default", "data_files": [{"split": "test", "path": "data/default/test-*"}]}
    ]
    assert [p.name for p in (toolhop_folder / "data" / "default").iterdir()] == ["test-00000-of-00001.parquet"]
    rows = len(json.loads(toolhop_sample.read_text()))
    assert meta["dataset_info"]["splits"] == [
        {"name": "test", "num_bytes": meta["dataset_info"]["splits"][0]["num_bytes"], "num_examples": rows}
    ]
    assert read_folder(toolhop_folder).rows("default", "test") == rows
    assert meta["license"] and meta["pretty_name"] == "ToolHop"
    provenance = json.loads((toolhop_folder / "provenance.json").read_text())
    assert provenance["sources"][0]["sha256"] == __import__("knowbench.io", fromlist=["x"]).sha256_file(toolhop_sample)
    # the numbers in the card body are the build's own
    assert f"{rows} queries" in card.text


def test_rebuilding_never_serves_stale_rows(tmp_path: Path, toolhop_sample: Path) -> None:
    raw = json.loads(toolhop_sample.read_text())
    small = tmp_path / "small.json"
    small.write_text(json.dumps(raw[:30]))
    out = tmp_path / "a" / "toolhop"
    build_to_folder(get_builder("toolhop", source=toolhop_sample), out)
    assert load("toolhop", out, split="test").num_rows == 70
    build_to_folder(get_builder("toolhop", source=small), out)  # same folder
    assert load("toolhop", out, split="test").num_rows == 30
    other = tmp_path / "b" / "toolhop"  # another folder of the same name
    build_to_folder(get_builder("toolhop", source=small), other)
    assert load("toolhop", other, split="test").num_rows == 30
    build_to_folder(get_builder("toolhop", source=toolhop_sample), other)
    assert load("toolhop", other, split="test").num_rows == 70
    assert load("toolhop", out, split="test").num_rows == 30


def test_a_failed_build_leaves_no_folder_and_keeps_the_old_one(tmp_path: Path, toolhop_sample: Path) -> None:
    raw = json.loads(toolhop_sample.read_text())
    raw[10]["tools"][next(iter(raw[10]["tools"]))]["parameters"] = "not a schema"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(raw))
    out = tmp_path / "new" / "toolhop"
    with pytest.raises(SourceFormatError, match="row 11 "):  # raw[10] is the 11th row (1-based)
        build_to_folder(get_builder("toolhop", source=bad), out)
    assert not out.exists() and list(out.parent.iterdir()) == []
    build_to_folder(get_builder("toolhop", source=toolhop_sample), out)
    before = sorted(p.name for p in out.rglob("*"))
    with pytest.raises(SourceFormatError):
        build_to_folder(get_builder("toolhop", source=bad), out)
    assert sorted(p.name for p in out.rglob("*")) == before
    assert [p.name for p in out.parent.iterdir()] == ["toolhop"]


def test_shards_split_large_splits(tmp_path: Path, toolhop_sample: Path) -> None:
    out = tmp_path / "toolhop"
    build_to_folder(get_builder("toolhop", source=toolhop_sample), out, shard_rows=32)
    names = sorted(p.name for p in (out / "data" / "default").iterdir())
    assert names == [f"test-{i:05d}-of-00003.parquet" for i in range(3)]
    assert load("toolhop", out, split="test")["id"] == [r["id"] for r in json.loads(toolhop_sample.read_text())]


def test_config_is_frozen_and_validated(toolhop_sample: Path) -> None:
    builder = get_builder("toolhop", source=toolhop_sample)
    with pytest.raises(AttributeError):
        builder.config.source = "x"  # type: ignore[misc]
    with pytest.raises(ValueError, match="not both"):
        get_builder("toolhop", source=toolhop_sample, revision="main")


def test_bundled_demo_builds_and_round_trips(tmp_path: Path) -> None:
    demo = Path(__file__).resolve().parents[2] / "examples" / "toolhop" / "toolhop_demo.json"
    out = tmp_path / "toolhop"
    build_to_folder(get_builder("toolhop", source=demo), out)
    rows = [to_original(r) for r in load("toolhop", out, split="test")]
    assert rows == json.loads(demo.read_text())


def test_statistics_counted_row_by_row_match_the_source(toolhop_sample: Path, tmp_path: Path) -> None:
    from collections import Counter

    raw = json.loads(toolhop_sample.read_text())
    stats = build("toolhop", tmp_path / "toolhop", source=toolhop_sample).statistics
    assert stats["rows"] == len(raw)
    assert stats["tools"] == sum(len(r["tools"]) for r in raw)
    assert stats["distinct_tool_names"] == len({t["name"] for r in raw for t in r["tools"].values()})
    assert stats["hops"] == sorted(Counter(len(r["sub_task"]) for r in raw).items())
    assert stats["answer_types"] == Counter(r["answer_type"] for r in raw).most_common()
    assert stats["n_domains"] == len({r["domain"] for r in raw})


def test_cli_refuses_an_empty_source_and_a_users_folder(tmp_path: Path, toolhop_sample: Path, capsys) -> None:
    from knowbench.cli import main

    out = tmp_path / "toolhop"
    assert main(["build", "toolhop", "--source", str(toolhop_sample), "--out", str(out), "--quiet"]) == 0
    before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    capsys.readouterr()
    assert main(["build", "toolhop", "--source", str(empty), "--out", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err and str(empty) in err
    assert {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == before
    mine = tmp_path / "my-notes"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    assert main(["build", "toolhop", "--source", str(toolhop_sample), "--out", str(mine), "--quiet"]) == 1
    assert "\n" not in capsys.readouterr().err.strip()
    assert [p.name for p in mine.iterdir()] == ["notes.txt"] and (mine / "notes.txt").read_text() == "keep me"
