"""Co-occurrence counting: exact against the reference counts (``bench/count_reference.py``: the paper's
brute-force scan and an automaton) on real documents and facts, boundary mode, shard merging, parallel and Ray
paths."""

from __future__ import annotations

import json

import numpy as np
import orjson
import pytest

from knowbench.cli import main
from knowbench.datasets_src.triples import Triple, read_facts
from knowbench.datasets_src.triples.corpus import iter_shard, iter_wiki_pages, plan_shards
from knowbench.datasets_src.triples.count import FactIndex, RawCounts, mutual_information, normalize_boundary
from knowbench.datasets_src.triples.runner import count_corpus, count_dataset, read_counts, write_counts
from knowbench.errors import ConfigError, SourceFormatError

GENSIM = "wiki/wikipedia/gensim_enwiki-2016-shortened.xml.bz2"


@pytest.fixture(scope="module")
def facts(shared_data):
    return read_facts(shared_data / "smi/pararel_15classes.json")


@pytest.fixture(scope="module")
def raw_pages(shared_data):
    """The 106 articles of the real enwiki dump excerpt, as wikitext."""
    return list(iter_wiki_pages(shared_data / GENSIM, clean=False))


@pytest.fixture(scope="module")
def clean_pages(shared_data):
    """A few of those articles as clean text (EvoWiki's clean_text), as the counting CLI reads them."""
    pages = []
    for text in iter_wiki_pages(shared_data / GENSIM, clean=True):
        pages.append(text)
        if len(pages) == 2:
            return pages
    return pages


@pytest.fixture(scope="module")
def paper_scan(count_reference):
    return count_reference.paper_scan


def test_paper_mode_equals_brute_force_on_real_text_and_all_facts(facts, clean_pages, paper_scan):
    index = FactIndex(facts)
    expected = paper_scan(facts, clean_pages)
    assert sum(r["n_so"] for r in expected) > 20  # real co-occurrences are exercised
    for batch_bytes in (1, 30_000, 1 << 22):  # one document per batch, a few, all in one
        assert index.count(clean_pages, batch_bytes=batch_bytes).per_fact(index) == expected


def test_paper_mode_equals_brute_force_on_raw_pages(facts, raw_pages, paper_scan):
    subset, pages = facts[::40], raw_pages[::6]
    index = FactIndex(subset)
    expected = paper_scan(subset, pages)
    assert index.count(pages).per_fact(index) == expected
    assert sum(r["n_so"] > 0 for r in expected) >= 5


def test_paper_mode_equals_the_automaton_reference_on_every_raw_page(facts, raw_pages, count_reference):
    """A second, independent reference, fast enough for a third of the facts over all 106 articles."""
    subset = facts[::3]
    index = FactIndex(subset)
    expected = count_reference.automaton_scan(subset, raw_pages)
    assert index.count(raw_pages).per_fact(index) == expected
    assert sum(r["n_so"] > 0 for r in expected) > 100


def test_paper_rule_edge_cases_match_brute_force(paper_scan):
    facts = [
        Triple("New York", "r", "York"), Triple("York", "r", "New York"), Triple("Köln", "r", "Nordrhein-Westfalen"),
        Triple("Ab", "r", "Ab"), Triple("Paris", "r", "France"), Triple("Paris Hilton", "r", "Paris"),
        Triple("Alexander the Great", "r", "Macedonia"), Triple("Alexander the Greatest", "r", "X"),
        Triple("東京", "r", "日本"), Triple("A", "r", "B"),
    ]
    docs = [
        "Paris is the capital of France.",  # no space before Paris: the paper's rule misses it
        "In Paris, France", " Parisian art", "from New York to York", "Die Stadt Köln in Nordrhein-Westfalen",
        " Ab", "x Alexander the Greatest of Macedonia", " 東京は 日本の首都", "", " A B", "A\nB", "x\0 Paris France",
        " Alexander the Grea", "ends with Paris Hilto",
    ]
    index = FactIndex(facts)
    for batch_bytes in (1, 1 << 20):
        assert index.count(docs, batch_bytes=batch_bytes).per_fact(index) == paper_scan(facts, docs)


