"""Triple sources: the SMI list, T-REx/ParaRel, facts JSONL and Wikidata, recognised by read_facts; the ParaRel
cloze templates."""

from __future__ import annotations

import json

import pytest

from knowbench.datasets_src.triples import iter_trex, load_templates, read_facts, read_smi_facts
from knowbench.datasets_src.triples.corpus import source_kind
from knowbench.errors import MissingInputError, SourceFormatError


def test_smi_list_has_the_papers_12671_facts_in_15_relations(shared_data):
    facts = read_smi_facts(shared_data / "smi/pararel_15classes.json")
    assert len(facts) == 12671 and len({f.relation for f in facts}) == 15
    assert facts[0].key == ("John Cage", "plays", "opera") and facts[0].id == "16238"
    assert len({f.fact_id for f in facts}) == len(facts)


def test_trex_folder_and_sniffing(shared_data, tmp_path):
    folder = shared_data / "smi/pararel/data/trex_lms_vocab"
    facts = read_facts(folder)
    assert len(facts) == 29411 and len({f.relation_id for f in facts}) == 41
    assert read_facts(folder / "P1001.jsonl")[0].relation == "P1001"
    generic = tmp_path / "facts.jsonl"
    generic.write_text(json.dumps({"subject": "Paris", "relation": "capital of", "object": "France",
                                   "subject_id": "Q90", "object_aliases": ["French Republic"]}) + "\n")
    (fact,) = read_facts(generic)
    assert fact.subject_id == "Q90" and fact.object_names() == ("France", "French Republic")


def test_bad_records_name_file_and_record(tmp_path):
    smi = tmp_path / "smi.json"
    smi.write_text(json.dumps([{"subj": "A", "rel": "r", "obj": "B"}, {"subj": "", "rel": "r", "obj": "B"}]))
    with pytest.raises(SourceFormatError, match=r"smi.json: fact 2: needs non-empty strings"):
        read_facts(smi)
    trex = tmp_path / "P17.jsonl"
    trex.write_text('{"sub_label": "A", "obj_label": "B", "uuid": "1"}\n{"sub_label": "A"}\n')
    with pytest.raises(SourceFormatError, match=r"P17.jsonl: line 2: needs non-empty string sub_label and obj_label"):
        list(iter_trex(trex))


def test_wikidata_statements_become_triples_with_labels(shared_data):
    folders = [shared_data / "wiki/wikidata", shared_data / "wiki/wikidata_api"]
    facts = read_facts("wikidata:" + ",".join(map(str, folders)))
    assert len(facts) > len(read_facts(f"wikidata:{folders[0]}")) > 0
    assert all(f.relation_id.startswith("P") and f.object_id.startswith("Q") and f.object for f in facts)
    assert len({(f.subject_id, f.relation_id, f.object_id) for f in facts}) == len(facts)


def test_every_smi_relation_has_twenty_templates(shared_data):
    templates = load_templates(shared_data / "smi/pararel_multi_templates.json")
    facts = read_facts(shared_data / "smi/pararel_15classes.json")
    assert {f.relation for f in facts} <= set(templates)
    assert all(len(t) == 20 for t in templates.values())


def test_template_errors_name_the_relation(tmp_path):
    bad = tmp_path / "t.json"
    bad.write_text(json.dumps({"born": ["[S] was born in", "no subject here"]}))
    with pytest.raises(SourceFormatError, match=r"t.json: relation 'born' template 2: template 'no subject here' has no \[S\]"):
        load_templates(bad)
    bad.write_text(json.dumps({"born": []}))
    with pytest.raises(SourceFormatError, match="t.json: relation 'born': expected a non-empty list of templates"):
        load_templates(bad)
    bad.write_text('{"born": ["[S] was')
    with pytest.raises(SourceFormatError, match=r"t\.json: line 1, column 19: malformed JSON"):
        load_templates(bad)


@pytest.mark.parametrize(
    ("read", "name", "what"),
    [
        (read_facts, "facts.json", "facts file or T-REx folder"),
        (iter_trex, "trex", "T-REx file or folder"),
        (source_kind, "corpus.jsonl", "corpus file"),
        (load_templates, "templates.json", "file"),
        (read_smi_facts, "pararel_15classes.json", "file"),
    ],
)
def test_a_missing_input_is_one_error_naming_path_and_kind(tmp_path, read, name, what):
    path = tmp_path / name
    with pytest.raises(MissingInputError) as raised:
        result = read(path)
        list(result)  # iter_trex is lazy
    assert str(raised.value) == f"{path}: no such {what}"
    assert isinstance(raised.value, FileNotFoundError)
