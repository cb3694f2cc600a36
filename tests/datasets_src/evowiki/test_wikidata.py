"""EvoWiki Wikidata readers on the real samples in ../shared/data/wiki (dumps, API responses, bare documents)."""

from __future__ import annotations

import bz2
import datetime
import gzip
import json
from pathlib import Path

import pytest

from knowbench.datasets_src.evowiki import (
    LabelStore,
    SqliteLabelStore,
    WikidataTime,
    iter_documents,
    iter_entities,
)
from knowbench.errors import SourceFormatError

SAMPLE_DUMP = "Wikidata__Wikidata-Toolkit__sample-dump-20150815.json.gz"
PUTIN_2024 = "opensanctions__nomenklatura__Q7747_2024-05-28.json"
PUTIN_2025 = "opensanctions__nomenklatura__Q7747_2025-03-15.json"


def _raw_entities(path: Path) -> list[dict]:
    """Independent reading with the json module only: the entity documents a file holds."""
    if path.name.endswith(".gz"):
        lines = gzip.decompress(path.read_bytes()).decode().splitlines()
        return [json.loads(line.rstrip(",")) for line in lines if line.strip() not in ("[", "]", "")]
    doc = json.loads(path.read_text())
    if "entities" in doc:
        return [e for e in doc["entities"].values() if "missing" not in e]
    return [doc]


def _value_claims(doc: dict) -> int:
    return sum(
        1 for group in doc.get("claims", {}).values() for c in group if c["mainsnak"]["snaktype"] == "value"
    )


def _json_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if ".json" in p.name)


@pytest.fixture(scope="module")
def wikidata(shared_data: Path) -> Path:
    return shared_data / "wiki" / "wikidata"


@pytest.fixture(scope="module")
def api_folder(shared_data: Path) -> Path:
    return shared_data / "wiki" / "wikidata_api"


def test_every_real_file_parses_with_counts_matching_plain_json(wikidata: Path, api_folder: Path) -> None:
    files = _json_files(wikidata) + _json_files(api_folder)
    assert len(files) >= 188 + 20
    for path in files:
        raw = _raw_entities(path)
        entities = list(iter_entities(path))
        assert [e.id for e in entities] == [d["id"] for d in raw], path.name
        assert [len(e.statements) for e in entities] == [_value_claims(d) for d in raw], path.name


def test_sample_dump_layout_and_plain_path_agree(wikidata: Path) -> None:
    path = wikidata / SAMPLE_DUMP
    fast = list(iter_entities(path))
    plain = list(iter_entities(path, fast=False))
    assert len(fast) == len(_raw_entities(path)) == 101
    assert fast == plain
    # the 2015 dump writes item values with numeric-id only; they still come out as Q-ids
    values = [s.value for e in fast for s in e.statements if s.value_type == "wikibase-item"]
    assert values and all(v.startswith("Q") and v[1:].isdigit() for v in values)


