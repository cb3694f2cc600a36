"""Every CLI command fed its bad inputs: exactly one line on stderr, exit code 1, previous outputs intact.

The real CLI runs in-process (``knowbench.cli.main``). Good inputs are small slices of the real samples in
``../shared/data`` (through the ``shared_data`` fixture); bad ones are derived from them at test time (truncated,
emptied, a field removed or given the wrong type, an unknown enum value) or are tiny malformed files. Each row
names the output that must stay byte-identical (a previous build, a user's folder, a run folder) or be absent.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from knowbench.cli import main

Env = SimpleNamespace


def _snapshot(path: Path) -> dict[str, bytes] | bytes | None:
    """Every file under ``path`` with its bytes (a file: its bytes; missing: None)."""
    if path.is_file():
        return path.read_bytes()
    if not path.exists():
        return None
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ------------------------------------------------------------------------------------------------ prepared inputs
@pytest.fixture(scope="module")
def env(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Env:
    """Good inputs and previous outputs, made by the real CLI from small slices of the real samples."""
    capsys = _NoCapture()
    root = tmp_path_factory.mktemp("bad-inputs")
    toolhop_rows = json.loads((shared_data / "toolhop" / "toolhop_sample70.json").read_text())[:3]
    toolhop_source = root / "toolhop3.json"
    toolhop_source.write_text(json.dumps(toolhop_rows))
    solutions = root / "solutions.jsonl"
    lines = (shared_data / "mwp_solutions" / "gsm8k_example_model_solutions.jsonl").read_text().splitlines()
    solutions.write_text("\n".join(lines[:8]) + "\n")
    facts = root / "facts.json"
    facts.write_text(json.dumps(json.loads((shared_data / "smi" / "pararel_15classes.json").read_text())[:40]))
    corpus = root / "corpus.jsonl"  # real text: the GSM8K questions, one document each
    questions = [json.loads(line)["question"] for line in (shared_data / "mwp" / "gsm8k_test.jsonl").open()][:30]
    corpus.write_text("".join(json.dumps({"text": q}) + "\n" for q in questions))
    e = Env(root=root, shared=shared_data, toolhop_rows=toolhop_rows, toolhop_source=toolhop_source,
            solutions=solutions, facts=facts, corpus=corpus, toolhop=root / "toolhop", run=root / "run",
            mwpes=root / "mwpes", counts=root / "counts", user=root / "user", evowiki=root / "evowiki")
    capsys.run(["build", "toolhop", "--source", toolhop_source, "--out", e.toolhop])
    capsys.run(["ingest", "mwp", "--solutions", solutions, "--out", e.run])
    capsys.run(["build", "mwpes", "--runs", e.run, "--out", e.mwpes])
    capsys.run(["count", "--facts", facts, "--corpus", corpus, "--out", e.counts])
    entity = shared_data / "wiki" / "wikidata" / "opensanctions__nomenklatura__Q7747_2025-03-15.json"
    capsys.run(["build", "evowiki", "--wikidata", entity, "--cutoff", "2024-01-01", "--out", e.evowiki])
    e.user.mkdir()
    (e.user / "notes.txt").write_text("a user's own file\n")
    return e


class _NoCapture:
    """Runs a setup command and fails loudly if it does not succeed (module fixtures cannot use capsys)."""

    def run(self, argv: list[Any]) -> None:
        code = main([str(a) for a in argv])
        assert code == 0, f"setup command failed: {argv}"


# ------------------------------------------------------------------------------------------------ bad-input makers
def _write(tmp: Path, name: str, content: str | bytes) -> Path:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def _toolhop(e: Env, tmp: Path, edit: Callable[[list[dict[str, Any]]], Any]) -> Path:
    rows = json.loads(json.dumps(e.toolhop_rows))
    edit(rows)
    return _write(tmp, "toolhop.json", json.dumps(rows))


def _run_copy(e: Env, tmp: Path, edit_samples: Callable[[list[dict[str, Any]]], list[Any]] | None = None) -> Path:
    run = tmp / "run"
    shutil.copytree(e.run, run)
    if edit_samples is not None:
        records = [json.loads(line) for line in (run / "samples.jsonl").read_text().splitlines()]
        out = edit_samples(records)
        (run / "samples.jsonl").write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in out))
    return run


def _cut_second_line(path: Path) -> str:
    """The first line whole and the second cut in half: a torn record on line 2."""
    first, second = path.read_text().splitlines()[:2]
    return f"{first}\n{second[: len(second) // 2]}\n"


def _drop(record: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != key}


def _bad_qualifier_date(e: Env, tmp: Path) -> Path:
    """A real Wikidata entity whose first start-time qualifier (P580) says ``+2020-99-99``."""
    document = json.loads((e.shared / "wiki" / "wikidata" / "maxlath__wikibase-sdk__Q646148_new.json").read_text())

    def first_start_time(node: Any) -> dict[str, Any] | None:
        if isinstance(node, dict):
            for snak in (node.get("qualifiers") or {}).get("P580", []):
                return snak["datavalue"]["value"]
            for value in node.values():
                found = first_start_time(value)
                if found is not None:
                    return found
        elif isinstance(node, list):
            for value in node:
                found = first_start_time(value)
                if found is not None:
                    return found
        return None

    value = first_start_time(document)
    assert value is not None
    value["time"] = "+2020-99-99T00:00:00Z"
    return _write(tmp, "wikidata/entity.json", json.dumps(document))


def _foreign_run(tmp: Path, kind: str) -> Path:
    """A knowbench run folder of another kind (what a mixed-up --out points at)."""
    return _write(tmp, "other/config.json", json.dumps({"knowbench_run": kind, "seed": 0})).parent


def _corrupt_run(e: Env, tmp: Path) -> Path:
    run = _run_copy(e, tmp)
    (run / "config.json").write_bytes((run / "config.json").read_bytes()[:20])
    return run


@dataclass(frozen=True)
class Case:
    """One bad invocation: the argv, a regex the one error line must match, what must stay as it was."""

    id: str
    argv: Callable[[Env, Path], list[Any]]
    expect: str
    keep: Callable[[Env, Path], Path] | None = None
    absent: Callable[[Env, Path], Path] | None = None


def _out(e: Env, tmp: Path) -> Path:
    return tmp / "out"


CASES = [
    # ---- build toolhop
    Case("build-toolhop-truncated", lambda e, t: ["build", "toolhop", "--out", e.toolhop, "--source",
         _write(t, "t.json", e.toolhop_source.read_text()[:3000])], r"t\.json", keep=lambda e, t: e.toolhop),
    Case("build-toolhop-empty", lambda e, t: ["build", "toolhop", "--out", e.toolhop, "--source",
         _write(t, "t.json", "")], r"t\.json", keep=lambda e, t: e.toolhop),
    Case("build-toolhop-no-rows", lambda e, t: ["build", "toolhop", "--out", e.toolhop, "--source",
         _write(t, "t.json", "[]")], r"t\.json|rows", keep=lambda e, t: e.toolhop),
    Case("build-toolhop-missing-field", lambda e, t: ["build", "toolhop", "--out", e.toolhop, "--source",
         _toolhop(e, t, lambda rows: rows[1].pop("question"))], r"toolhop\.json.*question",
         keep=lambda e, t: e.toolhop),
    Case("build-toolhop-wrong-type", lambda e, t: ["build", "toolhop", "--out", e.toolhop, "--source",
         _toolhop(e, t, lambda rows: rows[0].update(tools="not an object"))], r"toolhop\.json",
         keep=lambda e, t: e.toolhop),
    Case("build-toolhop-missing-source", lambda e, t: ["build", "toolhop", "--out", e.toolhop, "--source",
         t / "absent.json"], r"absent\.json", keep=lambda e, t: e.toolhop),
    Case("build-toolhop-out-user-folder", lambda e, t: ["build", "toolhop", "--source", e.toolhop_source,
         "--out", e.user], r"not a knowbench output", keep=lambda e, t: e.user),
    Case("build-toolhop-out-file", lambda e, t: ["build", "toolhop", "--source", e.toolhop_source,
         "--out", e.user / "notes.txt"], r"not a folder", keep=lambda e, t: e.user),
    Case("build-toolhop-out-other-kind", lambda e, t: ["build", "toolhop", "--source", e.toolhop_source,
         "--out", e.mwpes], r"'mwpes'.*not 'toolhop'", keep=lambda e, t: e.mwpes),
    Case("build-toolhop-unknown-option", lambda e, t: ["build", "toolhop", "--source", e.toolhop_source,
         "--out", _out(e, t), "--colour", "red"], r"--colour", absent=_out),
    # ---- build mwpes
    Case("build-mwpes-sample-without-verdict", lambda e, t: ["build", "mwpes", "--out", e.mwpes, "--runs",
         _run_copy(e, t, lambda rs: [rs[0], _drop(rs[1], "verdict"), *rs[2:]])],
         r"samples\.jsonl: line 2: .*verdict", keep=lambda e, t: e.mwpes),
    Case("build-mwpes-verdict-maybe", lambda e, t: ["build", "mwpes", "--out", e.mwpes, "--runs",
         _run_copy(e, t, lambda rs: [*rs[:2], {**rs[2], "verdict": "maybe"}, *rs[3:]])],
         r"samples\.jsonl: line 3: verdict .*'maybe'", keep=lambda e, t: e.mwpes),
    Case("build-mwpes-malformed-line", lambda e, t: ["build", "mwpes", "--out", e.mwpes, "--runs",
         _run_copy(e, t, lambda rs: [rs[0], json.dumps(rs[1])[:30], *rs[2:]])],
         r"samples\.jsonl: line 2: malformed JSON", keep=lambda e, t: e.mwpes),
    Case("build-mwpes-no-samples", lambda e, t: ["build", "mwpes", "--out", e.mwpes, "--runs",
         _run_copy(e, t, lambda rs: [])], r"no rows", keep=lambda e, t: e.mwpes),
    Case("build-mwpes-corrupt-config", lambda e, t: ["build", "mwpes", "--out", e.mwpes, "--runs",
         _corrupt_run(e, t)], r"config\.json: corrupt run config", keep=lambda e, t: e.mwpes),
    Case("build-mwpes-missing-run", lambda e, t: ["build", "mwpes", "--out", e.mwpes, "--runs", t / "absent"],
         r"absent", keep=lambda e, t: e.mwpes),
    # ---- build evowiki / triples
    Case("build-evowiki-bad-qualifier-date", lambda e, t: ["build", "evowiki", "--wikidata",
         _bad_qualifier_date(e, t), "--cutoff", "2024-01-01", "--out", _out(e, t)], r"entity\.json.*2020-99-99",
         absent=_out),
    Case("build-evowiki-empty-folder", lambda e, t: ["build", "evowiki", "--wikidata",
         _write(t, "wd/.keep", "").parent, "--cutoff", "2024-01-01", "--out", e.evowiki], r"no rows",
         keep=lambda e, t: e.evowiki),
    Case("build-evowiki-empty-dump", lambda e, t: ["build", "evowiki", "--wikidata", _write(t, "dump.json", "[]"),
         "--cutoff", "2024-01-01", "--out", e.evowiki], r"dump\.json.*no rows", keep=lambda e, t: e.evowiki),
    Case("build-evowiki-missing-path", lambda e, t: ["build", "evowiki", "--wikidata", t / "absent",
         "--cutoff", "2024-01-01", "--out", _out(e, t)], r"absent", absent=_out),
    Case("build-evowiki-bad-cutoff", lambda e, t: ["build", "evowiki", "--wikidata", e.shared / "wiki" / "wikidata",
         "--cutoff", "2024-13-45", "--out", _out(e, t)], r"2024-13-45", absent=_out),
    Case("build-triples-malformed-facts", lambda e, t: ["build", "triples", "--facts",
         _write(t, "facts.json", e.facts.read_text()[:500]), "--out", _out(e, t)], r"facts\.json", absent=_out),
    Case("build-triples-bad-mode", lambda e, t: ["build", "triples", "--facts", e.facts, "--mode", "fuzzy",
         "--out", _out(e, t)], r"fuzzy", absent=_out),
    # ---- info / push
    Case("info-missing-folder", lambda e, t: ["info", t / "absent"], r"absent: no such folder"),
    Case("info-a-file", lambda e, t: ["info", e.user / "notes.txt"], r"notes\.txt"),
    Case("info-corrupt-card", lambda e, t: ["info", _write(t, "ds/README.md", "---\nconfigs: [\n---\n").parent],
         r"README\.md"),
    Case("push-missing-folder", lambda e, t: ["push", t / "absent", "--repo-id", "org/name", "--dry-run"],
         r"no such folder"),
    Case("push-bad-repo-id", lambda e, t: ["push", e.toolhop, "--repo-id", "not a repo id!"], r"repo"),
    Case("push-without-network", lambda e, t: ["push", e.toolhop, "--repo-id", "knowbench-test/never"],
         r"push to knowbench-test/never failed", keep=lambda e, t: e.toolhop),
    # ---- check / eval toolhop
    Case("check-toolhop-missing-data", lambda e, t: ["check", "toolhop", "--data", t / "absent"],
         r"no such folder"),
    Case("check-toolhop-wrong-dataset", lambda e, t: ["check", "toolhop", "--data", e.mwpes],
         r"'mwpes', not 'toolhop'"),
    Case("check-toolhop-out-user-file", lambda e, t: ["check", "toolhop", "--data", e.toolhop, "--out",
         e.user / "notes.txt"], r"not a knowbench toolhop-solvability report", keep=lambda e, t: e.user),
    Case("check-toolhop-rows-zero", lambda e, t: ["check", "toolhop", "--data", e.toolhop, "--rows", "0"],
         r"--rows"),
    Case("eval-toolhop-unknown-scenario", lambda e, t: ["eval", "toolhop", "--data", e.toolhop, "--backend",
         "transformers:smollm2", "--scenario", "sometimes", "--out", _out(e, t)], r"sometimes", absent=_out),
    Case("eval-toolhop-out-user-folder", lambda e, t: ["eval", "toolhop", "--data", e.toolhop, "--backend",
         "transformers:smollm2", "--scenario", "direct", "--out", e.user], r"not a knowbench run folder",
         keep=lambda e, t: e.user),
    Case("eval-toolhop-out-corrupt-run", lambda e, t: ["eval", "toolhop", "--data", e.toolhop, "--backend",
         "transformers:smollm2", "--scenario", "direct", "--out", _corrupt_run(e, t)], r"corrupt run config",
         keep=lambda e, t: t / "run"),
    Case("eval-toolhop-out-other-run", lambda e, t: ["eval", "toolhop", "--data", e.toolhop, "--backend",
         "transformers:smollm2", "--scenario", "direct", "--out", e.run], r"'mwpes-ingest' run, not 'toolhop-eval'",
         keep=lambda e, t: e.run),
    Case("eval-toolhop-report-no-run", lambda e, t: ["eval", "toolhop-report", e.user], r"not a ToolHop run"),
    # ---- ingest / collect
    Case("ingest-empty-file", lambda e, t: ["ingest", "mwp", "--solutions", _write(t, "s.jsonl", ""),
         "--out", _out(e, t)], r"s\.jsonl.*no solutions", absent=_out),
    Case("ingest-truncated-line", lambda e, t: ["ingest", "mwp", "--solutions",
         _write(t, "s.jsonl", e.solutions.read_text()[:400]), "--out", _out(e, t)], r"s\.jsonl: line 1",
         absent=_out),
    Case("ingest-missing-field", lambda e, t: ["ingest", "mwp", "--solutions", _write(t, "s.jsonl", "".join(
         json.dumps(_drop(json.loads(line), "ground_truth") if n == 2 else json.loads(line)) + "\n"
         for n, line in enumerate(e.solutions.read_text().splitlines(), start=1))), "--out", _out(e, t)],
         r"s\.jsonl: line 2: .*ground_truth", absent=_out),
    Case("ingest-wrong-type", lambda e, t: ["ingest", "mwp", "--solutions", _write(t, "s.jsonl", "".join(
         json.dumps({**json.loads(line), "6b_finetuning": {"solution": "x", "is_correct": "yes"}}) + "\n"
         for line in e.solutions.read_text().splitlines())), "--out", _out(e, t)], r"s\.jsonl: line 1: .*is_correct",
         absent=_out),
    Case("ingest-unknown-format", lambda e, t: ["ingest", "mwp", "--solutions", e.solutions, "--format", "csv",
         "--out", _out(e, t)], r"csv", absent=_out),
    Case("ingest-out-user-folder", lambda e, t: ["ingest", "mwp", "--solutions", e.solutions, "--out", e.user],
         r"not a knowbench run folder", keep=lambda e, t: e.user),
    Case("ingest-out-corrupt-run", lambda e, t: ["ingest", "mwp", "--solutions", e.solutions, "--out",
         _corrupt_run(e, t)], r"corrupt run config", keep=lambda e, t: t / "run"),
    Case("ingest-out-other-kind", lambda e, t: ["ingest", "mwp", "--solutions", e.solutions, "--out",
         _foreign_run(t, "toolhop-eval")], r"'toolhop-eval' run, not 'mwpes-ingest'", keep=lambda e, t: t / "other"),
    Case("collect-unknown-dataset", lambda e, t: ["collect", "mwp", "--dataset", "gsm9k", "--backend",
         "transformers:smollm2", "--out", _out(e, t)], r"gsm9k", absent=_out),
    Case("collect-greedy-with-samples", lambda e, t: ["collect", "mwp", "--dataset", "gsm8k", "--backend",
         "transformers:smollm2", "--samples", "3", "--out", _out(e, t)], r"samples=3", absent=_out),
    Case("collect-out-other-run", lambda e, t: ["collect", "mwp", "--dataset", "gsm8k", "--backend",
         "transformers:smollm2", "--out", e.run], r"'mwpes-ingest' run, not 'mwpes-collect'", keep=lambda e, t: e.run),
    Case("collect-missing-source", lambda e, t: ["collect", "mwp", "--dataset", "gsm8k", "--backend",
         "transformers:smollm2", "--source", t / "absent.jsonl", "--out", _out(e, t)], r"absent\.jsonl",
         absent=_out),
    # ---- cluster / prompt
    Case("cluster-missing-data", lambda e, t: ["cluster", "mwpes", "--data", t / "absent", "--out", _out(e, t)],
         r"absent", absent=_out),
    Case("cluster-out-user-folder", lambda e, t: ["cluster", "mwpes", "--data", e.mwpes, "--out", e.user],
         r"not a knowbench run folder", keep=lambda e, t: e.user),
    Case("cluster-update-malformed-taxonomy", lambda e, t: ["cluster", "update", _write(t, "tax/taxonomy.json",
         '{"format": "knowbench-taxonomy/1", "categories": [').parent, "--data", e.mwpes], r"taxonomy\.json",
         keep=lambda e, t: t / "tax"),
    Case("cluster-update-wrong-types", lambda e, t: ["cluster", "update", _write(t, "tax/taxonomy.json",
         json.dumps([1, 2])).parent, "--data", e.mwpes], r"taxonomy\.json", keep=lambda e, t: t / "tax"),
    Case("cluster-update-no-taxonomy", lambda e, t: ["cluster", "update", e.user, "--data", e.mwpes],
         r"taxonomy\.json", keep=lambda e, t: e.user),
    Case("cluster-export-malformed-patterns", lambda e, t: ["cluster", "export", _write(t, "tax/taxonomy.json",
         json.dumps({"format": "knowbench-error-taxonomy/1", "categories": [{"id": 0, "name": "x", "patterns": "oops"}]})
         ).parent, "--data", e.mwpes, "--out", _out(e, t)], r"taxonomy\.json: categories\[0\]\.patterns: needs "
         r"\[text, count\] pairs, got 'oops'", absent=_out),
    Case("cluster-export-out-user-folder", lambda e, t: ["cluster", "export", e.user, "--data", e.mwpes,
         "--out", e.user], r"not a knowbench output", keep=lambda e, t: e.user),
    Case("build-mwpes-clustered-out-user-folder", lambda e, t: ["build", "mwpes_clustered", "--data", e.mwpes,
         "--run", e.user, "--out", e.user], r"not a knowbench output", keep=lambda e, t: e.user),
    Case("prompt-eap-missing-taxonomy", lambda e, t: ["prompt", "eap", "--data", e.mwpes, "--taxonomy",
         t / "absent", "--backend", "transformers:smollm2", "--out", _out(e, t)], r"absent", absent=_out),
    # ---- evowiki commands
    Case("update-evowiki-missing-folder", lambda e, t: ["update", "evowiki", t / "absent", "--since",
         "2025-01-01"], r"absent"),
    Case("eval-evowiki-missing-data", lambda e, t: ["eval", "evowiki", "--data", t / "absent", "--backend", "none",
         "--out", _out(e, t)], r"no such folder", absent=_out),
    Case("eval-evowiki-wrong-dataset", lambda e, t: ["eval", "evowiki", "--data", e.toolhop, "--backend", "none",
         "--out", _out(e, t)], r"'toolhop', not 'evowiki'", absent=_out),
    Case("check-evowiki-missing-data", lambda e, t: ["check", "evowiki", "--data", t / "absent"], r"no such folder"),
    Case("check-evowiki-wrong-dataset", lambda e, t: ["check", "evowiki", "--data", e.toolhop],
         r"'toolhop', not 'evowiki'"),
    # ---- export
    Case("export-lm-eval-missing-data", lambda e, t: ["export", "lm-eval", "--data", t / "absent", "--out",
         _out(e, t)], r"absent", absent=_out),
    Case("export-lm-eval-not-a-dataset", lambda e, t: ["export", "lm-eval", "--data", e.user, "--out", _out(e, t)],
         r"user", absent=_out),
    # ---- triples / SMI
    Case("count-empty-corpus", lambda e, t: ["count", "--facts", e.facts, "--corpus", _write(t, "c.jsonl", ""),
         "--out", e.counts], r"c\.jsonl", keep=lambda e, t: e.counts),
    Case("count-out-user-folder", lambda e, t: ["count", "--facts", e.facts, "--corpus", e.corpus,
         "--out", e.user], r"not a knowbench output", keep=lambda e, t: e.user),
    Case("count-malformed-corpus", lambda e, t: ["count", "--facts", e.facts, "--corpus",
         _write(t, "c.jsonl", _cut_second_line(e.corpus)), "--out", e.counts], r"c\.jsonl: line 2",
         keep=lambda e, t: e.counts),
    Case("count-missing-facts", lambda e, t: ["count", "--facts", t / "absent.json", "--corpus", e.corpus,
         "--out", e.counts], r"absent\.json", keep=lambda e, t: e.counts),
    Case("count-unknown-mode", lambda e, t: ["count", "--facts", e.facts, "--corpus", e.corpus, "--mode", "fuzzy",
         "--out", e.counts], r"fuzzy", keep=lambda e, t: e.counts),
    Case("smi-reproduce-truncated-gz", lambda e, t: ["smi", "reproduce", _write(t, "m.json.gz",
         (e.shared / "smi" / "merge_outputs" / "pythia-70m.json.gz").read_bytes()[:2000]), "--params", "70m"],
         r"m\.json\.gz"),
    Case("smi-reproduce-no-params", lambda e, t: ["smi", "reproduce",
         e.shared / "smi" / "merge_outputs" / "pythia-70m.json.gz"], r"--params"),
    Case("smi-fit-missing-counts", lambda e, t: ["smi", "fit", "--counts", t / "absent", "--accuracy", t / "acc",
         "--params", "135m"], r"absent"),
    Case("eval-cbqa-malformed-templates", lambda e, t: ["eval", "cbqa", "--facts", e.facts, "--templates",
         _write(t, "tpl.json", '{"plays": ["[S] plays",'), "--backend", "transformers:smollm2", "--out",
         _out(e, t)], r"tpl\.json", absent=_out),
    Case("eval-cbqa-out-corrupt-run", lambda e, t: ["eval", "cbqa", "--facts", e.facts, "--templates",
         e.shared / "smi" / "pararel_multi_templates.json", "--backend", "transformers:smollm2", "--out",
         _corrupt_run(e, t)], r"corrupt run config", keep=lambda e, t: t / "run"),
    # ---- training
    Case("train-smi-mini-out-user-folder", lambda e, t: ["train", "smi-mini", "--out", e.user, "--data-root",
         e.shared, "--sizes", "nano"], r"not a knowbench run folder", keep=lambda e, t: e.user),
    Case("train-tool-sft-missing-data", lambda e, t: ["train", "tool-sft", "--data", t / "absent", "--out",
         _out(e, t)], r"no such folder", absent=_out),
    Case("train-tool-sft-out-corrupt-run", lambda e, t: ["train", "tool-sft", "--data", e.toolhop,
         "--out", _corrupt_run(e, t)], r"corrupt run config", keep=lambda e, t: t / "run"),
    Case("train-evowiki-cl-wrong-dataset", lambda e, t: ["train", "evowiki-cl", "--data", e.toolhop,
         "--out", _out(e, t)], r"'toolhop', not 'evowiki'", absent=_out),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line_exit_1_and_outputs_stay(
    case: Case, env: Env, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a command that wrongly writes into the working folder shows up below
    argv = case.argv(env, tmp_path)
    kept = case.keep(env, tmp_path) if case.keep else None
    before = _snapshot(kept) if kept else None
    if kept is not None:
        assert before is not None, f"{case.id}: nothing to keep at {kept}"
    listing = sorted(p.name for p in tmp_path.iterdir())
    code, _, err = _run(argv, capsys)
    lines = err.splitlines()
    assert code == 1, f"{case.id}: exit {code}, stderr: {err[-2000:]}"
    assert len(lines) == 1, f"{case.id}: {len(lines)} lines on stderr:\n{err[-3000:]}"
    assert lines[0].startswith("error: ")
    assert re.search(case.expect, lines[0]), f"{case.id}: {lines[0]!r} does not match {case.expect!r}"
    if kept is not None:
        assert _snapshot(kept) == before, f"{case.id}: {kept} changed"
    if case.absent is not None:
        assert not case.absent(env, tmp_path).exists(), f"{case.id}: left {case.absent(env, tmp_path)}"
    assert sorted(p.name for p in tmp_path.iterdir()) == listing, f"{case.id}: wrote into the working folder"


def test_the_previous_outputs_still_load(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    """After every bad input above, the outputs made at the start are still whole and readable."""
    from knowbench.loaders import load

    assert len(load("toolhop", env.toolhop, split="test")) == len(env.toolhop_rows)
    for folder in (env.mwpes, env.evowiki):
        code, out, err = _run(["info", folder], capsys)
        assert code == 0 and err == "" and folder.name in out
