"""What every format turns a file into: rows checked one by one, and the refused ones with their
line and reason. Reading text whatever the spreadsheet saved it as, and times and scores."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from feedback.surveys.kinds import KINDS, default_scale

# The longest excerpt of a refused row kept for the report.
EXCERPT = 300
MAX_CLIENT_ID = 64


class Refused(Exception):
    """A row that cannot be imported, and why (in words the file's owner can act on)."""


@dataclass(frozen=True)
class Person:
    external_id: str | None
    email: str | None
    name: str | None = None


@dataclass(frozen=True)
class Note:
    text: str
    author: str
    at: datetime


@dataclass
class Row:
    line: int
    # Stable across imports of the same source row ("delighted:123"): re-importing adds nothing.
    client_id: str
    survey_name: str
    kind: str
    score: int
    submitted_at: datetime
    person: Person
    comment: str | None = None
    updated_at: datetime | None = None
    context: dict[str, str] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


@dataclass
class Refusal:
    line: int
    reason: str
    source: str

    def to_dict(self) -> dict[str, object]:
        return {"line": self.line, "reason": self.reason, "source": self.source}


@dataclass
class Parsed:
    rows: list[Row] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


def decode(data: bytes) -> str:
    """Text from a file as UTF-8 (with or without a BOM), UTF-16 with a BOM (Excel's "Unicode
    text"), else Windows-1252, which is what Excel on Windows saves a plain CSV as."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def csv_records(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Each record of a CSV with its first line, keyed by its header; `;` or tab separators are
    found from the header line, and quoted newlines stay inside their cell."""
    header_line = text.split("\n", 1)[0]
    try:
        delimiter = csv.Sniffer().sniff(header_line, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        return
    names = [name.strip() for name in header]
    previous = reader.line_num
    for cells in reader:
        line = previous + 1
        previous = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        yield line, {name: cell for name, cell in zip(names, cells, strict=False) if name}


def key(name: str) -> str:
    """A column's name as its aliases are written: "Response ID" and "response_id" alike."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def excerpt(values: object) -> str:
    text = values if isinstance(values, str) else repr(values)
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
)


def parse_time(value: object, name: str) -> datetime:
    """A time as naive UTC: unix seconds, ISO 8601 (an offset is honoured, none means UTC)."""
    if isinstance(value, bool):
        raise Refused(f"unreadable time in {name}: {value!r}")
    if isinstance(value, int | float):
        return _from_unix(value, name)
    if not isinstance(value, str) or not value.strip():
        raise Refused(f"no time in {name}")
    text = value.strip()
    if re.fullmatch(r"\d{9,11}(\.\d+)?", text):
        return _from_unix(float(text), name)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" UTC", "+00:00"))
    except ValueError:
        for pattern in _FORMATS:
            try:
                moment = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        else:
            raise Refused(f"unreadable time in {name}: {excerpt(text)!r}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _from_unix(value: float, name: str) -> datetime:
    try:
        return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        raise Refused(f"unreadable time in {name}: {value!r}") from None


def parse_score(value: object, kind: str) -> int:
    """A whole score on the kind's scale (NPS 0-10, CSAT 1-5, CES 1-7)."""
    scale = default_scale(kind)
    low, high = scale["min"], scale["max"]
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*\d+(\.0+)?\s*", value):
        number = int(float(value))
    if number is None:
        shown = excerpt(value) if isinstance(value, str) else value
        raise Refused(f"no whole score: {shown!r}" if value not in (None, "") else "no score")
    if not low <= number <= high:
        raise Refused(f"score {number} out of range {low}-{high} for {kind.upper()}")
    return number


def parse_kind(value: object) -> str:
    kind = value.strip().lower() if isinstance(value, str) else ""
    if kind not in KINDS:
        raise Refused(f"wrong survey type {value!r}: one of {', '.join(KINDS)}")
    return kind


def parse_person(external_id: object, email: object, name: object) -> Person:
    """Who answered: an id or an email address is needed, or the row names nobody."""
    ext = str(external_id).strip() if external_id not in (None, "") else None
    mail = email.strip().lower() if isinstance(email, str) and email.strip() else None
    if mail is not None and ("@" not in mail or len(mail) > 320):
        raise Refused(f"not an email address: {excerpt(mail)!r}")
    if ext is not None and len(ext) > 200:
        raise Refused("person id longer than 200 characters")
    if ext is None and mail is None:
        raise Refused("no person: neither an email address nor an id")
    label = name.strip()[:200] if isinstance(name, str) and name.strip() else None
    return Person(ext, mail, label)


def client_id(prefix: str, source_id: object) -> str:
    value = f"{prefix}:{str(source_id).strip()}"
    if not str(source_id).strip() or len(value) > MAX_CLIENT_ID:
        raise Refused(f"unusable response id {excerpt(str(source_id))!r}")
    return value


def text_or_none(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.replace("\r\n", "\n").strip()
    return text or None


def context_of(properties: dict[str, object], limit: int = 500) -> dict[str, str]:
    """Properties as context: names trimmed, values as text (empty ones dropped)."""
    out: dict[str, str] = {}
    for name, value in properties.items():
        if value is None or isinstance(value, dict | list):
            continue
        text = str(value).lower() if isinstance(value, bool) else str(value)
        text = text.strip()
        label = str(name).strip()[:100]
        if text and label:
            out[label] = text[:limit]
    return out
