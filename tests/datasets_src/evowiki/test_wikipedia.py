"""EvoWiki Wikipedia reader on the real export XML samples (schema 0.3, 0.4, 0.10, 0.11, plain and bz2)."""

from __future__ import annotations

import bz2
import datetime
import itertools
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from knowbench.datasets_src.evowiki.wikipedia import clean_text, iter_pages, passages, revision_at
from knowbench.errors import SourceFormatError

ANARCHISM = "maribelacosta__wikiwho__enwiki-Anarchism-history-yearly.xml"
SIMPLEWIKI = "wikimedia__analytics-refinery-source__Simplewiki.Sample.xml"
GENSIM = "gensim_enwiki-2016-shortened.xml.bz2"


@pytest.fixture(scope="module")
def wikipedia(shared_data: Path) -> Path:
    return shared_data / "wiki" / "wikipedia"


def _xml_counts(path: Path) -> tuple[int, int, int]:
    """(pages, revisions, deleted texts) read independently with ElementTree.fromstring."""
    data = bz2.decompress(path.read_bytes()) if path.suffix == ".bz2" else path.read_bytes()
    root = ET.fromstring(data)
    local = [el.tag.rsplit("}", 1)[-1] for el in root.iter()]
    deleted = sum(1 for el in root.iter() if el.tag.endswith("}text") and el.get("deleted") == "deleted")
    return local.count("page"), local.count("revision"), deleted


def _xml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if ".xml" in p.name)


@pytest.mark.parametrize("backend", ["mwxml", "etree"])
def test_every_export_parses_with_independent_counts(wikipedia: Path, backend: str) -> None:
    files = _xml_files(wikipedia)
    versions = {
        re.search(rb'version="(0\.\d+)"', f.read_bytes()[:600] if f.suffix != ".bz2" else b"") for f in files
    }
    assert len(files) == 7 and len(versions) >= 3
    for path in files:
        if path.name == GENSIM and backend == "mwxml":
            continue  # 206 pages: read once, with the etree backend, to keep the default run short
        pages = list(iter_pages(path, backend=backend))
        expected_pages, expected_revisions, expected_deleted = _xml_counts(path)
        assert len(pages) == expected_pages, path.name
        assert sum(len(p.revisions) for p in pages) == expected_revisions, path.name
        assert sum(r.text_deleted for p in pages for r in p.revisions) == expected_deleted, path.name
        for page in pages:
            stamps = [r.timestamp for r in page.revisions]
            assert stamps == sorted(stamps) and all(s.tzinfo is not None for s in stamps)


def test_backends_agree_and_deleted_markers(wikipedia: Path) -> None:
    for name in (ANARCHISM, SIMPLEWIKI, "pywikibot_article-pear.xml", "pywikibot_article-pyrus.xml"):
        assert list(iter_pages(wikipedia / name)) == list(iter_pages(wikipedia / name, backend="etree")), name
    revisions = [r for p in iter_pages(wikipedia / SIMPLEWIKI) for r in p.revisions]
    deleted = [r for r in revisions if r.text_deleted]
    assert deleted and all(r.text is None for r in deleted)
    assert any(r.user_deleted and r.user is None for r in revisions)
    assert any(r.comment_deleted and r.comment is None for r in revisions)
    (pyrus,) = iter_pages(
        wikipedia / "pywikibot_article-pyrus.xml"
    )  # schema 0.3: redirect read from the text
    assert pyrus.redirect == "Pear"


def test_revision_at_picks_the_anarchism_revision_in_force(wikipedia: Path) -> None:
    (page,) = iter_pages(wikipedia / ANARCHISM)
    root = ET.parse(wikipedia / ANARCHISM).getroot()
    ns = {"m": root.tag[1:].split("}")[0]}
    stamps = sorted(
        (
            datetime.datetime.fromisoformat(r.find("m:timestamp", ns).text.replace("Z", "+00:00")),
            int(r.find("m:id", ns).text),
        )
        for r in root.iter(f"{{{ns['m']}}}revision")
    )
    assert len(page.revisions) == len(stamps) == 11
    for (stamp, rev_id), (next_stamp, _) in itertools.pairwise(stamps):
        middle = stamp + (next_stamp - stamp) / 2
        assert revision_at(page, middle).id == rev_id
        assert revision_at(page, stamp.date()).id in {i for s, i in stamps if s.date() == stamp.date()}
    assert revision_at(page, stamps[0][0].date() - datetime.timedelta(days=1)) is None
    assert revision_at(page, datetime.date(2030, 1, 1)).id == stamps[-1][1]
    assert revision_at(page, datetime.date(2006, 6, 1)).timestamp.year == 2005


