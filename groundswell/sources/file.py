"""Import JSONL or CSV files, e.g. to replay a timestamped stream with its original times.

Rows stream through in constant memory; a bad row is quarantined with its line
number and the import goes on. Ids are stable across imports (the id column,
else a content hash), so importing a file twice adds nothing the second time.
"""

from __future__ import annotations

import asyncio
import codecs
import csv
import email.utils
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, Literal, TextIO
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from charset_normalizer import from_bytes
from pydantic import field_validator, model_validator

from groundswell.errors import ConfigError, FetchError
from groundswell.models import RawItem, Rejected, SourceBatch
from groundswell.sources.base import CollectContext, Source, SourceConfig

_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".jsonlines": "jsonl", ".csv": "csv"}
_GB_FAMILY = {"gbk", "gb2312", "gb-2312", "cp936", "gb18030", "euc-cn", "hz-gb-2312"}
_SAMPLE_BYTES = 1 << 20

# Column names tried (case-insensitively) when a mapping is not given.
_DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "text": ("text", "content", "body", "message", "full_text"),
    "title": ("title", "headline", "subject"),
    "time": ("published_at", "first_seen", "time", "created_at", "date", "timestamp"),
    "url": ("url", "link"),
    "id": ("id", "external_id", "guid"),
    "author": ("author", "user", "screen_name", "username"),
}

_TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%a %b %d %H:%M:%S %z %Y",  # Twitter: Tue Feb 24 11:35:52 -0800 2015
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y%m%d%H%M%S",
)
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def parse_timestamp(value: object, tz: tzinfo = UTC) -> datetime | None:
    """A timezone-aware datetime from ISO 8601, common text forms or epoch s/ms.

    Empty values give None; naive times are taken to be in `tz`; anything
    unparseable raises ValueError (the caller quarantines that row).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a time: {value!r}")
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    if not isinstance(value, str):
        raise ValueError(f"not a time: {value!r}")
    parsed = _parse_text(value.strip())
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)


def _from_epoch(number: float) -> datetime:
    """Epoch seconds, or milliseconds when too large to be seconds (after year 5138)."""
    if abs(number) >= 1e14:
        raise ValueError(f"epoch value out of range: {number!r}")
    if abs(number) >= 1e11:
        number /= 1000.0
    return datetime.fromtimestamp(number, tz=UTC)


@lru_cache(maxsize=8192)  # streams repeat the same timestamp for many rows
def _parse_text(text: str) -> datetime:
    if _NUMBER.fullmatch(text) and len(text) not in (8, 14):  # 8/14 digits: basic ISO dates
        return _from_epoch(float(text))
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        return email.utils.parsedate_to_datetime(text)  # RFC 2822, as in feeds and mail
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"unrecognised time format: {text!r}") from None


def _normalise_encoding(name: str) -> str:
    """Python's codec name; the GB family reads as GB18030, its superset."""
    name = name.strip().lower().replace("_", "-")
    return "gb18030" if name in _GB_FAMILY else codecs.lookup(name).name


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when it decodes; otherwise charset_normalizer's guess."""
    with path.open("rb") as fh:
        sample = fh.read(_SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if len(sample) == _SAMPLE_BYTES and exc.start >= len(sample) - 3:
            return "utf-8"  # the sample only cut a character in half
    best = from_bytes(sample).best()
    return _normalise_encoding(best.encoding) if best is not None else "utf-8"


class FileSourceConfig(SourceConfig):
    """Where the file is, how to read it and which columns hold what ('' disables a column)."""

    path: str
    format: Literal["auto", "jsonl", "csv"] = "auto"
    text_column: str | None = None
    title_column: str | None = None
    time_column: str | None = None
    url_column: str | None = None
    id_column: str | None = None
    author_column: str | None = None
    base_url: str | None = None  # resolves relative URLs in the url column
    timezone: str = "UTC"
    encoding: str = "auto"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        if value == "auto":
            return value
        try:
            return _normalise_encoding(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r}") from None

    @model_validator(mode="after")
    def _format_known(self) -> FileSourceConfig:
        if self.format == "auto" and Path(self.path).suffix.lower() not in _EXTENSIONS:
            raise ValueError(
                f"cannot tell the format of {self.path!r} from its extension; "
                "set format to 'jsonl' or 'csv'"
            )
        return self

    @property
    def resolved_format(self) -> str:
        if self.format != "auto":
            return self.format
        return _EXTENSIONS[Path(self.path).suffix.lower()]


@dataclass(frozen=True, slots=True)
class _Columns:
    """Which key of a row feeds which RawItem field (None: not mapped)."""

    text: str | None
    title: str | None
    time: str | None
    url: str | None
    id: str | None
    author: str | None


def _canonical_hash(row: dict[str, Any]) -> str:
    blob = json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha1(blob.encode("utf-8")).hexdigest()


def _as_text(row: dict[str, Any], column: str | None, field: str) -> str | None:
    if column is None:
        return None
    value = row.get(column)
    if value is None or isinstance(value, str):
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"{field} column {column!r} holds a {type(value).__name__}, not text")


