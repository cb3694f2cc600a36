"""EvoWiki update client against a local HTTP server on 127.0.0.1 serving the REAL recorded API responses.

The recorded ``wbgetentities`` files are named after their request
(``api_php_action_wbgetentities_format_json_ids_<id>_props_<props>.json``: the lower-cased path and query with
every other character replaced by ``_``), so the server answers a request with the file its URL names.
Recent changes are answered from the ``modified`` stamps of the recorded entities, page text from the real
Anarchism export.
"""

from __future__ import annotations

import datetime
import http.server
import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowbench.datasets_src.evowiki import LabelStore, iter_entities, parse_entity
from knowbench.datasets_src.evowiki.api import FULL_PROPS, LABEL_PROPS, MediaWikiClient, WikidataClient
from knowbench.datasets_src.evowiki.wikipedia import iter_pages, revision_at
from knowbench.errors import DownloadError


def recorded_name(path: str, query: str) -> str:
    """The file name nomenklatura's recorder gave a request: path + query, lower-cased, non-alphanumerics -> _."""
    return re.sub(r"[^a-z0-9]", "_", f"{path.rsplit('/', 1)[-1]}?{query}".lower()) + ".json"


class Recorded(http.server.BaseHTTPRequestHandler):
    folder: Path
    pages: dict[str, list]
    changes: list[tuple[str, str]]
    failures_left: dict[str, int]
    seen: list[str]

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        params = dict(urllib.parse.parse_qsl(url.query))
        self.seen.append(self.headers.get("User-Agent", ""))
        if self.failures_left.get(params.get("ids", ""), 0) > 0:
            self.failures_left[params["ids"]] -= 1
            self._send(503, b"busy", {"Retry-After": "0"})
            return
        if params.get("action") == "wbgetentities":
            file = self.folder / recorded_name(url.path, url.query)
            if file.is_file():
                self._send(200, file.read_bytes())
            else:
                self._send(404, b'{"error": {"code": "not-recorded"}}')
        elif params.get("list") == "recentchanges":
            self._send(200, json.dumps(self._recent(params)).encode())
        elif params.get("prop") == "revisions":
            self._send(200, json.dumps(self._revisions(params)).encode())
        else:
            self._send(400, b'{"error": {"code": "badrequest", "info": "unknown action"}}')

    def _recent(self, params: dict[str, str]) -> dict:
        start = params["rcstart"]
        rows = [(stamp, qid) for stamp, qid in self.changes if stamp >= start]
        offset = int(params.get("rccontinue", "0"))
        page = rows[offset : offset + 7]  # small pages so the client must follow "continue"
        answer: dict = {"query": {"recentchanges": [{"title": q, "timestamp": s, "ns": 0} for s, q in page]}}
        if offset + 7 < len(rows):
            answer["continue"] = {"rccontinue": str(offset + 7), "continue": "-||"}
        return answer

    def _revisions(self, params: dict[str, str]) -> dict:
        title = params["titles"]
        revisions = self.pages.get(title)
        if revisions is None:
            return {"query": {"pages": [{"title": title, "missing": True}]}}
        if "rvstart" in params:
            limit = params["rvstart"]
            revisions = [r for r in revisions if r.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ") <= limit]
        if not revisions:
            return {"query": {"pages": [{"title": title}]}}
        r = revisions[-1]
        stamp = r.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ")
        rev = {"revid": r.id, "timestamp": stamp, "slots": {"main": {"content": r.text}}}
        return {"query": {"pages": [{"title": title, "revisions": [rev]}]}}


@pytest.fixture(scope="module")
def server(shared_data: Path) -> Iterator[tuple[str, type[Recorded]]]:
    folder = shared_data / "wiki" / "wikidata_api"
    changes = sorted(
        (doc["modified"], doc["id"])
        for path in folder.glob("*_props_info*.json")
        for doc in json.loads(path.read_text())["entities"].values()
    )
    (anarchism,) = iter_pages(
        shared_data / "wiki" / "wikipedia" / "maribelacosta__wikiwho__enwiki-Anarchism-history-yearly.xml"
    )
    handler = type(
        "Handler",
        (Recorded,),
        {
            "folder": folder,
            "changes": changes,
            "pages": {"Anarchism": list(anarchism.revisions)},
            "failures_left": {},
            "seen": [],
        },
    )
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/w/api.php", handler
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_fetch_entities_returns_the_recorded_documents(
    server: tuple[str, type[Recorded]], shared_data: Path
) -> None:
    url, handler = server
    folder = shared_data / "wiki" / "wikidata_api"
    full = sorted(folder.glob("*_props_info*.json"))
    ids = [next(iter(json.loads(p.read_text())["entities"])) for p in full]
    assert len(ids) == 65
    with WikidataClient(url, batch_size=1, backoff=0.0) as client:
        docs = list(client.fetch_entities(ids, props=FULL_PROPS))
    assert [d["id"] for d in docs] == ids
    from_files = list(iter_entities(full))
    assert [parse_entity(d) for d in docs] == from_files
    assert all(ua.startswith("knowbench/") for ua in handler.seen)


def test_labels_only_requests_feed_the_label_store(
    server: tuple[str, type[Recorded]], shared_data: Path
) -> None:
    url, _ = server
    folder = shared_data / "wiki" / "wikidata_api"
    label_files = sorted(folder.glob("*_props_labels.json"))
    ids = [next(iter(json.loads(p.read_text())["entities"])) for p in label_files]
    store = LabelStore()
    with WikidataClient(url, batch_size=1, backoff=0.0) as client:
        for doc in client.fetch_entities(ids, props=LABEL_PROPS):
            store.add_document(doc)
    expected = LabelStore.from_paths(label_files)
    assert dict(store.items()) == dict(expected.items()) and len(store) > 100


def test_changed_since_follows_continuation_then_update_writes_jsonl(
    server: tuple[str, type[Recorded]], tmp_path: Path
) -> None:
    url, handler = server
    since = datetime.date(2026, 1, 1)
    expected = list(dict.fromkeys(q for stamp, q in handler.changes if stamp >= "2026-01-01T00:00:00Z"))
    assert len(expected) > 7  # more than one page of recent changes
    with WikidataClient(url, batch_size=1, backoff=0.0) as client:
        changed = list(client.changed_since(since))
        assert changed == expected
        written = client.fetch_to_file(changed, tmp_path / "update.jsonl")
    assert written == len(expected)
    assert [e.id for e in iter_entities(tmp_path / "update.jsonl")] == expected


def test_retries_with_backoff_then_gives_a_download_error(server: tuple[str, type[Recorded]]) -> None:
    url, handler = server
    handler.failures_left["Q7239"] = 2
    with WikidataClient(url, batch_size=1, retries=3, backoff=0.0) as client:
        (doc,) = client.fetch_entities(["Q7239"])
        assert doc["id"] == "Q7239" and handler.failures_left["Q7239"] == 0
        handler.failures_left["Q7380"] = 10
        with pytest.raises(DownloadError, match="HTTP 503"):
            list(client.fetch_entities(["Q7380"]))
        handler.failures_left["Q7380"] = 0
        with pytest.raises(DownloadError, match="HTTP 404"):
            list(client.fetch_entities(["Q999999999"]))


def test_page_text_now_and_at_a_date(server: tuple[str, type[Recorded]], shared_data: Path) -> None:
    url, _ = server
    (page,) = iter_pages(
        shared_data / "wiki" / "wikipedia" / "maribelacosta__wikiwho__enwiki-Anarchism-history-yearly.xml"
    )
    with MediaWikiClient(url, backoff=0.0) as wiki:
        latest = wiki.page_text("Anarchism")
        assert (
            latest is not None
            and latest.text == page.latest().text
            and latest.revision_id == page.latest().id
        )
        at = datetime.date(2006, 6, 1)
        old = wiki.page_text("Anarchism", at=at)
        assert old is not None and old.revision_id == revision_at(page, at).id
        assert wiki.page_text("No such page") is None
