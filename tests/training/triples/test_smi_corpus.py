"""The smi-mini corpus: real ParaRel facts of the 15 SMI relations inserted into real Wikipedia passages, and found
again by the counter."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import orjson

from knowbench.datasets_src.triples import iter_trex, load_templates
from knowbench.datasets_src.triples.runner import count_corpus
from knowbench.training.triples import smi_corpus


def test_relation_mapping_matches_the_papers_fact_list(shared_data):
    paper = json.loads((shared_data / "smi/pararel_15classes.json").read_text())
    relation_of = {(f["subj"], f["obj"]): f["rel"] for f in paper}
    templates = load_templates(shared_data / "smi/pararel_multi_templates.json")
    assert set(smi_corpus.RELATION_TEMPLATES.values()) == set(templates)
    for prop, relation in smi_corpus.RELATION_TEMPLATES.items():
        facts = iter_trex(shared_data / f"smi/pararel/data/trex_lms_vocab/{prop}.jsonl")
        found = Counter(relation_of.get((f.subject, f.object)) for f in facts)
        found.pop(None, None)
        assert found.most_common(1)[0][0] == relation, prop


def test_corpus_insertions_are_counted(shared_data, tmp_path):
    templates = load_templates(shared_data / "smi/pararel_multi_templates.json")
    documents = smi_corpus.wikipedia_documents(
        [shared_data / "wiki/wikipedia/gensim_enwiki-2016-shortened.xml.bz2"], max_words=20_000)
    assert len(documents) > 100 and all(len(d.split()) >= 20 for d in documents)
    facts = smi_corpus.select_facts(shared_data / "smi/pararel/data/trex_lms_vocab", templates, 4, seed=1)
    assert len(facts) == 4 * len(smi_corpus.RELATION_TEMPLATES) and len({f.subject for f in facts}) == len(facts)
    assert all(f.object not in f.subject and f.subject not in f.object for f in facts)
    docs, drawn = smi_corpus.build_corpus(documents, facts, templates, seed=1, max_fact_docs=100)
    assert len(docs) == len(documents)
    k_fact = np.array([f.k_fact for f in drawn])
    assert k_fact.min() == 0 and k_fact.max() >= 30  # long tail: rare and frequent facts
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_bytes(b"".join(orjson.dumps({"text": d}) + b"\n" for d in docs))
    result = count_corpus([f.triple() for f in drawn], [corpus])
    counts = result.raw.per_fact(result.index)
    for fact, row in zip(drawn, counts, strict=True):
        assert row["n_so"] >= max(fact.k_fact, fact.k_apart)
        assert row["n_s"] >= max(fact.k_fact, fact.k_apart, fact.k_subject)
        assert row["n_o"] >= max(fact.k_fact, fact.k_apart, fact.k_object)
    # a stated fact is in the text as a template + the object
    stated = next(f for f in drawn if f.k_fact > 0)
    sentences = {smi_corpus.fact_sentence(stated, t) for t in templates[stated.relation]}
    assert sum(any(s in d for s in sentences) for d in docs) == stated.k_fact


