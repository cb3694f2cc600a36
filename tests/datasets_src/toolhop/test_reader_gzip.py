"""Gzip-compressed ToolHop sources (README: every JSON file is read plain or `.gz`), issue #11."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from knowbench.datasets_src.toolhop.reader import read_rows
from knowbench.errors import SourceFormatError
from knowbench.io import iter_jsonl


def test_gzip_list_and_lines_read_like_the_plain_file(toolhop_sample: Path, tmp_path: Path) -> None:
    plain = read_rows(toolhop_sample)
    rows = json.loads(toolhop_sample.read_text())
    (tmp_path / "t.json.gz").write_bytes(gzip.compress(toolhop_sample.read_bytes()))
    (tmp_path / "t.jsonl.gz").write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode()))
    for name in ("t.json.gz", "t.jsonl.gz"):
        assert [r.raw for r in read_rows(tmp_path / name)] == [r.raw for r in plain]


def test_gzip_errors_name_the_file_and_line(toolhop_sample: Path, tmp_path: Path) -> None:
    rows = json.loads(toolhop_sample.read_text())
    text = json.dumps(rows[0]) + "\n" + json.dumps(rows[1])[:-5] + "\n"
    (tmp_path / "broken.jsonl.gz").write_bytes(gzip.compress(text.encode()))
    with pytest.raises(SourceFormatError, match=r"broken\.jsonl\.gz: line 2: malformed JSON"):
        read_rows(tmp_path / "broken.jsonl.gz")
    (tmp_path / "not.jsonl.gz").write_bytes(toolhop_sample.read_bytes())  # named .gz, not compressed
    with pytest.raises(SourceFormatError, match=r"not\.jsonl\.gz: unreadable"):
        list(iter_jsonl(tmp_path / "not.jsonl.gz"))
