"""Triples builder: facts plus per-corpus counts as a Hub-ready folder, loaded back through the real loader."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from knowbench.builders import build, get_builder
from knowbench.builders.writer import build_to_folder
from knowbench.datasets_src.triples import iter_trex, read_facts
from knowbench.datasets_src.triples.runner import count_corpus, write_counts
from knowbench.errors import ConfigError, SourceFormatError
from knowbench.folder import read_folder
from knowbench.loaders.triples import load_counts, load_facts
from knowbench.training.triples.metric import mutual_information


@pytest.fixture(scope="module")
def corpus(shared_data, tmp_path_factory):
    """Real documents: the clean text of the EvoWiki pear articles and the raw wikitext of a few enwiki pages."""
    from knowbench.datasets_src.triples.corpus import iter_wiki_pages

    texts = []
    for name in ("pywikibot_article-pear-0.10.xml", "pywikibot_article-pyrus.xml"):
        texts.extend(iter_wiki_pages(shared_data / "wiki/wikipedia" / name))
    for text in iter_wiki_pages(shared_data / "wiki/wikipedia/gensim_enwiki-2016-shortened.xml.bz2", clean=False):
        texts.append(text)
        if len(texts) == 12:
            break
    path = tmp_path_factory.mktemp("corpus") / "docs.jsonl"
    path.write_bytes(b"".join(orjson.dumps({"text": t}) + b"\n" for t in texts))
    return path, texts


def test_smi_facts_and_counts_round_trip(shared_data, tmp_path, corpus, count_reference):
    path, texts = corpus
    # every 5th fact of the SMI paper's list, unchanged (keeps the test quick)
    rows = orjson.loads((shared_data / "smi/pararel_15classes.json").read_bytes())[::5]
    facts_path = tmp_path / "facts.json"
    facts_path.write_bytes(orjson.dumps(rows))
    facts = read_facts(facts_path)
    write_counts(tmp_path / "counts", count_corpus(facts, [path]))
    report = build("triples", tmp_path / "triples", facts=facts_path, counts=(f"wiki={tmp_path / 'counts'}",),
                   corpora=(f"wikib={path}",), mode="boundary")
    info = read_folder(tmp_path / "triples")
    assert info.configs == ["facts", "wiki", "wikib"]
    assert report.rows("facts", "train") == len(facts) == len(rows) > 2500
    loaded = load_facts(tmp_path / "triples")
    assert [f.key for f in loaded] == [f.key for f in facts] and loaded[0].fact_id == facts[0].fact_id
    wiki = load_counts(tmp_path / "triples", "wiki")
    assert wiki.mode == "paper" and int(wiki.n_docs[0]) == len(texts)
    sample = slice(0, None, 19)
    expected = count_reference.paper_scan(facts[sample], texts)
    got = [{"n_docs": int(a), "n_s": int(b), "n_o": int(c), "n_so": int(d)}
           for a, b, c, d in zip(wiki.n_docs[sample], wiki.n_s[sample], wiki.n_o[sample], wiki.n_so[sample], strict=True)]
    assert got == expected
    np.testing.assert_allclose(wiki.mi, mutual_information(wiki.n_docs, wiki.n_s, wiki.n_o, wiki.n_so))
    boundary = load_counts(tmp_path / "triples", "wikib")
    assert boundary.mode == "boundary" and boundary.n_so.sum() > 0
    card = (tmp_path / "triples/README.md").read_text()
    assert f"{len(facts):,} facts" in card and f"{int((wiki.n_so > 0).sum()):,}" in card
    assert "arXiv 2502.04066" in card


def test_trex_facts_keep_property_and_uuid(shared_data, tmp_path):
    folder = shared_data / "smi/pararel/data/trex_lms_vocab"
    build("triples", tmp_path / "t", facts=folder / "P1376.jsonl")
    loaded = load_facts(tmp_path / "t")
    source = list(iter_trex(folder / "P1376.jsonl"))
    assert len(loaded) == len(source) > 100
    assert {f.relation_id for f in loaded} == {"P1376"} and loaded[0].fact_id == source[0].id
    assert sum(1 for _ in iter_trex(folder)) == 29411


def test_wikidata_facts_have_ids_and_aliases(shared_data, tmp_path):
    facts = read_facts(f"wikidata:{shared_data / 'wiki/wikidata'}")
    assert facts and all(f.subject_id.startswith("Q") and f.object_id.startswith("Q") for f in facts)
    assert any(f.subject_aliases for f in facts)
    build("triples", tmp_path / "w", facts=f"wikidata:{shared_data / 'wiki/wikidata'}")
    loaded = load_facts(tmp_path / "w")
    assert [(f.subject_id, f.relation_id, f.object_id) for f in loaded] == [
        (f.subject_id, f.relation_id, f.object_id) for f in facts]
    assert loaded[0].subject_aliases == facts[0].subject_aliases


def test_config_and_source_errors(shared_data, tmp_path):
    with pytest.raises(ConfigError):
        get_builder("triples", facts="")
    with pytest.raises(ConfigError, match="NAME=VALUE"):
        get_builder("triples", facts="x.json", counts=("no-equals-sign",))
    with pytest.raises(ConfigError, match="given twice"):
        get_builder("triples", facts="x.json", counts=("a=x",), corpora=("a=y",))
    other = tmp_path / "counts.jsonl"
    other.write_text('{"subject": "s", "relation": "r", "object": "o", "n_docs": 1, "n_s": 0, "n_o": 0, "n_so": 0}\n')
    with pytest.raises(SourceFormatError, match="facts have no counts"):
        build_to_folder(get_builder("triples", facts=shared_data / "smi/pararel_15classes.json",
                                    counts=(f"x={other}",)), tmp_path / "bad")
    assert not (tmp_path / "bad").exists()


def test_cli_build_triples_counts_a_corpus(shared_data, tmp_path, corpus, count_reference):
    from knowbench.cli import main

    path, texts = corpus
    facts_file = shared_data / "smi/pararel/data/trex_lms_vocab/P1376.jsonl"
    assert main(["build", "triples", "--facts", str(facts_file), "--corpus", f"pages={path}",
                 "--out", str(tmp_path / "t"), "--workers", "2"]) == 0
    counts = load_counts(tmp_path / "t", "pages")
    facts = list(iter_trex(facts_file))
    expected = count_reference.paper_scan(facts, texts)
    assert [int(x) for x in counts.n_so] == [r["n_so"] for r in expected]
    assert [int(x) for x in counts.n_s] == [r["n_s"] for r in expected]