def test_unknown_mode_and_unusable_facts_are_refused(facts):
    with pytest.raises(ConfigError, match="unknown match mode 'fuzzy'"):
        FactIndex(facts, mode="fuzzy")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="no facts"):
        FactIndex([])
    with pytest.raises(ConfigError, match="every label is empty after normalisation"):
        FactIndex([Triple("...", "r", "--")], mode="boundary")


def test_boundary_mode_whole_words_aliases_and_case():
    facts = [
        Triple("Paris", "capital of", "France", subject_id="Q90", object_id="Q142", object_aliases=("French Republic",)),
        Triple("Paris", "born in", "Troy"),  # no id: its own entity, keyed by label
    ]
    docs = ["Paris, the capital of the French Republic.", "Parisian France", "paris france", "the (France) case"]
    index = FactIndex(facts, mode="boundary")
    rows = index.count(docs).per_fact(index)
    assert rows[0] == {"n_docs": 4, "n_s": 1, "n_o": 3, "n_so": 1}  # alias counts; "Parisian" does not
    assert rows[1]["n_s"] == 1
    folded = FactIndex(facts, mode="boundary", ignore_case=True)
    assert folded.count(docs).per_fact(folded)[0] == {"n_docs": 4, "n_s": 2, "n_o": 4, "n_so": 2}
    with pytest.raises(ConfigError):
        FactIndex(facts, mode="paper", ignore_case=True)


def test_boundary_mode_equals_its_definition_on_real_text(facts, clean_pages):
    """Reference: a name occurs when its normalised form (with spaces around) is a substring of the normalised text."""
    subset = facts[::7]
    index = FactIndex(subset, mode="boundary")
    got = index.count(clean_pages).per_fact(index)
    texts = [normalize_boundary(t) for t in clean_pages]
    for fact, row in zip(subset, got, strict=True):
        has_s = [normalize_boundary(fact.subject) in t for t in texts]
        has_o = [normalize_boundary(fact.object) in t for t in texts]
        assert row == {"n_docs": len(texts), "n_s": sum(has_s), "n_o": sum(has_o),
                       "n_so": sum(a and b for a, b in zip(has_s, has_o, strict=True))}
    assert sum(r["n_so"] for r in got) > 5


@pytest.mark.parametrize("ignore_case", [False, True])
def test_boundary_mode_with_wikidata_ids_and_aliases_equals_the_reference(shared_data, raw_pages, count_reference,
                                                                           ignore_case):
    """Real Wikidata facts (ids, labels, aliases) over real articles: an entity is found through any of its names."""
    facts = read_facts(f"wikidata:{shared_data / 'wiki/wikidata'},{shared_data / 'wiki/wikidata_api'}")
    assert sum(bool(f.subject_aliases or f.object_aliases) for f in facts) > 100
    index = FactIndex(facts, mode="boundary", ignore_case=ignore_case)
    expected = count_reference.automaton_scan(facts, raw_pages, mode="boundary", ignore_case=ignore_case)
    assert index.count(raw_pages).per_fact(index) == expected
    assert sum(r["n_so"] > 0 for r in expected) > 20


def test_shards_merge_exactly(facts, raw_pages):
    index = FactIndex(facts[::10])
    whole = index.count(raw_pages)
    for cut in (1, 17, 53, 105):
        merged = index.count(raw_pages[:cut]).merge(index.count(raw_pages[cut:]))
        assert merged.same_as(whole) and merged.n_bytes == whole.n_bytes
    with pytest.raises(ConfigError):
        whole.merge(RawCounts.zeros(1, 1))


def _write_jsonl(path, texts):
    path.write_bytes(b"".join(orjson.dumps({"id": i, "text": t}) + b"\n" for i, t in enumerate(texts)))
    return path


def test_jsonl_byte_range_shards_hold_every_document_once(tmp_path, raw_pages):
    path = _write_jsonl(tmp_path / "c.jsonl", raw_pages)
    for pieces in (1, 2, 7, 40):
        shards = plan_shards([path], pieces=pieces)
        assert [t for s in shards for t in iter_shard(s)] == raw_pages


