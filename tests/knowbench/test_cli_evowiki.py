"""``knowbench build evowiki`` through the real CLI entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowbench.cli import main
from knowbench.folder import read_folder


def test_cli_build_writes_all_configs(shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wiki = shared_data / "wiki"
    out = tmp_path / "evowiki"
    code = main([
        "build", "evowiki", "--wikidata", str(wiki / "wikidata/opensanctions__nomenklatura__Q7747_2025-03-15.json"),
        "--wikidata-old", str(wiki / "wikidata/opensanctions__nomenklatura__Q7747_2024-05-28.json"),
        "--labels", str(wiki / "wikidata_api"), "--wikipedia", str(wiki / "wikipedia/pywikibot_article-pear.xml"),
        "--cutoff", "2024-05-28", "--retrievers", "bm25", "--out", str(out),
    ])
    assert code == 0
    info = read_folder(out)
    assert info.configs == ["stable", "evolved", "uncharted", "corpus"]
    assert info.rows("evolved", "test") > 0 and info.rows("corpus", "train") > 0
    assert "evolved/test" in capsys.readouterr().out


def test_cli_bad_cutoff_is_one_line(shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["build", "evowiki", "--wikidata", str(shared_data / "wiki/wikidata"), "--cutoff", "yesterday",
                 "--out", str(tmp_path / "x")])
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert err == "error: cutoff must be YYYY-MM-DD, got cutoff='yesterday'"
    assert not (tmp_path / "x").exists()
