"""Facts from Wikidata entity documents, read through the EvoWiki source reader.

Every item-valued statement (``value_type == "wikibase-item"``, rank not deprecated) becomes a
:class:`~knowbench.datasets_src.triples.types.Triple` with ids, labels and aliases; the object's (and the property's)
label comes from a label store built from the same files unless one is given.

Example:
    >>> import json, pathlib, tempfile
    >>> snak = {"snaktype": "value", "property": "P17", "datatype": "wikibase-item",
    ...         "datavalue": {"type": "wikibase-entityid", "value": {"entity-type": "item", "id": "Q142"}}}
    >>> entities = {
    ...     "Q90": {"id": "Q90", "type": "item", "labels": {"en": {"language": "en", "value": "Paris"}},
    ...             "claims": {"P17": [{"mainsnak": snak, "rank": "normal"}]}},
    ...     "Q142": {"id": "Q142", "type": "item", "labels": {"en": {"language": "en", "value": "France"}},
    ...              "aliases": {"en": [{"language": "en", "value": "French Republic"}]}}}
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "entities.json").write_text(json.dumps({"entities": entities}))
    >>> [(f.key, f.subject_id, f.object_id, f.object_aliases) for f in iter_wikidata_triples(folder)]
    [(('Paris', 'P17', 'France'), 'Q90', 'Q142', ('French Republic',))]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from knowbench.datasets_src.evowiki.dumpio import PathLike
from knowbench.datasets_src.evowiki.labels import LabelLookup, LabelStore
from knowbench.datasets_src.evowiki.wikidata import iter_entities
from knowbench.datasets_src.triples.types import Triple


def iter_wikidata_triples(
    paths: Iterable[PathLike] | PathLike,
    properties: Iterable[str] | None = None,
    language: str = "en",
    labels: LabelLookup | None = None,
) -> Iterator[Triple]:
    """Item-valued statements of the entities in ``paths`` as triples (objects without a label are skipped)."""
    wanted = frozenset(properties) if properties is not None else None
    store = labels if labels is not None else LabelStore.from_paths(paths, language=language)
    seen: set[tuple[str, str, str]] = set()
    for entity in iter_entities(paths, language=language):
        if not entity.label:
            continue
        for statement in entity.statements:
            if statement.value_type != "wikibase-item" or statement.rank == "deprecated":
                continue
            if wanted is not None and statement.property not in wanted:
                continue
            object_label = store.get(statement.value)
            key = (entity.id, statement.property, statement.value)
            if not object_label or key in seen:
                continue
            seen.add(key)
            yield Triple(
                subject=entity.label,
                relation=store.get(statement.property) or statement.property,
                object=object_label,
                subject_id=entity.id,
                relation_id=statement.property,
                object_id=statement.value,
                subject_aliases=tuple(entity.aliases),
                object_aliases=tuple(store.aliases(statement.value)),
                id=statement.statement_id or "-".join(key),
                source="wikidata",
            )
