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
FLUSH_BYTES = 1 << 18        # progress is reported about this often


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
    """The resource's patient id: Patient.id, or a plain 'Patient/<id>' subject read directly;
    any other shape is left to `patient_of`."""
    if resource["resourceType"] == "Patient":
        pid = resource.get("id")
        if type(pid) is str and pid:
            return pid
    else:
        subject = resource.get("subject")
        if type(subject) is dict:
            ref = subject.get("reference")
            if type(ref) is str and ref.startswith("Patient/") and ref.count("/") == 1 and len(ref) > 8:
                return ref[8:]
    try:
        pid = patient_of(resource)
    except (TypeError, ValueError, AttributeError) as exc:
        raise ExportError(path, number, "subject", f"unreadable patient reference: {exc}") from None
    if pid is None and resource["resourceType"] == "Patient":
        raise ExportError(path, number, "id", "a Patient resource without an id")
    return pid


def _resource(path: Path, number: int, raw: bytes) -> Resource:
    """parse_resource, with the common case (an object with a string resourceType) inline."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return parse_resource(path, number, raw)
    if type(obj) is dict and type(obj.get("resourceType")) is str and obj["resourceType"]:
        return obj
    return parse_resource(path, number, raw)


class _Tally:
    """Lines and bytes read, reported to `on_bytes` every so often rather than per line."""

    __slots__ = ("lines", "on_bytes", "pending", "stats")

    def __init__(self, stats: ReadStats, on_bytes: Callable[[int], None]) -> None:
        self.stats, self.on_bytes = stats, on_bytes
        self.lines = self.pending = 0

    def flush(self) -> None:
        self.stats.lines += self.lines
        self.stats.bytes += self.pending
        self.on_bytes(self.pending)
        self.lines = self.pending = 0


Run = tuple[str, int, list[Any]]   # (patient id, file index, that file's resources or lines for it)


def _read(path: Path, patient_of: PatientOf, stats: ReadStats,
          on_bytes: Callable[[int], None]) -> Iterator[tuple[int, bytes, Resource, str]]:
    """(line number, raw line, resource, patient id) of every resource in one file that names a
    patient; counts lines, bytes, resources and those naming no patient in `stats`."""
    stats.files += 1
    resources, without = stats.resources, stats.without_patient
    tally = _Tally(stats, on_bytes)
    with path.open("rb") as stream:
        for number, raw in enumerate(stream, 1):
            tally.lines += 1
            tally.pending += len(raw)
            if tally.pending > FLUSH_BYTES:
                tally.flush()
            if raw.isspace():
                continue
            resource = _resource(path, number, raw)
            kind = resource["resourceType"]
            resources[kind] += 1
            pid = _patient(path, number, resource, patient_of)
            if pid is None:
                without[kind] += 1
            else:
                yield number, raw, resource, pid
    tally.flush()


def _sorted_runs(index: int, path: Path, patient_of: PatientOf, stats: ReadStats,
                 on_bytes: Callable[[int], None], raw_lines: bool) -> Iterator[Run]:
    """One file's resources (or raw lines), a run per patient, checking that ids never go down."""
    current: str | None = None
    run: list[Any] = []
    for number, raw, resource, pid in _read(path, patient_of, stats, on_bytes):
        if pid == current:
            run.append(raw if raw_lines else resource)
            continue
        if current is not None:
            if pid < current:
                raise NotSorted(path, number, current, pid)
            yield current, index, run
        current, run = pid, [raw if raw_lines else resource]
    if current is not None:
        yield current, index, run


def merge_sorted(files: Sequence[Path], patient_of: PatientOf, stats: ReadStats,
                 on_bytes: Callable[[int], None] = lambda n: None,
                 ) -> Iterator[tuple[str, list[Resource]]]:
    """(patient id, that patient's resources) in patient order, from files each sorted by patient.

    A k-way merge of per-file runs: memory holds one run per file at a time.
    """
    return _merge(files, patient_of, stats, on_bytes, raw_lines=False)


def merge_sorted_lines(files: Sequence[Path], patient_of: PatientOf, stats: ReadStats,
                       on_bytes: Callable[[int], None] = lambda n: None,
                       ) -> Iterator[tuple[str, list[bytes]]]:
    """As merge_sorted, with each resource's line as read (cheap to hand to another process)."""
    return _merge(files, patient_of, stats, on_bytes, raw_lines=True)


def _merge(files: Sequence[Path], patient_of: PatientOf, stats: ReadStats,
           on_bytes: Callable[[int], None], raw_lines: bool) -> Iterator[tuple[str, list[Any]]]:
    streams = [_sorted_runs(i, p, patient_of, stats, on_bytes, raw_lines) for i, p in enumerate(files)]
    current: str | None = None
    group: list[Any] = []
    for pid, _, run in heapq.merge(*streams):
        if pid == current:
            group.extend(run)
        else:
            if current is not None:
                yield current, group
            current, group = pid, list(run)
    if current is not None:
        yield current, group


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
            for _, raw, _, pid in _read(path, patient_of, stats, on_bytes):
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