class FileSource(Source):
    """A JSONL or CSV file imported row by row; also used to replay recorded streams."""

    kind: ClassVar[str] = "file"
    title: ClassVar[str] = "JSONL / CSV file"
    Config: ClassVar[type[SourceConfig]] = FileSourceConfig
    config: FileSourceConfig

    def __init__(self, config: SourceConfig) -> None:
        super().__init__(config)
        self._path = Path(self.config.path).expanduser()
        self._tz = ZoneInfo(self.config.timezone)

    async def collect(self, ctx: CollectContext) -> SourceBatch:
        """The whole file as one batch (read in a thread: the event loop stays free)."""
        return await asyncio.to_thread(self.read_all)

    def read_all(self) -> SourceBatch:
        whole = SourceBatch()
        for batch in self.iter_batches(batch_size=10_000):
            whole.items.extend(batch.items)
            whole.rejected.extend(batch.rejected)
        return whole

    def iter_batches(self, batch_size: int = 1000) -> Iterator[SourceBatch]:
        """Batches of at most `batch_size` rows (items plus rejected), in file order."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        batch = SourceBatch()
        for result in self._iter_results():
            if isinstance(result, RawItem):
                batch.items.append(result)
            else:
                batch.rejected.append(result)
            if len(batch.items) + len(batch.rejected) >= batch_size:
                yield batch
                batch = SourceBatch()
        if batch.items or batch.rejected:
            yield batch

    def count_rows(self) -> int:
        """Records in the file, for a progress bar (CSV quoted newlines are counted right)."""
        if self.config.resolved_format == "jsonl":
            with self._open_binary() as fh:
                return sum(1 for line in fh if line.strip())
        with self._open_text() as fh:
            return max(sum(1 for row in csv.reader(fh) if row) - 1, 0)

    # -- reading -----------------------------------------------------------

    def _open_binary(self) -> BinaryIO:
        try:
            return self._path.open("rb")
        except OSError as exc:
            raise FetchError(f"cannot open {self._path}: {exc.strerror or exc}") from exc

    def _open_text(self) -> TextIO:
        encoding = self.config.encoding
        try:
            if encoding == "auto":
                encoding = detect_encoding(self._path)
            # A stray undecodable byte becomes U+FFFD in its row; it must not stop the import.
            return self._path.open(encoding=encoding, errors="replace", newline="")
        except OSError as exc:
            raise FetchError(f"cannot open {self._path}: {exc.strerror or exc}") from exc

    def _iter_results(self) -> Iterator[RawItem | Rejected]:
        if self.config.resolved_format == "jsonl":
            yield from self._iter_jsonl()
        else:
            yield from self._iter_csv()

    def _iter_jsonl(self) -> Iterator[RawItem | Rejected]:
        # Objects may differ in their keys, so defaults resolve per key set; only the
        # first object must have a text or title (else the mapping is wrong, not the row).
        by_keys: dict[tuple[str, ...], _Columns] = {}
        first = True
        with self._open_text() as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError as exc:
                    reason = f"line {number}: malformed JSON: {exc}"
                    yield Rejected(reason=reason, raw={"_line": number, "line": line[:10_000]})
                    continue
                if not isinstance(row, dict):
                    reason = f"line {number}: expected a JSON object, got {type(row).__name__}"
                    yield Rejected(reason=reason, raw={"_line": number, "value": row})
                    continue
                keys = tuple(row)
                columns = by_keys.get(keys)
                if columns is None:
                    if len(by_keys) > 256:  # wildly varying keys: keep the cache bounded
                        by_keys.clear()
                    columns = self._resolve_columns(list(keys), strict=False, require=first)
                    by_keys[keys] = columns
                    first = False
                yield self._map_row(row, number, columns)

    def _iter_csv(self) -> Iterator[RawItem | Rejected]:
        with self._open_text() as fh:
            reader = csv.reader(fh)
            try:
                header = [name.strip() for name in next(reader)]
            except StopIteration:
                return
            columns = self._resolve_columns(header, strict=True)
            last_line = reader.line_num
            while True:
                start = last_line + 1
                try:
                    fields = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    if reader.line_num == last_line:  # no progress: give up on the rest
                        yield Rejected(reason=f"line {start}: unreadable CSV: {exc}", raw={})
                        return
                    last_line = reader.line_num
                    yield Rejected(
                        reason=f"line {start}: malformed CSV: {exc}", raw={"_line": start}
                    )
                    continue
                last_line = reader.line_num
                if not fields:
                    continue
                if len(fields) != len(header):
                    reason = f"line {start}: expected {len(header)} fields, got {len(fields)}"
                    yield Rejected(reason=reason, raw={"_line": start, "fields": fields})
                    continue
                yield self._map_row(dict(zip(header, fields, strict=True)), start, columns)

    def _resolve_columns(
        self, available: list[str], *, strict: bool, require: bool = True
    ) -> _Columns:
        """Given names must exist (CSV); missing ones fall back to common names."""
        lowered = {name.lower(): name for name in available}
        cfg = self.config
        given = {
            "text": cfg.text_column,
            "title": cfg.title_column,
            "time": cfg.time_column,
            "url": cfg.url_column,
            "id": cfg.id_column,
            "author": cfg.author_column,
        }
        for field, name in given.items():
            if name and strict and name not in available:
                raise ConfigError(
                    f"{field}_column {name!r} is not a column of {self._path}; "
                    f"available: {', '.join(available)}"
                )
        taken = {name for name in given.values() if name}
        resolved: dict[str, str | None] = {}
        for field, name in given.items():
            if name is None:  # a common name, unless another mapping already uses it
                found = (lowered[c] for c in _DEFAULT_COLUMNS[field] if c in lowered)
                name = next((c for c in found if c not in taken), None)
                taken.add(name or "")
            resolved[field] = name or None
        if require and resolved["text"] is None and resolved["title"] is None:
            raise ConfigError(
                f"no text or title column in {self._path}; set text_column or title_column "
                f"to one of the available columns: {', '.join(available)}"
            )
        return _Columns(**resolved)

    def _map_row(self, row: dict[str, Any], number: int, cols: _Columns) -> RawItem | Rejected:
        raw = {**row, "_line": number}
        try:
            text = _as_text(row, cols.text, "text")
            title = _as_text(row, cols.title, "title")
            url = _as_text(row, cols.url, "url")
            author = _as_text(row, cols.author, "author")
            external_id = _as_text(row, cols.id, "id")
        except ValueError as exc:
            return Rejected(reason=f"line {number}: {exc}", raw=raw)
        if not (text and text.strip()) and not (title and title.strip()):
            return Rejected(reason=f"line {number}: empty text and title", raw=raw)
        published_at = None
        if cols.time is not None:
            value = row.get(cols.time)
            try:
                published_at = parse_timestamp(value, self._tz)
            except (ValueError, OverflowError, OSError):
                reason = f"line {number}: cannot parse time {value!r} in column {cols.time!r}"
                return Rejected(reason=reason, raw=raw)
        return RawItem(
            raw=raw,
            external_id=external_id or _canonical_hash(row),
            url=self._absolute_url(url),
            title=title,
            text=text,
            author=author,
            published_at=published_at,
        )

    def _absolute_url(self, url: str | None) -> str | None:
        """Only http(s) URLs reach the item; relative ones need base_url (raw keeps all)."""
        if not url:
            return None
        if self.config.base_url:
            url = urljoin(self.config.base_url, url)
        return url if urlsplit(url).scheme in ("http", "https") else None
