"""`TaxonomyUpdater` on real GPT-3 GSM8K errors: stable ids, new categories, and merges only of true duplicates."""

from __future__ import annotations

import copy
import dataclasses
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from knowbench.training.mwpes import ErrorClusterPipeline
from knowbench.training.mwpes.gsm8k_rule import GSM8KRuleAnalyzer
from knowbench.training.mwpes.runs import records_from_result
from knowbench.training.mwpes.update import TaxonomyUpdater, separation


def _fit(samples: list, cache: Path, analyzer: str = "steps"):
    options = {"embedder": {"cache_dir": cache}, "clusterer": {"min_cluster_size": 8}}
    return ErrorClusterPipeline(analyzer=analyzer, component_options=options).fit(samples)


def _updater(cache: Path, **kwargs) -> TaxonomyUpdater:
    return TaxonomyUpdater(min_new_size=8, component_options={"embedder": {"cache_dir": cache}}, **kwargs)


def _copies(samples: list, tag: str) -> list:
    """The same wrong solutions again under new ids, as from a new model repeating the same errors."""
    return [dataclasses.replace(s, sample_id=f"{s.sample_id}/{tag}", model=f"{s.model}-{tag}") for s in samples]


def _members(records: list[dict], category: int) -> set[str]:
    return {r["sample_id"] for r in records if r["category"] == category}


def test_update_keeps_ids_and_grows_a_new_category(errors: list, cache: Path) -> None:
    # the first batch lacks one whole error kind; the second brings it (a new model with a new habit)
    analyses = GSM8KRuleAnalyzer().analyze(errors)
    novel = "premature stop"
    first = [e for e, a in zip(errors, analyses, strict=True) if a.kind != novel][::20]
    second_novel = [e for e, a in zip(errors, analyses, strict=True) if a.kind == novel][:30]
    second = second_novel + [e for e, a in zip(errors, analyses, strict=True) if a.kind != novel][7::40]
    result = _fit(first, cache, analyzer="gsm8k-rule")
    taxonomy = result.taxonomy
    before = {c.id: c.name for c in taxonomy.categories}
    before_labels = dict(zip((s.sample_id for s in first), result.labels.tolist(), strict=True))
    records = records_from_result(result)
    report, records, _ = _updater(cache, merge_threshold=1.01).update(taxonomy, records, second)
    assert taxonomy.version == 2
    assert report.new_samples == len(second)
    assert report.created, "the novel error kind should form a new category"
    assert all(c not in before for c in report.created)
    assert set(before) <= {c.id for c in taxonomy.categories}  # nothing merged: every old id still active
    for record in records:  # old samples keep their category
        if record["sample_id"] in before_labels and before_labels[record["sample_id"]] >= 0:
            assert record["category"] == before_labels[record["sample_id"]]
    novel_ids = {e.sample_id for e in second_novel}
    novel_categories = Counter(r["category"] for r in records if r["sample_id"] in novel_ids)
    home = novel_categories.most_common(1)[0][0]
    assert home in report.created  # most of the novel errors live in a category that did not exist before
    members = {r["sample_id"] for r in records if r["category"] == home}
    assert len(members & novel_ids) > 0.5 * len(members)
    category = taxonomy.by_id(home)
    assert category.lineage[0]["event"] == "created" and category.lineage[0]["version"] == 2
    assert category.kinds.get(novel, 0) > 0.5 * category.size
    assert taxonomy.params["separation"] == pytest.approx(separation(taxonomy.centroids()))
    # a second update, from a model repeating every error of one of the two closest categories: by default the pair
    # stays apart (it is the taxonomy's own separation); ignoring the separation, the merge threshold merges it,
    # the larger keeps its id and the other is retired
    centroids = taxonomy.centroids()
    similarity = centroids @ centroids.T
    np.fill_diagonal(similarity, -1)
    closest = float(similarity.max())
    a, b = np.unravel_index(int(similarity.argmax()), similarity.shape)
    pair = {taxonomy.categories[a].id, taxonomy.categories[b].id}
    repeated = _members(records, taxonomy.categories[a].id)
    repeat = _copies([s for s in first + second if s.sample_id in repeated], "rerun")
    ids_before = {c.id for c in taxonomy.categories}
    kept = _updater(cache, merge_threshold=closest - 0.01).update(copy.deepcopy(taxonomy), copy.deepcopy(records),
                                                                  repeat)[0]
    assert not kept.merged and kept.separation == pytest.approx(closest, abs=1e-5)
    merger = _updater(cache, merge_threshold=closest - 0.01, respect_separation=False)
    report2, records, _ = merger.update(taxonomy, records, repeat)
    assert report2.merged
    survivor, absorbed = report2.merged[0]
    assert {survivor, absorbed} == pair
    assert survivor in ids_before and absorbed in ids_before
    assert taxonomy.by_id(absorbed).merged_into == survivor
    assert taxonomy.resolve(absorbed) == survivor
    assert not any(r["category"] == absorbed for r in records)
    assert any(e["event"] == "absorbed" and e["category"] == absorbed for e in taxonomy.by_id(survivor).lineage)
    assert {c.id for c in taxonomy.categories} == ids_before - {a for _, a in report2.merged}


