"""Update client: changed entities through the Wikidata API, page text through the MediaWiki API.

* :meth:`WikidataClient.fetch_entities` calls ``action=wbgetentities`` in batches of ``batch_size`` ids (the
  API's limit is 50) and yields the raw entity documents (``missing`` ids are skipped), the same dicts
  :func:`~knowbench.datasets_src.evowiki.dumpio.iter_documents` yields, so they go through the same
  :func:`~knowbench.datasets_src.evowiki.wikidata.parse_entity`.
* :meth:`WikidataClient.changed_since` lists the ids edited since a date with ``list=recentchanges``
  (following ``continue``). Wikimedia keeps recent changes for about 30 days; for an older date start from a
  newer dump instead.
* :meth:`MediaWikiClient.page_text` reads the text of a page now or at a date
  (``action=query&prop=revisions&rvprop=content|timestamp|ids``).

Every request goes through one ``requests.Session`` whose adapters retry with exponential backoff
(``urllib3.util.Retry``: 429 and 5xx, honouring ``Retry-After``) and send a descriptive User-Agent as the
Wikimedia policy asks. Failures after the retries raise :class:`~knowbench.errors.DownloadError`.

Example:
    >>> client = WikidataClient("http://127.0.0.1:8080/w/api.php", batch_size=1)
    >>> client.batch_size
    1
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from knowbench import __version__
from knowbench.datasets_src.evowiki.dumpio import _document_records
from knowbench.errors import DownloadError, SourceFormatError
from knowbench.io import atomic_write_jsonl

WIKIDATA_API = "https://www.wikidata.org/w/api.php"
WIKIPEDIA_API = "https://en.wikipedia.org/w/api.php"
FULL_PROPS = "info|sitelinks/urls|aliases|labels|descriptions|claims|datatype"
LABEL_PROPS = "labels"
DEFAULT_USER_AGENT = f"knowbench/{__version__} (EvoWiki builder; https://pypi.org/project/knowbench/) python-requests/{requests.__version__}"
MAX_BATCH = 50


def _session(user_agent: str, retries: int, backoff: float) -> requests.Session:
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=backoff,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "POST"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = user_agent
    session.headers["Accept"] = "application/json"
    return session


class _Client:
    def __init__(
        self,
        api_url: str,
        user_agent: str = DEFAULT_USER_AGENT,
        retries: int = 5,
        backoff: float = 0.5,
        timeout: float = 30.0,
    ) -> None:
        self.api_url = api_url
        self.timeout = timeout
        self.session = _session(user_agent, retries, backoff)

    def get_json(self, params: dict[str, str]) -> dict[str, Any]:
        """GET ``api_url`` with ``params`` (in this order) and decode the JSON answer."""
        try:
            response = self.session.get(self.api_url, params=params, timeout=self.timeout)
        except requests.RequestException as error:
            raise DownloadError(f"{self.api_url}: {type(error).__name__}: {error}") from None
        if response.status_code != 200:
            raise DownloadError(f"{response.url}: HTTP {response.status_code} after retries")
        try:
            data = orjson.loads(response.content)
        except orjson.JSONDecodeError as error:
            raise DownloadError(f"{response.url}: answer is not JSON ({error})") from None
        if not isinstance(data, dict):
            raise DownloadError(f"{response.url}: answer is not a JSON object")
        if "error" in data:
            error = data["error"]
            raise DownloadError(
                f"{response.url}: API error {error.get('code')}: {error.get('info', '')[:200]}"
            )
        return data

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> _Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class WikidataClient(_Client):
    """Fetch entities and recent changes from a Wikibase API (Wikidata by default).

    Example:
        >>> with WikidataClient() as client:  # doctest: +SKIP
        ...     [doc["id"] for doc in client.fetch_entities(["Q42"])]
        ['Q42']
    """

    def __init__(
        self,
        api_url: str = WIKIDATA_API,
        batch_size: int = MAX_BATCH,
        user_agent: str = DEFAULT_USER_AGENT,
        retries: int = 5,
        backoff: float = 0.5,
        timeout: float = 30.0,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH}, got {batch_size}")
        super().__init__(api_url, user_agent, retries, backoff, timeout)
        self.batch_size = batch_size

    def fetch_entities(self, ids: Iterable[str], props: str = FULL_PROPS) -> Iterator[dict[str, Any]]:
        """Yield the entity documents of ``ids`` (duplicates asked once; missing entities skipped)."""
        unique = list(dict.fromkeys(str(i).strip() for i in ids if str(i).strip()))
        for start in range(0, len(unique), self.batch_size):
            batch = unique[start : start + self.batch_size]
            params = {"action": "wbgetentities", "format": "json", "ids": "|".join(batch), "props": props}
            data = self.get_json(params)
            try:
                yield from _document_records(Path(self.api_url), data)
            except SourceFormatError as error:
                raise DownloadError(f"{self.api_url} ids={params['ids']}: {error.problem}") from None

    def changed_since(
        self,
        since: datetime.datetime | datetime.date | str,
        until: datetime.datetime | datetime.date | str | None = None,
        namespaces: Iterable[int] = (0,),
        limit: int | None = None,
    ) -> Iterator[str]:
        """Yield the ids (``"Q42"``) of entities edited or created since ``since`` (oldest change first, each id
        once), through ``list=recentchanges``; namespace 0 holds items, 120 properties."""
        params = {
            "action": "query",
            "format": "json",
            "list": "recentchanges",
            "rcdir": "newer",
            "rcstart": _timestamp(since),
            "rcnamespace": "|".join(str(n) for n in namespaces),
            "rctype": "edit|new",
            "rcprop": "title|timestamp|ids",
            "rclimit": "500",
        }
        if until is not None:
            params["rcend"] = _timestamp(until)
        seen: set[str] = set()
        extra: dict[str, str] = {}
        while True:
            data = self.get_json({**params, **extra})
            for change in data.get("query", {}).get("recentchanges", []):
                entity_id = str(change["title"]).rsplit(":", 1)[-1]  # "Property:P31" -> "P31"
                if entity_id not in seen:
                    seen.add(entity_id)
                    yield entity_id
                    if limit is not None and len(seen) >= limit:
                        return
            if "continue" not in data:
                return
            extra = {str(k): str(v) for k, v in data["continue"].items()}

    def fetch_to_file(self, ids: Iterable[str], path: str | os.PathLike[str], props: str = FULL_PROPS) -> int:
        """Fetch ``ids`` and write them as JSON lines (readable by ``iter_entities``) atomically; returns the
        number of entities written."""
        docs = list(self.fetch_entities(ids, props=props))
        atomic_write_jsonl(path, docs)
        return len(docs)


@dataclass(frozen=True, slots=True)
class PageText:
    """The wikitext of one page revision as the MediaWiki API returned it."""

    title: str
    text: str
    timestamp: datetime.datetime
    revision_id: int


class MediaWikiClient(_Client):
    """Read page wikitext from a MediaWiki API (English Wikipedia by default).

    Example:
        >>> with MediaWikiClient() as wiki:  # doctest: +SKIP
        ...     wiki.page_text("Anarchism").title
        'Anarchism'
    """

    def __init__(self, api_url: str = WIKIPEDIA_API, **options: Any) -> None:
        super().__init__(api_url, **options)

    def page_text(
        self, title: str, at: datetime.datetime | datetime.date | str | None = None
    ) -> PageText | None:
        """The newest revision of ``title`` (at or before ``at`` when given), following redirects; ``None`` when
        the page does not exist."""
        params = {
            "action": "query",
            "format": "json",
            "formatversion": "2",
            "prop": "revisions",
            "titles": title,
            "rvprop": "content|timestamp|ids",
            "rvslots": "main",
            "rvlimit": "1",
            "redirects": "1",
        }
        if at is not None:
            params["rvstart"] = _timestamp(at, end_of_day=True)
            params["rvdir"] = "older"
        data = self.get_json(params)
        pages = data.get("query", {}).get("pages", [])
        if isinstance(pages, dict):  # formatversion 1
            pages = list(pages.values())
        for page in pages:
            if page.get("missing") is not None or not page.get("revisions"):
                continue
            revision = page["revisions"][0]
            slot = revision.get("slots", {}).get("main", revision)
            text = slot.get("content", slot.get("*"))
            if text is None:
                continue
            stamp = datetime.datetime.fromisoformat(str(revision["timestamp"]).replace("Z", "+00:00"))
            return PageText(str(page["title"]), str(text), stamp, int(revision.get("revid", 0)))
        return None


def _timestamp(value: datetime.datetime | datetime.date | str, end_of_day: bool = False) -> str:
    if isinstance(value, str):
        value = (
            datetime.date.fromisoformat(value) if len(value) == 10 else datetime.datetime.fromisoformat(value)
        )
    if not isinstance(value, datetime.datetime):
        time = datetime.time(23, 59, 59) if end_of_day else datetime.time()
        value = datetime.datetime.combine(value, time, tzinfo=datetime.UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fetch_entities(
    ids: Iterable[str], api_url: str = WIKIDATA_API, props: str = FULL_PROPS, batch_size: int = MAX_BATCH
) -> Iterator[dict[str, Any]]:
    """Shortcut: ``WikidataClient(api_url, batch_size).fetch_entities(ids, props)``."""
    with WikidataClient(api_url, batch_size=batch_size) as client:
        yield from client.fetch_entities(ids, props=props)
