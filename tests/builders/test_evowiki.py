"""EvoWiki builder on the real Wikidata/Wikipedia samples: diffs checked by hand, states, questions, folder, update."""

from __future__ import annotations

import datetime
import json
import threading
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from huggingface_hub import DatasetCard

from knowbench.builders import build, get_builder
from knowbench.builders.evowiki.facts import EVOLVING, Snapshot, current_statements, cutoff_facts, diff_facts
from knowbench.builders.evowiki.templates import TEMPLATES
from knowbench.builders.writer import build_to_folder
from knowbench.errors import ConfigError, SourceFormatError
from knowbench.loaders import load
from knowbench.loaders.evowiki import load_corpus, load_rows

CUTOFF = "2014-06-01"
SMALL_WIKIPEDIA = ("maribelacosta__wikiwho__enwiki-Anarchism-history-yearly.xml", "pywikibot_article-pear-0.10.xml")
TYPED = ("wikibase-item", "quantity", "time")

# Expected evolving changes (added / removed / ended values) of item, quantity and time statements, read by hand
# from the JSON files with jq (statements listed per property in both files, deprecated rank dropped, then compared
# value by value; see the builder's rules). Nothing here was computed by knowbench.
PUTIN = {
    ("P19", "removed", "Q27899309"),  # normal -> deprecated
    ("P39", "added", "Q2072298"),
    ("P40", "added", "Q130234753"), ("P40", "added", "Q130234762"),
    ("P1038", "added", "Q126923790"),
    ("P2048", "added", "157.48"),
    ("P1889", "added", "Q396184"),
    ("P3602", "added", "Q28810950"),
    ("P166", "added", "Q55664008"), ("P166", "added", "Q2087586"), ("P166", "ended", "Q15279719"),  # end 2022 added
    ("P1595", "removed", "Q655843"),  # the statement's value was replaced by Q112222097, which it already had
    ("P1050", "added", "Q11085"),
    *{("P8687", "removed", v) for v in ("3449110", "3375193", "44500", "159000", "186000", "234000")},
}
CHRISTOPHERSEN = {
    ("P27", "removed", "Q35"), ("P27", "added", "Q756617"),  # same statement id, value replaced
    ("P106", "added", "Q188094"),
    ("P39", "added", "Q651703"), ("P39", "added", "Q1780230"), ("P39", "added", "Q64852347"),
    ("P39", "added", "Q12311817"), ("P39", "ended", "Q5449541"),  # 1982-09-10 to 1984-07-23 added
    ("P734", "added", "Q27888863"), ("P69", "added", "Q186285"), ("P69", "added", "Q11989206"),
    ("P1343", "added", "Q4041526"),
}
NEIHU_WITHOUT_P150 = {
    ("P131", "added", "Q24287568"), ("P361", "added", "Q1867"),
    *{("P47", "added", q) for q in ("Q570601", "Q271167", "Q271073", "Q271124", "Q254626")},
    ("P206", "added", "Q708976"), ("P7867", "added", "Q84065100"), ("P1365", "added", "Q10891340"),
    ("P2044", "added", "86"), ("P1792", "added", "Q31008767"),
}
ROTH = {
    ("P106", "added", "Q18844224"), ("P106", "added", "Q4853732"), ("P106", "added", "Q6625963"),
    ("P69", "added", "Q4863671"), ("P735", "added", "Q20020"), ("P735", "added", "Q564684"),
    ("P136", "added", "Q1233720"), ("P910", "added", "Q32080608"), ("P734", "added", "Q2168571"),
    ("P1412", "added", "Q1860"), ("P1343", "added", "Q67311526"), ("P2031", "added", "+2010-00-00T00:00:00Z"),
    ("P5008", "added", "Q104665671"), ("P166", "added", "Q112136107"),
}


def _pair(folder: Path, old: str, new: str) -> tuple:
    old_entity = next(iter(Snapshot.read([folder / old]).entities.values()))
    new_entity = next(iter(Snapshot.read([folder / new]).entities.values()))
    facts, changes = diff_facts(old_entity, new_entity)
    typed = [c for c in changes if c.value_type in TYPED]
    states = {f.property: f.state for f in facts if f.statements[0].value_type in TYPED}
    return typed, states


@pytest.fixture(scope="module")
def wiki(shared_data: Path) -> Path:
    return shared_data / "wiki"


