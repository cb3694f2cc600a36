"""Each EvoWiki rule of issue #13 on real shared entities: special values and ranks, snapshot dates, chain rules,
empty configs loadable, retrieval fields, strict cut-off, articles, and `check evowiki` finding zero defects."""

from __future__ import annotations

import dataclasses
import datetime
import json
from itertools import pairwise
from pathlib import Path

import datasets
import pytest
from huggingface_hub import DatasetCard

from knowbench.builders import build, get_builder
from knowbench.builders.evowiki.facts import Snapshot, current_statements, cutoff_facts, parse_day
from knowbench.builders.evowiki.plan import CutoffAfterSnapshotsWarning, make_plan
from knowbench.builders.evowiki.templates import with_article
from knowbench.cli import main
from knowbench.errors import ConfigError
from knowbench.loaders import load
from knowbench.loaders.evowiki import load_rows
from knowbench.training.evowiki.check import DEFECTS, check_evowiki, row_defects

PUTIN_OLD = "opensanctions__nomenklatura__Q7747_2024-05-28.json"
PUTIN_NEW = "opensanctions__nomenklatura__Q7747_2025-03-15.json"
FAMILY = [f"opensanctions__nomenklatura__{q}.json" for q in ("Q19364345", "Q19816371", "Q22682071", "Q233282",
                                                               "Q254220")]


@pytest.fixture(scope="module")
def wiki(shared_data: Path) -> Path:
    return shared_data / "wiki"