def test_labels_sitelinks_and_qualifiers(wikidata: Path) -> None:
    (adams,) = iter_entities(wikidata / "qwikidata_wd_Q42_2018-07-27.json")
    raw = _raw_entities(wikidata / "qwikidata_wd_Q42_2018-07-27.json")[0]
    assert adams.label == raw["labels"]["en"]["value"] == "Douglas Adams"
    assert adams.aliases == tuple(a["value"] for a in raw["aliases"]["en"])
    assert (
        adams.sitelinks == len(raw["sitelinks"]) and adams.enwiki_title == raw["sitelinks"]["enwiki"]["title"]
    )
    assert adams.modified == raw["modified"]
    (german,) = iter_entities(wikidata / "qwikidata_wd_Q42_2018-07-27.json", language="de")
    assert german.label == raw["labels"]["de"]["value"]
    assert german.enwiki_title == raw["sitelinks"]["dewiki"]["title"]
    ranks = {s.rank for s in adams.statements}
    assert "normal" in ranks and ranks <= {"normal", "preferred", "deprecated"}
    (henning,) = iter_entities(wikidata / "maxlath__wikibase-sdk__Q646148_new.json")
    raw_claims = {
        c["id"]: c
        for c in _raw_entities(wikidata / "maxlath__wikibase-sdk__Q646148_new.json")[0]["claims"]["P39"]
    }
    positions = [s for s in henning.statements if s.property == "P39"]
    assert len(positions) == len(raw_claims)
    for statement in positions:
        qualifiers = raw_claims[statement.statement_id].get("qualifiers", {})
        for prop, parsed in (("P580", statement.start), ("P582", statement.end)):
            expected = qualifiers.get(prop, [{}])[0].get("datavalue", {}).get("value", {}).get("time")
            assert (parsed.value if parsed else None) == expected
    assert any(
        s.start is not None and s.end is not None and s.end.start() > s.start.start() for s in positions
    )
    assert any(
        s.start is None and s.end is not None for s in positions
    )  # some positions have only an end date
    (neihu,) = iter_entities(wikidata / "maxlath__wikibase-sdk__Q271094_new.json")
    populations = [s for s in neihu.statements if s.property == "P1082"]
    assert populations and all(s.point_in_time is not None for s in populations)
    assert all(s.value_type == "quantity" and not s.value.startswith("+") for s in populations)


def test_year_precision_dates(wikidata: Path) -> None:
    # special_values keeps the "somevalue" child (unknown child, since 2017) whose qualifier is year-precise
    (maria,) = iter_entities(wikidata / "opensanctions__nomenklatura__Q19816371.json", special_values=True)
    assert any(s.property == "P40" and s.value == "somevalue" for s in maria.statements)
    raw = _raw_entities(wikidata / "opensanctions__nomenklatura__Q19816371.json")[0]
    year_values = {
        q["datavalue"]["value"]["time"]
        for group in raw["claims"].values()
        for claim in group
        for prop, snaks in claim.get("qualifiers", {}).items()
        for q in snaks
        if prop in ("P580", "P582", "P585")
        and q["snaktype"] == "value"
        and q["datavalue"]["type"] == "time"
        and q["datavalue"]["value"]["precision"] == 9
    }
    times = [t for s in maria.statements for t in (s.start, s.end, s.point_in_time) if t is not None]
    year_times = [t for t in times if t.precision == 9]
    assert {t.value for t in year_times} == year_values and year_values
    for t in year_times:
        assert t.value.endswith("-00-00T00:00:00Z")
        year = int(t.value[1:5])
        assert (t.start(), t.end(), t.iso()) == (
            datetime.date(year, 1, 1),
            datetime.date(year, 12, 31),
            str(year),
        )
    day = WikidataTime("+2012-05-07T00:00:00Z", 11)
    month = WikidataTime("+2012-02-00T00:00:00Z", 10)
    assert (day.start(), day.end(), day.iso()) == (datetime.date(2012, 5, 7),) * 2 + ("2012-05-07",)
    assert (month.start(), month.end(), month.iso()) == (
        datetime.date(2012, 2, 1),
        datetime.date(2012, 2, 29),
        "2012-02",
    )


def test_putin_2024_vs_2025_statement_diff_matches_manual_diff(wikidata: Path) -> None:
    (old,) = iter_entities(wikidata / PUTIN_2024)
    (new,) = iter_entities(wikidata / PUTIN_2025)
    assert old.modified < new.modified

    def raw_values(name: str, prop: str) -> set[str]:
        doc = _raw_entities(wikidata / name)[0]
        return {c["mainsnak"]["datavalue"]["value"]["id"] for c in doc["claims"].get(prop, [])}

    for prop in ("P39", "P40", "P1038"):
        parsed_old = {s.value for s in old.statements if s.property == prop}
        parsed_new = {s.value for s in new.statements if s.property == prop}
        assert parsed_new - parsed_old == raw_values(PUTIN_2025, prop) - raw_values(PUTIN_2024, prop)
        assert parsed_old - parsed_new == raw_values(PUTIN_2024, prop) - raw_values(PUTIN_2025, prop)
    # hand-checked: the 2025 snapshot adds one position held (Q2072298) and keeps every 2024 one
    new_positions = {s.value for s in new.statements if s.property == "P39"}
    old_positions = {s.value for s in old.statements if s.property == "P39"}
    assert new_positions - old_positions == {"Q2072298"} and old_positions <= new_positions
    ids_old = {s.statement_id for s in old.statements if s.property == "P39"}
    ids_new = {s.statement_id for s in new.statements if s.property == "P39"}
    assert len(ids_new - ids_old) == 1 and ids_old <= ids_new


