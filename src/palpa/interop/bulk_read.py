"""Read a FHIR Bulk Data export (NDJSON files) and group its resources by patient.

Two ways to group, both with memory bounded by one patient (sorted) or one partition (unsorted):
- `merge_sorted`: every file sorted by patient id -> one streaming pass, a k-way merge.
  A file found out of order raises `NotSorted` naming the file and line.
- `partition` + `read_partition`: any order -> the lines are spread over temporary files by a
  hash of the patient id, then each partition is grouped in memory, one at a time.

Every line must be a JSON object with a `resourceType`; anything else raises `ExportError`
naming the file, line and field. Resources that belong to no patient are counted, not dropped.
"""

from __future__ import annotations

import heapq
import itertools
import math
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson

PatientOf = Callable[[Mapping[str, Any]], "str | None"]
Resource = dict[str, Any]

PARTITION_BYTES = 16 << 20   # raw NDJSON bytes grouped in memory at a time (unsorted input)
MAX_PARTITIONS = 512


class ExportError(ValueError):
    """A line of an export that is not a FHIR resource; the message names file, line and field."""

    def __init__(self, path: Path, line: int | None, field_name: str | None, problem: str) -> None:
        self.path, self.line, self.field, self.problem = path, line, field_name, problem
        where = str(path) + (f": line {line}" if line is not None else "")
        what = f"field {field_name!r}: " if field_name else ""
        super().__init__(f"{where}: {what}{problem}")


class NotSorted(Exception):
    """A file of the export is not sorted by patient id."""

    def __init__(self, path: Path, line: int, previous: str, current: str) -> None:
        self.path, self.line = path, line
        self.problem = f"not sorted by patient: {current!r} after {previous!r}"
        super().__init__(f"{path}: line {line}: {self.problem}")


@dataclass
class ReadStats:
    """What was read: lines, bytes, resources by type, resources that name no patient."""

    files: int = 0
    lines: int = 0
    bytes: int = 0
    resources: Counter[str] = field(default_factory=Counter)
    without_patient: Counter[str] = field(default_factory=Counter)


def export_files(source: Path) -> list[Path]:
    """The NDJSON files of an export: a directory's *.ndjson (name order) or one file."""
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.is_file() and p.name.endswith(".ndjson"))
        if not files:
            raise ExportError(source, None, None, "no .ndjson files in this directory")
        return files
    if source.is_file():
        return [source]
    raise ExportError(source, None, None, "no such file or directory")


def parse_resource(path: Path, number: int, raw: bytes) -> Resource:
    """One NDJSON line as a resource dict (ExportError naming the file, line and field)."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ExportError(path, number, None, f"malformed JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise ExportError(path, number, None, "expected a JSON object (one FHIR resource per line)")
    kind = obj.get("resourceType")
    if not isinstance(kind, str) or not kind:
        raise ExportError(path, number, "resourceType", "missing or not a non-empty string")
    return obj


def _patient(path: Path, number: int, resource: Resource, patient_of: PatientOf) -> str | None:
    try:
        pid = patient_of(resource)
    except (TypeError, ValueError, AttributeError) as exc:
        raise ExportError(path, number, "subject", f"unreadable patient reference: {exc}") from None
    if pid is None and resource["resourceType"] == "Patient":
        raise ExportError(path, number, "id", "a Patient resource without an id")
    return pid


Located = tuple[str, bytes, Resource]   # (patient id, raw line, resource)


def _sorted_lines(path: Path, patient_of: PatientOf, stats: ReadStats,
                  on_bytes: Callable[[int], None]) -> Iterator[Located]:
    """The resources of one file in order, checking that patient ids never go down."""
    previous: str | None = None
    stats.files += 1
    with path.open("rb") as stream:
        for number, raw in enumerate(stream, 1):
            stats.lines += 1
            stats.bytes += len(raw)
            on_bytes(len(raw))
            if not raw.strip():
                continue
            resource = parse_resource(path, number, raw)
            stats.resources[resource["resourceType"]] += 1
            pid = _patient(path, number, resource, patient_of)
            if pid is None:
                stats.without_patient[resource["resourceType"]] += 1
                continue
            if previous is not None and pid < previous:
                raise NotSorted(path, number, previous, pid)
            previous = pid
            yield pid, raw, resource


def merge_sorted(files: Sequence[Path], patient_of: PatientOf, stats: ReadStats,
                 on_bytes: Callable[[int], None] = lambda n: None,
                 ) -> Iterator[tuple[str, list[Located]]]:
    """(patient id, that patient's resources) in patient order, from files each sorted by patient."""
    streams = [_sorted_lines(p, patient_of, stats, on_bytes) for p in files]
    merged = heapq.merge(*streams, key=lambda item: item[0])
    for pid, group in itertools.groupby(merged, key=lambda item: item[0]):
        yield pid, list(group)


def partition_count(files: Sequence[Path], budget: int = PARTITION_BYTES) -> int:
    """How many partitions keep each one near `budget` bytes of NDJSON."""
    total = sum(p.stat().st_size for p in files)
    return max(1, min(MAX_PARTITIONS, math.ceil(total / budget)))


def partition(files: Sequence[Path], directory: Path, parts: int, patient_of: PatientOf,
              stats: ReadStats, on_bytes: Callable[[int], None] = lambda n: None) -> list[Path]:
    """Spread every resource line over `parts` files by a hash of its patient id.

    Each partition line is the patient id as JSON, a tab, then the resource line as read.
    """
    paths = [directory / f"part-{i:04d}.tsv" for i in range(parts)]
    outs: list[BinaryIO] = [p.open("wb") for p in paths]
    try:
        for path in files:
            stats.files += 1
            with path.open("rb") as stream:
                for number, raw in enumerate(stream, 1):
                    stats.lines += 1
                    stats.bytes += len(raw)
                    on_bytes(len(raw))
                    if not raw.strip():
                        continue
                    resource = parse_resource(path, number, raw)
                    stats.resources[resource["resourceType"]] += 1
                    pid = _patient(path, number, resource, patient_of)
                    if pid is None:
                        stats.without_patient[resource["resourceType"]] += 1
                        continue
                    key = orjson.dumps(pid)
                    line = raw if raw.endswith(b"\n") else raw + b"\n"
                    outs[zlib.crc32(key) % parts].write(key + b"\t" + line)
    finally:
        for out in outs:
            out.close()
    return paths


def read_partition(path: Path) -> list[tuple[str, list[bytes]]]:
    """The patients of one partition in patient-id order, each with its raw resource lines."""
    groups: dict[str, list[bytes]] = {}
    with path.open("rb") as stream:
        for line in stream:
            key, _, raw = line.partition(b"\t")
            groups.setdefault(orjson.loads(key), []).append(raw)
    return sorted(groups.items())