@pytest.fixture(scope="module")
def two(wiki: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Putin 2024-05-28 (old) / 2025-03-15 (new) plus his family's entities and the recorded label files."""
    out = tmp_path_factory.mktemp("evowiki-two") / "two"
    folder = wiki / "wikidata"
    build("evowiki", out, wikidata=[folder / PUTIN_NEW, *(folder / f for f in FAMILY)],
          wikidata_old=[folder / PUTIN_OLD], labels=[wiki / "wikidata_api"], cutoff="2024-05-28",
          retrievers=["bm25"], top_k=30)
    return out


@pytest.fixture(scope="module")
def one(wiki: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One snapshot: every shared entity file (both Putin files among them) with a 2014 cut-off."""
    out = tmp_path_factory.mktemp("evowiki-one") / "one"
    build("evowiki", out, wikidata=[wiki / "wikidata", wiki / "wikidata_api"], cutoff="2014-06-01", retrievers=[])
    return out


def _putin(wiki: Path, name: str = PUTIN_NEW):
    return Snapshot.read([wiki / "wikidata" / name]).entities["Q7747"]


# -- states, special values and ranks ---------------------------------------------------------------------------


def test_novalue_is_the_answer_none_for_putins_party(wiki: Path, two: Path) -> None:
    statements = [s for s in _putin(wiki).statements if s.property == "P102"]
    # jq: a preferred novalue since 2012 and an undated normal United Russia (Q151469)
    assert {(s.value, s.rank) for s in statements} >= {("novalue", "preferred"), ("Q151469", "normal")}
    assert [s.value for s in current_statements(statements, datetime.date(2025, 3, 15))] == ["novalue"]
    assert [s.value for s in current_statements(statements, datetime.date(2010, 1, 1))] == ["Q151469"]
    party = next(r for r in load_rows(two) if r.subject_id == "Q7747" and r.path_properties == ("P102",))
    assert (party.question, party.answer, party.answer_ids) == (
        "Which political party is Vladimir Putin a member of?",
        "none", ("novalue",))
    assert party.state == "stable" and party.cutoff_answer_ids == ("novalue",)


def test_somevalue_is_never_an_answer(two: Path, wiki: Path) -> None:
    katerina = Snapshot.read([wiki / "wikidata" / FAMILY[0]]).entities["Q19364345"]
    children = [s.value for s in katerina.statements if s.property == "P40"]
    assert children == ["somevalue"]  # jq: her children are unknown
    rows = load_rows(two)
    assert not [r for r in rows if r.subject_id == "Q19364345" and r.path_properties == ("P40",)]
    assert all("somevalue" not in r.answer_ids for r in rows)
    statistics = json.loads((two / "provenance.json").read_text())["statistics"]
    assert statistics["dropped_chains"]["unknown_value"] >= 1


def test_deprecated_never_answers_and_preferred_wins(wiki: Path) -> None:
    putin = _putin(wiki)
    by_prop = {f.property: f for f in cutoff_facts(putin, datetime.date(2024, 1, 1))}
    # P39: Q2350808 is deprecated; Q218295 (President of Russia) is the only preferred statement (jq)
    assert "Q2350808" not in {s.value for s in by_prop["P39"].statements}
    assert by_prop["P39"].current_values == ("Q218295",)
    # P19: Q27899309 became deprecated in 2025; the preferred maternity hospital Q28133957 answers
    assert by_prop["P19"].current_values == ("Q28133957",)


def test_one_value_at_a_time_properties_keep_the_latest(wiki: Path) -> None:
    residences = [s for s in _putin(wiki).statements if s.property == "P551"]
    # jq: Saint Petersburg from 1992, Moscow from 1996, Q4471180 from 1999, none with an end time
    assert {s.value for s in residences if s.end is None} >= {"Q656", "Q649", "Q4471180"}
    assert [s.value for s in current_statements(residences, datetime.date(2025, 3, 15))] == ["Q4471180"]
    assert [s.value for s in current_statements(residences, datetime.date(1997, 1, 1))] == ["Q649"]


def test_evolved_needs_a_changed_answer_set(wiki: Path, two: Path) -> None:
    rows = load_rows(two)
    position = next(r for r in rows if r.subject_id == "Q7747" and r.path_properties == ("P39",))
    # 2025 added Q2072298 with normal rank; the preferred President of Russia still answers: stable
    assert position.state == "stable" and position.answer_ids == ("Q218295",)
    evolved = [r for r in rows if r.state == "evolved"]
    assert evolved and all(set(r.cutoff_answer_ids) != set(r.answer_ids) for r in evolved)
    assert {r.path_properties for r in evolved if r.hops == 1} == {("P19",), ("P40",), ("P1038",)}
    assert any(r.hops > 1 for r in evolved)  # a stable bridge followed by an evolved fact


def test_uncharted_subject_born_after_the_cutoff(one: Path) -> None:
    rows = load_rows(one, "uncharted")
    # Ivan Putin (Q130234753) and Vladimir Putin Jr. (Q130234762) were born after 2014 (P569, jq)
    assert {"Q130234753", "Q130234762"} <= {r.subject_id for r in rows}
    assert all(r.cutoff_answer_ids == () for r in rows)


# -- snapshot dates ---------------------------------------------------------------------------------------------


def test_facts_of_snapshots_before_the_cutoff_are_skipped_and_counted(wiki: Path) -> None:
    folder = wiki / "wikidata"
    builder = get_builder("evowiki", wikidata=[folder / PUTIN_OLD, folder / FAMILY[4]],
                          labels=[wiki / "wikidata_api"], cutoff="2025-01-01", retrievers=[])
    plan = builder.plan()
    assert plan.counts["snapshot_before_cutoff"] > 0  # Putin's 2024-05-28 document predates the cut-off
    assert "Q7747" not in plan.context.facts and "Q254220" in plan.context.facts  # Kabaeva: 2026-03-24
    rows = [r for state in ("stable", "evolved", "uncharted") for r in builder.generate(state, "test")]
    assert rows and all(r["subject_id"] == "Q254220" and "Q7747" not in r["path_entities"] for r in rows)
    assert all(d >= "2025-01-01" for r in rows for d in r["snapshot_dates"])


def test_a_cutoff_after_every_snapshot_warns(wiki: Path) -> None:
    config = get_builder("evowiki", wikidata=[wiki / "wikidata" / PUTIN_OLD], cutoff="2024-06-01").config
    with pytest.warns(CutoffAfterSnapshotsWarning, match="after every snapshot"):
        plan = make_plan(config)
    assert plan.warnings and plan.counts["snapshot_before_cutoff"] > 0 and not plan.context.facts


def test_the_newest_snapshot_of_an_entity_wins(one: Path) -> None:
    rows = load_rows(one)
    putin = [r for r in rows if r.subject_id == "Q7747"]
    assert putin and {r.snapshot_dates[0] for r in putin} == {"2025-03-15"}  # not the 2024-05-28 document
    statistics = json.loads((one / "provenance.json").read_text())["statistics"]
    assert statistics["skipped"]["duplicate_documents"] >= 1
    assert len({r.question for r in rows}) == len(rows)


# -- chain rules ------------------------------------------------------------------------------------------------


def test_answer_equal_to_a_path_label_is_dropped(two: Path) -> None:
    rows = load_rows(two)
    # Putin's father Q19300851 is labelled "Vladimir Putin" too (jq): "Who is the father of Vladimir Putin?" is out
    assert not [r for r in rows if r.subject_id == "Q7747" and r.path_properties == ("P22",)]
    statistics = json.loads((two / "provenance.json").read_text())["statistics"]
    assert statistics["dropped_chains"]["answer_is_path_label"] >= 1


def test_reducible_chains_are_dropped(two: Path) -> None:
    rows = load_rows(two)
    # Maria Vorontsova's sibling Katerina has the same father: "the father of the sibling of Maria" reduces to
    # "the father of Maria", which is kept
    assert [r for r in rows if r.subject_id == "Q19816371" and r.path_properties == ("P22",)]
    assert not [r for r in rows if r.subject_id == "Q19816371" and r.path_properties == ("P3373", "P22")]
    statistics = json.loads((two / "provenance.json").read_text())["statistics"]
    assert statistics["dropped_chains"]["reducible_chain"] > 0


def test_time_bound_facts_need_a_dated_value_to_be_asked_now(two: Path) -> None:
    rows = load_rows(two)
    # Lyudmila Ocheretnaya's only P39 is an undated normal "First Lady of Russia" (jq), though she divorced in
    # 2014: not asked as a current office; Putin's preferred, dated President of Russia is
    assert not [r for r in rows if r.subject_id == "Q233282" and r.path_properties == ("P39",)]
    assert [r for r in rows if r.subject_id == "Q7747" and r.path_properties == ("P39",)]
    statistics = json.loads((two / "provenance.json").read_text())["statistics"]
    assert statistics["dropped_chains"]["undated_time_bound"] >= 1


def test_answers_written_in_the_question_are_dropped(one: Path) -> None:
    rows = load_rows(one)
    # Putin is named "Vladimir Putin (President of Russia (1999–2008, 2012–present))" beside his namesake father:
    # asking that subject for his position would give the answer away
    assert not [r for r in rows if r.subject_id == "Q7747" and r.path_properties == ("P39",)]
    assert [r for r in rows if r.subject_id == "Q7747" and r.path_properties == ("P25",)]
    statistics = json.loads((one / "provenance.json").read_text())["statistics"]
    assert statistics["dropped_chains"]["answer_in_question"] >= 1


def test_round_trips_are_dropped(one: Path) -> None:
    rows = load_rows(one)
    # Putin's father Q19300851 has one child, Putin; "the mother of the child of Q19300851" would be his wife
    assert [r for r in rows if r.subject_id == "Q19300851" and r.path_properties[:1] == ("P40",)]
    assert not [r for r in rows if any(a == "P40" and b in ("P22", "P25") for a, b in pairwise(r.path_properties))]
    statistics = json.loads((one / "provenance.json").read_text())["statistics"]
    assert statistics["dropped_chains"]["round_trip"] > 0


def test_aliases_that_name_another_entity_are_not_answers(two: Path) -> None:
    rows = load_rows(two)
    children = next(r for r in rows if r.subject_id == "Q254220" and r.path_properties == ("P40",))
    # Vladimir Putin Jr. (Q130234762) has the alias "Vladimir Putin" (jq), the label of Q7747 and of Q19300851
    assert "Q130234762" in children.answer_ids and "Vladimir Putin" not in children.answer_aliases
    assert "Vladimir Putin Jr." in children.answer_aliases


def test_shared_labels_are_told_apart_by_descriptions(one: Path) -> None:
    rows = load_rows(one)
    named = {r.question.split(" of ", 1)[-1] for r in rows if r.subject_label == "Vladimir Putin" and r.hops == 1
             and r.question.startswith("What is the occupation of")}
    # two subjects labelled "Vladimir Putin" (Q7747 and his father Q19300851): both named with their description
    assert len(named) == 2 and all(n.startswith("Vladimir Putin (") for n in named)


# -- configs, fields, card, cut-off and articles ------------------------------------------------------------------


def test_every_state_config_loads_with_datasets_even_empty(two: Path) -> None:
    meta = DatasetCard.load(two / "README.md").data.to_dict()
    assert [c["config_name"] for c in meta["configs"]] == ["stable", "evolved", "uncharted", "corpus"]
    assert load_rows(two, "uncharted") == []  # no fact of this build is new since 2024-05-28
    cache = str(two.parent / "hf-cache")
    for config in ("stable", "evolved", "corpus"):
        assert datasets.load_dataset(str(two), config, cache_dir=cache)  # the real loader, no knowbench in between
    empty = datasets.load_dataset(str(two), "uncharted", split="test", streaming=True)
    assert list(empty) == [] and "retrieved_bm25" in empty.features
    # `datasets` 5.2 refuses any 0-row split without streaming (huggingface/datasets#8401); if this starts to
    # pass, the card's loading note can drop streaming=True
    with pytest.raises(ValueError, match="corresponds to no data"):
        datasets.load_dataset(str(two), "uncharted", split="test", cache_dir=cache)
    typed = load("evowiki", two, "uncharted", split="test")
    assert typed.num_rows == 0 and typed.features == load("evowiki", two, "stable", split="test").features


def test_retrieval_fields_are_named_by_retriever_and_the_card_states_k(two: Path) -> None:
    rows = load_rows(two)
    stable = load("evowiki", two, "stable", split="test")
    assert "retrieved_bm25" in stable.column_names and not [c for c in stable.column_names if "_top" in c]
    short = sum(1 for r in rows if len(r.retrieved("bm25")) < 30)
    text = DatasetCard.load(two / "README.md").text
    assert "top k = 30 passages" in text
    assert f"{short:,} of the {len(rows):,} questions have fewer than 30" in text


def test_card_lists_each_state_rule_with_its_count(two: Path) -> None:
    statistics = json.loads((two / "provenance.json").read_text())["statistics"]
    text = " ".join(DatasetCard.load(two / "README.md").text.split())
    for state in ("stable", "evolved", "uncharted"):
        assert f"**{state}**" in text and f"({statistics['fact_states'][state]:,} facts)" in text
    for reason, n in statistics["dropped_chains"].items():
        assert f"| `{reason}` | {n:,} |" in text


def test_cutoff_must_be_yyyy_mm_dd(wiki: Path) -> None:
    assert parse_day("2024-01-01") == datetime.date(2024, 1, 1)
    for bad in ("20240101", "2024-1-1", "2024/01/01", "2024-02-30"):
        with pytest.raises(ConfigError, match="cutoff must be YYYY-MM-DD"):
            get_builder("evowiki", wikidata=[wiki / "wikidata" / PUTIN_NEW], cutoff=bad)


def test_the_before_country_and_organisation_names(wiki: Path) -> None:
    dump = Snapshot.read([wiki / "wikidata" / "Wikidata__Wikidata-Toolkit__sample-dump-20150815.json.gz"])

    def classes(qid: str) -> list[str]:
        return [s.value for s in dump.entities[qid].statements if s.property == "P31"]

    # instance-of classes as the 2015 dump has them; the names are those entities' English labels
    assert with_article("Netherlands", classes("Q55")) == "the Netherlands"
    assert with_article("People's Republic of China", classes("Q148")) == "the People's Republic of China"
    assert with_article("Germany", classes("Q183")) == "Germany"
    beatles = Snapshot.read([wiki / "wikidata" / "dahlia__wikidata__Q1299.json"]).entities["Q1299"]
    assert with_article(str(beatles.label), [s.value for s in beatles.statements if s.property == "P31"]) == "The Beatles"
    putin = _putin(wiki)  # a human: never an article
    assert with_article("United Kingdom of Putin", [s.value for s in putin.statements if s.property == "P31"]) == (
        "United Kingdom of Putin")


# -- check evowiki ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["two", "one"])
def test_check_finds_no_defect_in_the_shared_builds(fixture: str, request: pytest.FixtureRequest,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    folder = request.getfixturevalue(fixture)
    assert main(["check", "evowiki", "--data", str(folder), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["defects"] == {name: 0 for name in DEFECTS} and report["defects_total"] == 0
    rows = load_rows(folder)
    assert report["rows"] == len(rows) > 0
    assert sum(sum(c.values()) for c in report["rows_by_state_hops"].values()) == len(rows)
    assert report["distinct_final_facts"] == len({(r.path_entities[-1], r.property) for r in rows})
    assert set(report["dropped_chains"]) >= {"reducible_chain", "answer_is_path_label", "entity_twice"}


def test_check_prints_tables(two: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "evowiki", "--data", str(two)]) == 0
    out = capsys.readouterr().out
    assert "Defects (0 in all)" in out and "reducible_chain" in out and "Dropped by the build" in out


def test_check_counts_each_defect_class(two: Path) -> None:
    rows = load_rows(two)
    one_hop = next(r for r in rows if r.hops == 1 and r.state == "stable" and r.subject_id == "Q19816371"
                   and r.path_properties == ("P22",))
    two_hop = next(r for r in rows if r.hops == 2 and r.subject_id == one_hop.subject_id)
    broken = [
        dataclasses.replace(one_hop, id="a", answer=one_hop.subject_label),  # answer_is_path_label
        dataclasses.replace(one_hop, id="b", answer_aliases=(one_hop.subject_label,)),  # alias_is_path_label
        dataclasses.replace(two_hop, id="c", path_entities=(two_hop.subject_id, two_hop.subject_id)),  # entity twice
        dataclasses.replace(one_hop, id="q", question=f"Who is the father of {one_hop.answer}?"),  # in question
        dataclasses.replace(two_hop, id="r", path_properties=("P40", "P25")),  # round_trip
        dataclasses.replace(two_hop, id="d", property=one_hop.property, answer_ids=one_hop.answer_ids,
                            question="reducible?"),  # reducible_chain
        dataclasses.replace(one_hop, id="e"),  # duplicate_question
        dataclasses.replace(one_hop, id="f", question="f?", state="evolved", hop_states=("evolved",)),
        dataclasses.replace(one_hop, id="g", question="g?", cutoff_answer_ids=()),  # stable_changed
        dataclasses.replace(one_hop, id="h", question="h?", state="uncharted"),  # state_not_from_hops
        dataclasses.replace(one_hop, id="i", question="i?", snapshot_dates=("2020-01-01",)),  # judged before cut-off
    ]
    found = row_defects([one_hop, two_hop, *broken])
    expected = {"answer_is_path_label": ["a"], "alias_is_path_label": ["b"], "entity_twice": ["c"],
                "round_trip": ["r"], "answer_in_question": ["q"], "reducible_chain": ["d"], "duplicate_question": ["e"], "evolved_unchanged": ["f"],
                "stable_changed": ["g"], "state_not_from_hops": ["h"], "judged_before_cutoff": ["i"]}
    for name, ids in expected.items():
        assert ids[0] in found[name], name
    assert check_evowiki(two)["defects_total"] == 0