def test_putin_2024_2025_diff_matches_hand_checked(wiki: Path) -> None:
    changes, states = _pair(wiki / "wikidata", "opensanctions__nomenklatura__Q7747_2024-05-28.json",
                            "opensanctions__nomenklatura__Q7747_2025-03-15.json")
    assert {(c.property, c.kind, c.value) for c in changes if c.kind in EVOLVING} == PUTIN
    curation = {(c.property, c.kind, c.value) for c in changes if c.kind not in EVOLVING}
    assert {("P19", "reranked", "Q656"), ("P19", "reranked", "Q28133957"), ("P2048", "reranked", "170"),
            ("P1344", "requalified", "Q17386797")} <= curation
    # an evolved fact must change its answer set: P39 gained a normal-rank Q2072298 but its preferred Q218295
    # still outranks it, and P2048 gained a normal 157.48 beside the preferred 170 (jq): both stay stable
    assert {p for p, s in states.items() if s == "evolved"} == {
        "P19", "P40", "P1038", "P1889", "P3602", "P166", "P1595"}
    assert states["P39"] == states["P2048"] == "stable"
    assert {p for p, s in states.items() if s == "uncharted"} == {"P1050"}
    assert "P8687" not in states  # every value removed: no question


def test_old_new_pairs_diff_matches_hand_checked(wiki: Path) -> None:
    folder = wiki / "wikidata"
    changes, states = _pair(folder, "maxlath__wikibase-sdk__Q646148_old.json", "maxlath__wikibase-sdk__Q646148_new.json")
    assert {(c.property, c.kind, c.value) for c in changes if c.kind in EVOLVING} == CHRISTOPHERSEN
    assert {p for p, s in states.items() if s == "evolved"} == {"P27", "P106", "P39"}
    assert {p for p, s in states.items() if s == "uncharted"} == {"P734", "P69", "P1343"}

    changes, states = _pair(folder, "maxlath__wikibase-sdk__Q271094_old.json", "maxlath__wikibase-sdk__Q271094_new.json")
    evolving = {(c.property, c.kind, c.value) for c in changes if c.kind in EVOLVING}
    assert {x for x in evolving if x[0] != "P150"} == NEIHU_WITHOUT_P150
    assert sum(1 for x in evolving if x[:2] == ("P150", "added")) == 40  # jq: 0 P150 statements old, 40 new
    assert ("P131", "requalified", "Q1867") in {(c.property, c.kind, c.value) for c in changes}
    # P131 gained Q24287568, but the preferred statement is still the only best-rank value (jq): stable
    assert {p for p, s in states.items() if s == "evolved"} == set() and states["P131"] == "stable"
    assert states["P1082"] == "stable"  # only the rank of the 2017-06-01 figure changed

    changes, states = _pair(folder, "maxlath__wikibase-sdk__Q328212_old.json", "maxlath__wikibase-sdk__Q328212_new.json")
    assert {(c.property, c.kind, c.value) for c in changes if c.kind in EVOLVING} == ROTH
    assert {p for p, s in states.items() if s == "evolved"} == {"P106", "P69"}
    assert {p for p, s in states.items() if s == "stable"} == {"P19", "P21", "P27", "P31", "P800", "P937", "P569"}


def test_cutoff_rules_on_real_statements(wiki: Path) -> None:
    putin = Snapshot.read([wiki / "wikidata/opensanctions__nomenklatura__Q7747_2025-03-15.json"]).entities["Q7747"]
    by_prop = {f.property: f for f in cutoff_facts(putin, datetime.date(2011, 1, 1))}
    # P39 (jq): the only preferred statement is Q218295 from 2012-05-07, after this cut-off; at the cut-off
    # Q842386 (2008-05-08 to 2012-05-07) was in force
    assert by_prop["P39"].state == "evolved"
    assert by_prop["P39"].current_values == ("Q218295",)
    assert "Q842386" in by_prop["P39"].cutoff_values and "Q218295" not in by_prop["P39"].cutoff_values
    # P26: Lyudmila Putina 1983-07-28 to 2014-04-02 (jq): ends after the cut-off
    assert by_prop["P26"].state == "evolved"
    late = {f.property: f.state for f in cutoff_facts(putin, datetime.date(2025, 3, 1))}
    assert late["P26"] == "stable"
    neihu = Snapshot.read([wiki / "wikidata/maxlath__wikibase-sdk__Q271094_new.json"]).entities["Q271094"]
    population = [s for s in neihu.statements if s.property == "P1082"]
    day = datetime.date(2024, 1, 1)
    assert [s.value for s in current_statements(population, day)] == ["287746"]  # the preferred 2017-06-01 figure