def test_revision_at_skips_deleted_text(wikipedia: Path) -> None:
    for page in iter_pages(wikipedia / SIMPLEWIKI):
        for revision in page.revisions:
            if revision.text_deleted:
                chosen = revision_at(page, revision.timestamp)
                assert chosen is None or (chosen.text is not None and chosen.timestamp <= revision.timestamp)
                assert revision_at(page, revision.timestamp, require_text=False) is revision


def test_clean_text_removes_templates_and_references(wikipedia: Path) -> None:
    (page,) = iter_pages(wikipedia / ANARCHISM)
    raw = page.latest().text
    assert "{{" in raw and "<ref" in raw and "[[Category:" in raw
    text = clean_text(raw)
    for markup in ("{{", "}}", "<ref", "</", "[[", "]]", "'''", "<!--", "Category:"):
        assert markup not in text, markup
    headings = re.findall(r"^==+ *(.+?) *==+$", raw, flags=re.MULTILINE)
    kept = re.findall(r"^==+ (.+) ==+$", text, flags=re.MULTILINE)
    assert kept and set(kept) <= {clean_text(h) for h in headings}
    assert "Anarchism" in text.split("\n", 1)[0]
    uk = clean_text((wikipedia / "spencermountain__wtf_wikipedia__United-Kingdom.txt").read_text())
    assert "<ref" not in uk and "{{" not in uk and "United Kingdom" in uk


def test_passages_carry_title_and_section(wikipedia: Path) -> None:
    (page,) = iter_pages(wikipedia / ANARCHISM)
    text = clean_text(page.latest().text)
    chunks = passages(page.title, text, max_words=100)
    sections = re.findall(r"^==+ (.+) ==+$", text, flags=re.MULTILINE)
    assert chunks and all(p.title == "Anarchism" for p in chunks)
    assert all(len(p.text.split()) <= 100 for p in chunks)
    assert [p.index for p in chunks] == list(range(len(chunks)))
    assert chunks[0].section == "" and {p.section for p in chunks} <= {"", *sections}
    order = [p.section for p in chunks if p.section]
    assert order == sorted(order, key=sections.index)
    body_words = sum(len(line.split()) for line in text.split("\n") if not re.match(r"^==+ .+ ==+$", line))
    assert sum(len(p.text.split()) for p in chunks) == body_words


def test_broken_xml_names_file_and_position(wikipedia: Path, tmp_path: Path) -> None:
    source = (wikipedia / "pywikibot_article-pear.xml").read_text()
    broken = tmp_path / "broken.xml"
    broken.write_text(source.replace("</title>", "</titel>", 1))
    line = source[: source.index("</title>")].count("\n") + 1
    for backend in ("mwxml", "etree"):
        with pytest.raises(SourceFormatError, match=rf"broken\.xml: line {line}, column \d+: broken XML"):
            list(iter_pages(broken, backend=backend))
    cut = tmp_path / "cut.xml"
    cut.write_text(source[: len(source) // 2])
    with pytest.raises(SourceFormatError, match="cut.xml: line"):
        list(iter_pages(cut))


def test_truncated_bz2_names_file_and_byte(wikipedia: Path, tmp_path: Path) -> None:
    data = (wikipedia / GENSIM).read_bytes()
    cut = tmp_path / "cut.xml.bz2"
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(SourceFormatError) as caught:
        for _ in iter_pages(cut, backend="etree"):
            pass
    message = str(caught.value)
    assert message.startswith(f"{cut}: byte ") and "(decompressed)" in message and "\n" not in message