def test_old_new_pairs_differ(wikidata: Path) -> None:
    for qid in ("Q646148", "Q271094", "Q328212"):
        (old,) = iter_entities(wikidata / f"maxlath__wikibase-sdk__{qid}_old.json")
        (new,) = iter_entities(wikidata / f"maxlath__wikibase-sdk__{qid}_new.json")
        assert old.id == new.id == qid
        key = lambda s: (s.property, s.value, s.start, s.end, s.point_in_time)  # noqa: E731
        assert {key(s) for s in new.statements} != {key(s) for s in old.statements}


def test_labels_from_labels_only_responses(api_folder: Path, tmp_path: Path) -> None:
    label_files = sorted(api_folder.glob("*_props_labels.json"))
    assert len(label_files) == 123
    store = LabelStore.from_paths(api_folder)
    for path in label_files:
        for doc in json.loads(path.read_text())["entities"].values():
            if "en" in doc.get("labels", {}):
                assert store.get(doc["id"]) == doc["labels"]["en"]["value"]
    assert store.get("P26") == "spouse" and store.get("Q0") is None
    # values that Putin's family statements point to get their labels from the labels-only files
    family = list(iter_entities(sorted(api_folder.glob("*q233282_props_info*"))))
    pointed = {s.value for e in family for s in e.statements if s.value_type == "wikibase-item"}
    assert sum(1 for q in pointed if store.get(q)) > 0
    on_disk = SqliteLabelStore.build(api_folder, tmp_path / "labels.sqlite", progress=False)
    with on_disk:
        assert len(on_disk) == len(store)
        assert all(on_disk.get(k) == v for k, v in store.items())
        assert on_disk.get_many(["P26", "Qmissing"]) == {"P26": "spouse"}
        assert on_disk.aliases("Q254220") == store.aliases("Q254220") != ()


def test_iter_documents_reads_dump_and_response_layouts(wikidata: Path, tmp_path: Path) -> None:
    docs = _raw_entities(wikidata / SAMPLE_DUMP)
    jsonl = tmp_path / "entities.jsonl"
    jsonl.write_text("".join(json.dumps(d) + "\n" for d in docs[:5]))
    assert [d["id"] for d in iter_documents(jsonl)] == [d["id"] for d in docs[:5]]
    missing = list(iter_documents(wikidata / "Wikidata__Wikidata-Toolkit__wbgetentities-Q6-Q42-P31.json"))
    assert [d["id"] for d in missing] == ["Q42", "P31"]  # Q6 is "missing" in the response


@pytest.fixture()
def dump_body(wikidata: Path) -> bytes:
    lines = gzip.decompress((wikidata / SAMPLE_DUMP).read_bytes()).split(b"\n")
    entities = [line.rstrip(b",") for line in lines if line.strip() not in (b"[", b"]", b"")]
    return b"[\n" + b",\n".join(entities * 12) + b"\n]\n"


