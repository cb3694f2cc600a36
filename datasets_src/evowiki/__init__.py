"""EvoWiki raw sources: Wikidata entities, Wikipedia revisions, and the Wikidata/MediaWiki API client.

Public API (import from ``knowbench.datasets_src.evowiki``):

Types (``types.py``, fixed by CONTRACTS.md)::

    WikidataTime(value, precision).start() / .end() -> date; .iso() -> "1977" | "1977-05" | "1977-05-04"
    Statement(subject, property, value, value_type, rank, start, end, point_in_time, statement_id)
    Entity(id, label, description, aliases, sitelinks, enwiki_title, modified, statements)

Wikidata (``wikidata.py``, ``dumpio.py``, ``labels.py``)::

    iter_entities(paths, language="en", *, fast=True, processes=1, threads=None, kinds=None, properties=None,
                  special_values=False, block_size=1 << 20, start_method="forkserver",
                  parallel_gzip=False) -> Iterator[Entity]
        # paths: one path or many; folders expand to their *.json* files. Dumps (.json/.json.gz/.json.bz2,
        # "[" + one entity per line + "]"), JSON lines, wbgetentities responses, bare entity documents.
        # Statement.value: item id "Q5"; time "+1977-00-00T00:00:00Z"; quantity amount without "+";
        # monolingual text; "lat,lon"; strings. somevalue/novalue skipped unless special_values=True.
        # kinds={"item"} keeps items only; properties={"P39", ...} keeps only those statements (faster).
        # Labels fall back to the "mul" language. Statement order = document order.
        # fast: orjson + indexed_bzip2 (parallel bz2); parallel_gzip=True: rapidgzip (index grows with file).
    iter_documents(paths, fast=True, threads=None) -> Iterator[dict]      # raw entity JSON documents
    (SqliteLabelStore also has get_many(ids) -> dict; LabelStore has add_document(doc), items(), len())
    parse_entity(doc: dict, language="en", special_values=False, properties=None) -> Entity
    LabelStore.from_paths(paths, language="en") -> LabelStore   # in memory; labels-only API responses included
    SqliteLabelStore.build(paths, db_path, language="en") -> SqliteLabelStore  # on disk, one pass, atomic
    SqliteLabelStore(db_path)                                     # reopen a built store
    store.get(qid) -> str | None; store.aliases(qid) -> tuple[str, ...]; qid in store

Wikipedia (``wikipedia.py``; also exported here)::

    iter_pages(path, backend="mwxml", namespaces=None) -> Iterator[Page]  # export XML 0.3-0.11, plain/.bz2/.gz;
        # all revisions; backend="etree" = ElementTree iterparse (same results on every sample)
    Page(id, title, namespace, redirect, revisions: tuple[Revision, ...]); page.latest() -> Revision | None
        # revisions sorted oldest first; redirect = target title (0.3: read from "#REDIRECT [[X]]")
    Revision(id, timestamp: datetime (UTC), text: str | None (None only when deleted), text_deleted,
             comment_deleted, user_deleted, comment, user, parent_id, sha1)
    revision_at(page, when: date | datetime, require_text=True) -> Revision | None
        # newest revision saved at or before `when` (a date = end of that day UTC); deleted text skipped
    clean_text(wikitext) -> str                  # templates/refs/files/categories/markup removed, "== H ==" kept
    passages(title, text, max_words=100) -> list[Passage]   # Passage(title, section, text, index);
        # lead section = "", passages never cross a section

API client (``knowbench.datasets_src.evowiki.api``; imports requests, so not re-exported here)::

    WikidataClient(api_url=WIKIDATA_API, batch_size=50, user_agent=DEFAULT_USER_AGENT, retries=5, backoff=0.5,
                   timeout=30.0)                     # context manager; batch_size=1 for the recorded test server
    client.fetch_entities(ids, props=FULL_PROPS) -> Iterator[dict]   # wbgetentities; feed to parse_entity /
                                                                     # LabelStore.add_document (LABEL_PROPS)
    client.changed_since(since, until=None, namespaces=(0,), limit=None) -> Iterator[str]  # recentchanges ids
    client.fetch_to_file(ids, path, props=FULL_PROPS) -> int        # atomic JSON lines, readable by iter_entities
    MediaWikiClient(api_url=WIKIPEDIA_API, ...).page_text(title, at=None) -> PageText | None
        # PageText(title, text, timestamp, revision_id); at=date -> revision in force then
    fetch_entities(ids, api_url=WIKIDATA_API, props=FULL_PROPS, batch_size=50) -> Iterator[dict]

Errors: malformed/truncated input raises ``knowbench.errors.SourceFormatError`` naming file and line/byte;
network failures after retries raise ``knowbench.errors.DownloadError``. The legacy 2014 Wikidata XML
serialization (``sample-daily-dump-20140220.xml``) is NOT supported.
"""

from knowbench.datasets_src.evowiki.dumpio import iter_documents
from knowbench.datasets_src.evowiki.labels import LabelLookup, LabelStore, SqliteLabelStore
from knowbench.datasets_src.evowiki.types import Entity, Statement, WikidataTime
from knowbench.datasets_src.evowiki.wikidata import iter_entities, parse_entity
from knowbench.datasets_src.evowiki.wikipedia import (
    Page,
    Passage,
    Revision,
    clean_text,
    iter_pages,
    passages,
    revision_at,
)

__all__ = [
    "Entity",
    "LabelLookup",
    "LabelStore",
    "Page",
    "Passage",
    "Revision",
    "SqliteLabelStore",
    "Statement",
    "WikidataTime",
    "clean_text",
    "iter_documents",
    "iter_entities",
    "iter_pages",
    "parse_entity",
    "passages",
    "revision_at",
]