def test_parallel_equals_serial_over_jsonl_and_parquet(tmp_path, facts, raw_pages):
    import pyarrow as pa
    import pyarrow.parquet as pq

    jsonl = _write_jsonl(tmp_path / "c.jsonl", raw_pages[:60])
    parquet = tmp_path / "c.parquet"
    pq.write_table(pa.table({"text": raw_pages[60:]}), parquet, row_group_size=10)
    subset = facts[::5]
    serial = count_corpus(subset, [jsonl, parquet], workers=1)
    parallel = count_corpus(subset, [jsonl, parquet], workers=2)
    assert parallel.meta["shards"] > 2
    assert parallel.raw.same_as(serial.raw) and serial.raw.n_docs == len(raw_pages)
    assert int(serial.raw.n_so.sum()) > 100


def test_datasets_folder_and_xml_dump_sources(tmp_path, shared_data, paper_scan):
    import datasets

    xml = shared_data / "wiki/wikipedia/pywikibot_article-pear-0.10.xml"
    (text,) = iter_wiki_pages(xml)  # the latest revision, cleaned
    datasets.Dataset.from_dict({"text": [text, "A pear from China"]}).save_to_disk(tmp_path / "ds")
    facts = [Triple("pear", "r", "China"), Triple("Pyrus", "r", "Rosaceae"), Triple("pears", "r", "Europe")]
    from_xml = count_corpus(facts, [xml], workers=2)
    assert from_xml.raw.per_fact(from_xml.index) == paper_scan(facts, [text])
    from_ds = count_corpus(facts, [tmp_path / "ds"], workers=1)
    assert from_ds.raw.per_fact(from_ds.index) == paper_scan(facts, [text, "A pear from China"])
    in_memory = datasets.Dataset.from_dict({"body": [text, "A pear from China", " China"]})
    for workers in (1, 2):
        result = count_dataset(facts, in_memory, workers=workers, text_field="body")
        assert result.raw.per_fact(result.index) == paper_scan(facts, in_memory["body"])


def test_cli_count_writes_counts_jsonl(tmp_path, shared_data, facts, raw_pages, paper_scan):
    corpus = _write_jsonl(tmp_path / "c.jsonl", raw_pages[:30])
    assert main(["count", "--facts", str(shared_data / "smi/pararel_15classes.json"), "--corpus", str(corpus),
                 "--out", str(tmp_path / "out"), "--workers", "2"]) == 0
    lines = [json.loads(line) for line in (tmp_path / "out/counts.jsonl").read_text().splitlines()]
    assert len(lines) == len(facts)
    assert set(lines[0]) >= {"subject", "relation", "object", "n_docs", "n_s", "n_o", "n_so"}
    expected = paper_scan(facts[::200], raw_pages[:30])
    assert [{k: row[k] for k in expected[0]} for row in lines[::200]] == expected
    table = read_counts(tmp_path / "out")
    assert table.n_so.sum() == sum(row["n_so"] for row in lines)
    meta = json.loads((tmp_path / "out/count_meta.json").read_text())
    assert meta["mode"] == "paper" and meta["n_docs"] == 30


def test_bad_corpus_line_names_file_and_line(tmp_path, facts):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"text": "ok"}\n{"body": "no text"}\n')
    with pytest.raises(SourceFormatError, match=r"bad.jsonl: line 2: no string field 'text'"):
        count_corpus(facts[:10], [bad])
    assert main(["count", "--facts", "nope.json", "--corpus", str(bad), "--out", str(tmp_path / "o")]) == 1