@pytest.mark.parametrize(("fast", "parallel_gzip"), [(True, False), (False, False), (True, True)])
def test_truncated_bz2_and_gz_are_one_line_errors(
    dump_body: bytes, tmp_path: Path, fast: bool, parallel_gzip: bool
) -> None:
    good_bz2, good_gz = bz2.compress(dump_body, 1), gzip.compress(dump_body)
    (tmp_path / "cut.json.bz2").write_bytes(good_bz2[: len(good_bz2) * 2 // 3])
    (tmp_path / "cut.json.gz").write_bytes(good_gz[: len(good_gz) * 2 // 3])
    (tmp_path / "ok.json.bz2").write_bytes(good_bz2)
    (tmp_path / "ok.json.gz").write_bytes(good_gz)
    for name in ("ok.json.bz2", "ok.json.gz"):
        entities = iter_entities(tmp_path / name, fast=fast, parallel_gzip=parallel_gzip)
        assert sum(1 for _ in entities) == 12 * 101
    for name in ("cut.json.bz2", "cut.json.gz"):
        with pytest.raises(SourceFormatError) as caught:
            list(iter_entities(tmp_path / name, fast=fast, parallel_gzip=parallel_gzip))
        message = str(caught.value)
        assert message.startswith(f"{tmp_path / name}: line ") and "\n" not in message
        assert "byte" in message


def test_dump_cut_at_a_line_boundary_is_reported(dump_body: bytes, tmp_path: Path) -> None:
    cut = dump_body[: dump_body.index(b"\n", len(dump_body) // 2) + 1]
    (tmp_path / "cut.json").write_bytes(cut)
    with pytest.raises(
        SourceFormatError, match=r"cut\.json: line \d+ \(byte \d+\): dump ends without its closing"
    ):
        list(iter_entities(tmp_path / "cut.json"))


@pytest.mark.parametrize("processes", [1, 2])
def test_malformed_json_line_names_file_line_and_byte(
    dump_body: bytes, tmp_path: Path, processes: int
) -> None:
    lines = dump_body.split(b"\n")
    offset = sum(len(line) + 1 for line in lines[:7])
    lines[7] = lines[7][:40] + b"," if processes == 1 else lines[7].replace(b'"id"', b'"id":', 1)
    (tmp_path / "bad.json").write_bytes(b"\n".join(lines))
    with pytest.raises(SourceFormatError) as caught:
        list(iter_entities(tmp_path / "bad.json", processes=processes, block_size=4096))
    assert str(caught.value).startswith(f"{tmp_path / 'bad.json'}: line 8 (byte {offset}): malformed JSON")


def test_worker_processes_give_the_same_entities(dump_body: bytes, tmp_path: Path) -> None:
    (tmp_path / "d.json.bz2").write_bytes(bz2.compress(dump_body, 1))
    serial = list(iter_entities(tmp_path / "d.json.bz2", fast=False))
    parallel = list(iter_entities(tmp_path / "d.json.bz2", processes=2, block_size=50_000))
    assert parallel == serial and len(serial) == 12 * 101


def test_legacy_xml_serialization_is_refused(wikidata: Path) -> None:
    with pytest.raises(SourceFormatError, match="not JSON"):
        list(iter_entities(wikidata / "Wikidata__Wikidata-Toolkit__sample-daily-dump-20140220.xml"))


def test_property_and_kind_filters(wikidata: Path) -> None:
    (full,) = iter_entities(wikidata / PUTIN_2025)
    (only,) = iter_entities(wikidata / PUTIN_2025, properties={"P39", "P26"})
    assert only.statements == tuple(s for s in full.statements if s.property in {"P39", "P26"})
    mixed = wikidata / "Wikidata__Wikidata-Toolkit__wbgetentities-Q6-Q42-P31.json"
    assert [e.id for e in iter_entities(mixed, kinds={"item"})] == ["Q42"]


def test_block_boundaries_do_not_change_the_result(dump_body: bytes, tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_bytes(dump_body + b"\n\n")  # trailing blank lines after the closing bracket are fine
    reference = [e.id for e in iter_entities(path, fast=False)]
    assert len(reference) == 12 * 101
    for block_size in (64, 1000, 65_537):
        assert [e.id for e in iter_entities(path, block_size=block_size)] == reference
    (tmp_path / "after.json").write_bytes(dump_body + b'{"id": "Q1"}\n')
    with pytest.raises(SourceFormatError, match="data after the closing"):
        list(iter_entities(tmp_path / "after.json", block_size=64))


def test_module_examples_run() -> None:
    import doctest
    import importlib

    for name in ("types", "dumpio", "wikidata", "labels", "wikipedia", "api"):
        module = importlib.import_module(f"knowbench.datasets_src.evowiki.{name}")
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, name