@pytest.fixture(scope="module")
def built(wiki: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("evowiki") / "evowiki"
    build("evowiki", out, wikidata=[wiki / "wikidata", wiki / "wikidata_api"], cutoff=CUTOFF, retrievers=["bm25"],
          wikipedia=[wiki / "wikipedia" / name for name in SMALL_WIKIPEDIA])
    return out


def test_build_has_all_states_with_single_and_multi_hop(built: Path) -> None:
    rows = load_rows(built)
    per = Counter((r.state, r.hops) for r in rows)
    for state in ("stable", "evolved", "uncharted"):
        assert per[(state, 1)] > 0, (state, per)
    for state in ("stable", "uncharted"):  # evolved chains: see the two-snapshot build
        assert per[(state, 2)] + per[(state, 3)] > 0, (state, per)
    evolved = load("evowiki", built, "evolved", split="test")
    assert set(evolved["state"]) == {"evolved"}
    for row in rows:
        assert row.subject_id and row.property in TEMPLATES and row.cutoff == CUTOFF
        assert row.hops == len(row.path_entities) == len(row.path_properties)
        assert row.answer in row.latest_names() and any(a.current for a in row.all_answers)


def test_multi_hop_questions_chain_real_facts(built: Path) -> None:
    rows = {r.id: r for r in load_rows(built)}
    chain = [r for r in rows.values() if r.hops == 2 and r.path_properties == ("P22", "P25")]
    assert chain, "expected 'mother of the father of X' questions"
    row = chain[0]
    # the subject is named by its label, with its description when another subject shares the label
    name = row.question.removeprefix("Who is the mother of the father of ").removesuffix("?")
    assert name == row.subject_label or name.startswith(f"{row.subject_label} (")
    assert row.question == TEMPLATES["P25"].ask(TEMPLATES["P22"].phrase_of(name))
    # the bridge is the father (one value in force), and the final hop asks that entity's mother
    single = [r for r in rows.values() if r.hops == 1 and r.subject_id == row.path_entities[1] and r.property == "P25"]
    assert single and single[0].answer == row.answer


def test_corpus_and_bm25_fields(built: Path) -> None:
    corpus = load_corpus(built)
    sources = Counter(p.source for p in corpus.values())
    assert sources["wikipedia"] > 0 and sources["wikidata"] > 0
    rows = load_rows(built)
    for row in rows:
        ids = row.retrieved("bm25")
        assert len(ids) <= 30 and set(ids) <= set(corpus)


def test_card_states_dates_rules_counts_and_licences(built: Path) -> None:
    card = DatasetCard.load(built / "README.md")
    text = card.text
    rows = load_rows(built)
    assert f"Cut-off: **{CUTOFF}**" in text
    for state in ("stable", "evolved", "uncharted"):
        n = sum(1 for r in rows if r.state == state)
        line = next(line for line in text.splitlines() if line.startswith(f"| {state} |"))
        assert line.rstrip(" |").endswith(f"{n:,}")
    assert "CC0" in text and "CC BY-SA" in text and "2026-04-22" in text  # newest modified time (Q5, jq)
    assert card.data.to_dict()["license"] == "cc-by-sa-4.0"


def test_two_snapshot_build_gives_the_diff_states(wiki: Path, tmp_path: Path) -> None:
    folder = wiki / "wikidata"
    out = tmp_path / "diff"
    build("evowiki", out, wikidata=[folder / "opensanctions__nomenklatura__Q7747_2025-03-15.json"],
          wikidata_old=[folder / "opensanctions__nomenklatura__Q7747_2024-05-28.json"], labels=[wiki / "wikidata_api"],
          cutoff="2024-05-28", retrievers=[])
    rows = [r for r in load_rows(out) if r.hops == 1]
    states = {r.property: r.state for r in rows}
    assert {p for p, s in states.items() if s == "evolved"} == {"P19", "P40", "P1038"}  # labelled answers
    assert states["P39"] == "stable"  # a normal-rank position added beside the preferred one: same answer set
    assert states["P25"] == "stable" and "P1050" not in states  # P1050's value Q11085 has no label in the inputs
    children = next(r for r in rows if r.property == "P40")
    assert {"added:Q130234753", "added:Q130234762"} <= set(children.changes)


def test_malformed_input_leaves_nothing(wiki: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    text = (wiki / "wikidata/maxlath__wikibase-sdk__Q646148_new.json").read_text()
    broken.write_text(text[: len(text) // 2])
    out = tmp_path / "out"
    with pytest.raises(SourceFormatError, match="broken.json"):
        build_to_folder(get_builder("evowiki", wikidata=[broken], cutoff=CUTOFF, retrievers=[]), out)
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["broken.json"]


def test_broken_wikipedia_xml_keeps_the_previous_build(wiki: Path, tmp_path: Path) -> None:
    entity = wiki / "wikidata/opensanctions__nomenklatura__Q7747_2025-03-15.json"
    labels = [wiki / "wikidata_api"]
    out = tmp_path / "out"
    build_to_folder(get_builder("evowiki", wikidata=[entity], labels=labels, cutoff=CUTOFF, retrievers=[]), out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    xml = (wiki / "wikipedia/pywikibot_article-pear-0.10.xml").read_text()
    broken = tmp_path / "broken.xml"
    broken.write_text(xml[: len(xml) // 2])
    with pytest.raises(SourceFormatError, match="broken.xml"):
        build_to_folder(get_builder("evowiki", wikidata=[entity], labels=labels, wikipedia=[broken], cutoff=CUTOFF,
                                    retrievers=[]), out)
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.xml", "out"]


def test_config_is_validated(wiki: Path) -> None:
    wd = [wiki / "wikidata"]
    with pytest.raises(ConfigError, match="cutoff"):
        get_builder("evowiki", wikidata=wd, cutoff="2024/01/01")
    with pytest.raises(ConfigError, match="max_hops"):
        get_builder("evowiki", wikidata=wd, cutoff=CUTOFF, max_hops=4)
    with pytest.raises(ConfigError, match="retriever"):
        get_builder("evowiki", wikidata=wd, cutoff=CUTOFF, retrievers=["tfidf"])
    with pytest.raises(ConfigError, match="does not exist"):
        get_builder("evowiki", wikidata=[wiki / "nope.json"], cutoff=CUTOFF)


# -- update against a local server that answers with the recorded wbgetentities responses ---------------------


def _recorded_name(params: dict[str, str]) -> str:
    props = urllib.parse.quote(params["props"], safe="").lower().replace("%", "_")
    return f"api_php_action_wbgetentities_format_json_ids_{params['ids'].lower()}_props_{props}.json"


@pytest.fixture()
def api_server(wiki: Path) -> Iterator[str]:
    folder = wiki / "wikidata_api"

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
            path = folder / _recorded_name(params)
            if path.is_file():
                body = path.read_bytes()
            else:  # what the real API answers for an id it does not hold
                body = json.dumps({"entities": {i: {"id": i, "missing": ""} for i in params["ids"].split("|")}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/w/api.php"
    server.shutdown()
    server.server_close()


def test_update_fetches_changed_entities_and_rebuilds_only_them(wiki: Path, tmp_path: Path, api_server: str) -> None:
    from knowbench.builders.evowiki.update import update_folder

    out = tmp_path / "evowiki"
    putin = wiki / "wikidata/opensanctions__nomenklatura__Q7747_2024-05-28.json"
    # with Putin's father (also labelled "Vladimir Putin"), so that Putin is named with his description from the start
    father = next((wiki / "wikidata_api").glob("*_ids_q19300851_props_info*.json"))
    build_to_folder(get_builder("evowiki", wikidata=[putin, father], labels=[wiki / "wikidata_api"], cutoff=CUTOFF,
                                retrievers=["bm25"], max_hops=2), out)
    before = {r.id: r for r in load_rows(out)}
    report = update_folder(out, "2025-01-01", api_url=api_server, batch_size=1)
    # the recorded responses hold Putin's relatives (modified 2025-2026) but not Putin himself
    assert "Q7747" in report.missing
    # Putin 2024 points to them (P40, P26; jq) and the API has them modified 2025-12-25 / 2026-04-21 / 2026-04-02
    assert {"Q107043381", "Q19364345", "Q233282"} <= set(report.new_subjects)
    assert report.store_file is not None and report.store_file.is_file()
    after = {r.id: r for r in load_rows(out)}
    assert set(before) <= set(after) and len(after) > len(before)
    assert report.reused_rows == len(before)  # Putin and his father did not change: every old row kept retrieval
    assert report.regenerated_rows == len(after) - len(before)
    assert all(after[i] == before[i] for i in before)
    assert {r.subject_id for r in after.values()} > {r.subject_id for r in before.values()}
    again = update_folder(out, "2025-01-01", api_url=api_server, batch_size=1)
    # what the first update fetched is unchanged now; only the next ring of neighbours can be new
    assert set(again.changed).isdisjoint(report.changed) and set(again.changed) == set(again.new_subjects)