@pytest.fixture(scope="module")
def base(errors: list, cache: Path):
    """A taxonomy of every 10th real error; the errors it has not seen are the new batches."""
    return _fit(errors[::10], cache)


def test_a_small_batch_merges_no_category_it_did_not_touch(base, errors: list, cache: Path) -> None:
    taxonomy = copy.deepcopy(base.taxonomy)
    records = records_from_result(base)
    ids = [c.id for c in taxonomy.categories]
    centroids = taxonomy.centroids()
    close = [(ids[i], ids[j]) for i, j in zip(*np.nonzero(np.triu(centroids @ centroids.T, 1) >= 0.92), strict=True)]
    before = {c: _members(records, c) for c in ids}
    batch = errors[1::300]  # 11 errors the taxonomy has not seen
    report, records, _ = _updater(cache).update(taxonomy, records, batch)
    after = {c.id: _members(records, c.id) for c in taxonomy.categories}
    batch_ids = {s.sample_id for s in batch}
    homes = {r["category"] for r in records if r["sample_id"] in batch_ids}
    untouched = {c for c in before if taxonomy.resolve(c) not in homes}  # no error of the batch landed there
    # pairs the default threshold alone would merge although this update left both alone: they stay as they were
    kept_apart = [(i, j) for i, j in close if i in untouched and j in untouched]
    assert kept_apart, "precondition: some pair at cosine >= 0.92 that this batch leaves alone"
    assert all(after.get(i) == before[i] and after.get(j) == before[j] for i, j in kept_apart)
    touched = (set(before) - untouched) | set(report.created)
    for survivor, absorbed in report.merged:  # a merge needs a side this update changed
        assert survivor in touched or absorbed in touched
    assert set(before) <= set(after)  # every category kept its id and is still active
    assert not set(report.created) & {c.id for c in taxonomy.retired}  # nothing created is merged back at once
    assert taxonomy.version == 2 and taxonomy.params["separation"] > 0.92


def test_a_pool_cluster_duplicating_a_category_joins_it(base, cache: Path) -> None:
    """A batch repeating one category's errors, forced through the pool (no direct assignment), grows that category
    instead of creating a near-duplicate that would be merged back (or kept beside it)."""
    taxonomy = copy.deepcopy(base.taxonomy)
    records = records_from_result(base)
    texts = {c.id: {r["text"] for r in records if r["category"] == c.id} for c in taxonomy.categories}
    target = max((c for c in taxonomy.categories if len(texts[c.id]) == 1), key=lambda c: c.size)  # one repeated error
    originals = _members(records, target.id)
    assert len(originals) >= 8  # enough repeats for a pool cluster
    repeat = _copies([s for s in base.samples if s.sample_id in originals], "again")
    report, records, _ = _updater(cache, assign_threshold=1.01).update(taxonomy, records, repeat)
    assert report.assigned == 0  # nothing joined directly: every repeat went through the pool
    homes = Counter(r["category"] for r in records if r["sample_id"].endswith("/again"))
    assert homes.most_common(1)[0][0] == target.id
    assert homes[target.id] >= 0.8 * len(repeat)
    assert not taxonomy.retired  # no category was created only to be merged back
    assert not {c for c in report.created if c in homes}  # no new category holds the repeats
    assert target.id in report.joined
    assert any(e["event"] == "joined by pool cluster" for e in taxonomy.by_id(target.id).lineage)