def test_empty_corpus_is_an_error_that_keeps_the_previous_counts(tmp_path, shared_data, raw_pages, capsys):
    facts = str(shared_data / "smi/pararel_15classes.json")
    good = _write_jsonl(tmp_path / "good.jsonl", raw_pages[:3])
    assert main(["count", "--facts", facts, "--corpus", str(good), "--out", str(tmp_path / "out")]) == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"\n")
    capsys.readouterr()
    assert main(["count", "--facts", facts, "--corpus", str(empty), "--out", str(tmp_path / "out")]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "empty.jsonl: no documents to count" in error
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == before


def test_write_counts_roundtrip(tmp_path, facts, raw_pages):
    result = count_corpus(facts[:50], [_write_jsonl(tmp_path / "c.jsonl", raw_pages[:5])])
    write_counts(tmp_path / "out", result)
    table = read_counts(tmp_path / "out/counts.jsonl")
    arrays = result.raw.fact_arrays(result.index)
    for key in ("n_docs", "n_s", "n_o", "n_so"):
        assert np.array_equal(getattr(table, key), arrays[key])
    assert [f.fact_id for f in table.facts] == [f.fact_id for f in facts[:50]]
    assert table.meta["mode"] == "paper" and table.meta["n_docs"] == 5
    (tmp_path / "out/count_meta.json").write_text('{"mode": ')
    with pytest.raises(SourceFormatError, match=r"count_meta\.json: line 1, column 10: malformed JSON"):
        read_counts(tmp_path / "out")


@pytest.mark.parametrize(("line", "problem"), [
    ('{"subject": "A", "relation": "r", "object": "B", "n_docs": 2, "n_s": 1, "n_o": -1, "n_so": 0}', "n_o=-1 is not a count"),
    ('{"subject": "A", "relation": "r", "object": "B", "n_docs": 2, "n_s": true, "n_o": 1, "n_so": 0}', "n_s=True is not a count"),
    ('{"subject": "A", "relation": "r", "n_docs": 2, "n_s": 1, "n_o": 1, "n_so": 0}', "needs non-empty strings"),
    ('{"subject": "A", "relation": "r", "object": "B", "n_docs": 2, "n_s": 1, "n_o": 1}', "n_so=None is not a count"),
])
def test_bad_counts_record_names_file_and_line(tmp_path, line, problem):
    good = '{"subject": "A", "relation": "r", "object": "C", "n_docs": 2, "n_s": 1, "n_o": 1, "n_so": 1}'
    path = tmp_path / "counts.jsonl"
    path.write_text(f"{good}\n\n{line}\n")
    with pytest.raises(SourceFormatError, match=f"counts.jsonl: line 3: {problem}"):
        read_counts(path)
    path.write_text("\n")
    with pytest.raises(SourceFormatError, match="counts.jsonl: no counts records"):
        read_counts(tmp_path)


@pytest.mark.slow
def test_ray_job_equals_local_counts(tmp_path, facts, raw_pages):
    pytest.importorskip("ray.data", reason="ray[data] is not installed (pip install 'knowbench[ray]')")
    import pyarrow as pa
    import pyarrow.parquet as pq

    from knowbench.datasets_src.triples.ray_count import count_with_ray

    jsonl = _write_jsonl(tmp_path / "c.jsonl", raw_pages[:40])
    parquet = tmp_path / "c.parquet"
    pq.write_table(pa.table({"text": raw_pages[40:]}), parquet, row_group_size=20)
    subset = facts[::5]
    local = count_corpus(subset, [jsonl, parquet])
    remote = count_with_ray(subset, [jsonl, parquet], "local", concurrency=1, batch_size=16)
    assert remote.raw.same_as(local.raw) and remote.raw.n_docs == len(raw_pages)


def test_counts_feed_the_smi_fit(tmp_path, shared_data, facts, raw_pages, capsys):
    """End to end: count the paper's facts over real pages, join the released pythia-12b accuracies, fit."""
    write_counts(tmp_path / "counts", count_corpus(facts, [_write_jsonl(tmp_path / "c.jsonl", raw_pages)]))
    assert main(["smi", "fit", "--counts", str(tmp_path / "counts"), "--accuracy",
                 str(shared_data / "smi/merge_outputs/pythia-12b.json.gz"), "--params", "12b", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    table = read_counts(tmp_path / "counts")
    assert out["facts_total"] == len(facts)  # every counted fact has a released accuracy (joined on s, r, o)
    assert out["facts"] == int((mutual_information(table.n_docs, table.n_s, table.n_o, table.n_so) > 0).sum()) > 100
