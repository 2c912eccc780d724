"""Bulk screening of a FHIR Bulk Data export: one triage line per patient and a summary.

For each patient: the export's resources -> a contract case (`fhir_import.case_from_resources`)
-> the core's red-flag screening and triage (the same level and flags as `palpa assess`) ->
one NDJSON line. A patient with no buildable case is reported with triage null and the
problems, never dropped. Grouping by patient is done by `bulk_read` (a streaming merge when
every file is sorted by patient, bounded-memory partitions otherwise).
"""

from __future__ import annotations

import multiprocessing
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO, Literal, Protocol

import orjson

from palpa.codec import CaseError, decode_case
from palpa.core.knowledge import KnowledgeBase
from palpa.core.models import Triage
from palpa.interop import bulk_read
from palpa.interop.bulk_read import ExportError, NotSorted, ReadStats
from palpa.interop.fhir_import import Unmapped, case_from_resources, patient_id_of
from palpa.interop.screening import screen_case
from palpa.knowledge.loader import load_knowledge

Order = Literal["auto", "sorted", "unsorted"]
TRIAGE_LEVELS: tuple[str, ...] = tuple(t.code for t in sorted(Triage, reverse=True))
NO_CASE = "no_case"
BATCH = 256  # patients per worker task (sorted input, --jobs > 1)


@dataclass(frozen=True, slots=True)
class FlagOut:
    """A red flag as written per patient."""

    id: str
    urgency: str
    findings: tuple[str, ...]
    source: str


@dataclass(frozen=True, slots=True)
class PatientResult:
    """One patient's screening: triage level (None when no case could be built) and why."""

    patient_id: str
    triage: str | None
    red_flags: tuple[FlagOut, ...]
    unmapped: tuple[Unmapped, ...]
    problems: tuple[str, ...]

    def encode(self) -> bytes:
        """The output line (without its newline): the fields of to_json, serialised directly."""
        return orjson.dumps(self)

    def to_json(self) -> dict[str, Any]:
        """The output line's fields."""
        return {
            "patient_id": self.patient_id,
            "triage": self.triage,
            "red_flags": [{"id": f.id, "urgency": f.urgency, "findings": list(f.findings),
                           "source": f.source} for f in self.red_flags],
            "unmapped": [{"resource_type": u.resource_type, "resource_id": u.resource_id,
                          "field": u.field, "system": u.system, "code": u.code,
                          "display": u.display, "reason": u.reason} for u in self.unmapped],
            "problems": list(self.problems),
        }


def _canonical(resource: Mapping[str, Any]) -> tuple[str, str]:
    rid = resource.get("id")
    return str(resource.get("resourceType", "")), rid if isinstance(rid, str) else ""


def screen_patient(patient_id: str, resources: Iterable[Mapping[str, Any]], kb: KnowledgeBase,
                   as_of: date | None = None) -> PatientResult:
    """Import one patient's resources (in a canonical order, so line order does not matter) and screen."""
    ordered = sorted(resources, key=_canonical)
    imported = case_from_resources(patient_id, ordered, as_of=as_of)
    problems = list(imported.problems)
    if imported.case is None:
        if not problems:
            problems.append("no case could be built from this patient's resources")
        return PatientResult(patient_id, None, (), imported.unmapped, tuple(problems))
    try:
        case = imported.decoded if imported.decoded is not None and kb is load_knowledge() \
            else decode_case(orjson.dumps(imported.case), kb)
    except CaseError as err:
        problems.append(f"the imported case breaks the contract: {err.problem}")
        return PatientResult(patient_id, None, (), imported.unmapped, tuple(problems))
    result, flags = screen_case(case, kb)
    return PatientResult(
        patient_id, result.level.code,
        tuple(FlagOut(f.id, f.urgency.code, f.findings, f.source) for f in flags),
        imported.unmapped, tuple(problems))


@dataclass
class Summary:
    """Counts over patients: by triage level (and no case), by red flag, unmapped codes."""

    patients: int = 0
    triage: Counter[str] = field(default_factory=Counter)
    red_flags: Counter[str] = field(default_factory=Counter)
    red_flag_urgency: Counter[tuple[str, str]] = field(default_factory=Counter)
    patients_with_unmapped: int = 0
    unmapped_codes: Counter[str] = field(default_factory=Counter)
    patients_with_problems: int = 0

    def add(self, r: PatientResult) -> None:
        """Count one patient."""
        self.patients += 1
        self.triage[r.triage or NO_CASE] += 1
        for f in r.red_flags:
            self.red_flags[f.id] += 1
            self.red_flag_urgency[(f.id, f.urgency)] += 1
        if r.unmapped:
            self.patients_with_unmapped += 1
            for u in r.unmapped:
                self.unmapped_codes[f"{u.field} {u.system or '-'}|{u.code or '-'}"] += 1
        if r.problems:
            self.patients_with_problems += 1

    def merge(self, other: Summary) -> None:
        """Add another summary's counts to this one."""
        self.patients += other.patients
        self.triage.update(other.triage)
        self.red_flags.update(other.red_flags)
        self.red_flag_urgency.update(other.red_flag_urgency)
        self.patients_with_unmapped += other.patients_with_unmapped
        self.unmapped_codes.update(other.unmapped_codes)
        self.patients_with_problems += other.patients_with_problems


@dataclass
class Report:
    """A finished run: the summary and how the export was read."""

    source: str
    grouping: str
    partitions: int | None
    fallback: str | None
    stats: ReadStats
    summary: Summary
    seconds: float
    knowledge_version: str
    as_of: date | None

    def to_json(self) -> dict[str, Any]:
        """The --summary document."""
        s = self.summary
        by_urgency: dict[str, dict[str, int]] = {}
        for (flag, urgency), n in sorted(s.red_flag_urgency.items()):
            by_urgency.setdefault(flag, {})[urgency] = n
        return {
            "source": self.source,
            "knowledge_version": self.knowledge_version,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "grouping": self.grouping,
            "partitions": self.partitions,
            "fallback": self.fallback,
            "files": self.stats.files,
            "lines": self.stats.lines,
            "resources": dict(sorted(self.stats.resources.items())),
            "resources_without_patient": dict(sorted(self.stats.without_patient.items())),
            "patients": s.patients,
            "triage": {level: s.triage.get(level, 0) for level in (*TRIAGE_LEVELS, NO_CASE)},
            "red_flags": dict(sorted(s.red_flags.items(), key=lambda kv: (-kv[1], kv[0]))),
            "red_flags_by_urgency": by_urgency,
            "patients_with_unmapped": s.patients_with_unmapped,
            "unmapped_codes": dict(sorted(s.unmapped_codes.items(), key=lambda kv: (-kv[1], kv[0]))),
            "patients_with_problems": s.patients_with_problems,
            "seconds": round(self.seconds, 3),
            "patients_per_second": round(s.patients / self.seconds, 1) if self.seconds else None,
        }


class Progress(Protocol):
    """Where a run reports how far it is."""

    def phase(self, description: str, total: int) -> None: ...
    def advance(self, amount: int) -> None: ...


class _Silent:
    def phase(self, description: str, total: int) -> None:
        pass

    def advance(self, amount: int) -> None:
        pass


def _write(result: PatientResult, out: BinaryIO, summary: Summary) -> None:
    out.write(result.encode() + b"\n")
    summary.add(result)


# --- workers (fork: the knowledge base and code tables are inherited, loaded once) -------------

def _screen_batch(batch: list[tuple[str, list[bytes]]],
                  as_of: date | None) -> tuple[bytes, Summary]:
    kb = load_knowledge()
    summary = Summary()
    lines: list[bytes] = []
    for pid, raws in batch:
        result = screen_patient(pid, [orjson.loads(r) for r in raws], kb, as_of)
        summary.add(result)
        lines.append(result.encode() + b"\n")
    return b"".join(lines), summary


def _screen_partition(path: Path, as_of: date | None) -> tuple[bytes, Summary]:
    return _screen_batch(bulk_read.read_partition(path), as_of)


def _warm_up(kb: KnowledgeBase) -> None:
    """Load what workers need before forking, so each does not load it again."""
    case_from_resources("warm-up", [], as_of=date(2000, 1, 1))
    from palpa.notes import present_findings

    present_findings("warm-up")


def _batches(groups: Iterator[tuple[str, list[bytes]]],
             ) -> Iterator[list[tuple[str, list[bytes]]]]:
    batch: list[tuple[str, list[bytes]]] = []
    for group in groups:
        batch.append(group)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


# --- the two ways through an export ---------------------------------------------------------

def _run_sorted(files: Sequence[Path], out: BinaryIO, kb: KnowledgeBase, as_of: date | None,
                jobs: int, progress: Progress, stats: ReadStats) -> Summary:
    summary = Summary()
    progress.phase("screening (sorted: one streaming pass)", sum(p.stat().st_size for p in files))
    if jobs <= 1:
        for pid, resources in bulk_read.merge_sorted(files, patient_id_of, stats, progress.advance):
            _write(screen_patient(pid, resources, kb, as_of), out, summary)
        return summary
    groups = bulk_read.merge_sorted_lines(files, patient_id_of, stats, progress.advance)
    _warm_up(kb)
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        window: list[multiprocessing.pool.AsyncResult[tuple[bytes, Summary]]] = []
        for batch in _batches(groups):
            window.append(pool.apply_async(_screen_batch, (batch, as_of)))
            if len(window) >= 2 * jobs:
                data, part = window.pop(0).get()
                out.write(data)
                summary.merge(part)
        for pending in window:
            data, part = pending.get()
            out.write(data)
            summary.merge(part)
    return summary


def _run_partitioned(files: Sequence[Path], out: BinaryIO, kb: KnowledgeBase, as_of: date | None,
                     jobs: int, progress: Progress, stats: ReadStats, tmp_dir: Path | None,
                     parts: int) -> Summary:
    summary = Summary()
    with tempfile.TemporaryDirectory(prefix="palpa-screen-", dir=tmp_dir) as tmp:
        progress.phase(f"partitioning by patient ({parts} partitions)",
                       sum(p.stat().st_size for p in files))
        paths = bulk_read.partition(files, Path(tmp), parts, patient_id_of, stats, progress.advance)
        progress.phase("screening partitions", len(paths))
        if jobs <= 1:
            for path in paths:
                for pid, raws in bulk_read.read_partition(path):
                    _write(screen_patient(pid, [orjson.loads(r) for r in raws], kb, as_of),
                           out, summary)
                path.unlink()
                progress.advance(1)
            return summary
        _warm_up(kb)
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            for data, part in pool.imap(_Partition(as_of), paths):
                out.write(data)
                summary.merge(part)
                progress.advance(1)
    return summary


class _Partition:
    """Picklable worker call: screen one partition file."""

    def __init__(self, as_of: date | None) -> None:
        self.as_of = as_of

    def __call__(self, path: Path) -> tuple[bytes, Summary]:
        try:
            return _screen_partition(path, self.as_of)
        finally:
            path.unlink()


def screen_export(source: Path, out: BinaryIO, *, order: Order = "auto", as_of: date | None = None,
                  jobs: int = 1, progress: Progress | None = None, tmp_dir: Path | None = None,
                  partition_bytes: int = bulk_read.PARTITION_BYTES) -> Report:
    """Screen every patient of an export, writing one NDJSON line each to `out`.

    order: "sorted" (files sorted by patient id; otherwise ExportError), "unsorted"
    (partition), or "auto" (stream as sorted; at the first line out of order, start again
    partitioned, discarding what was written). Raises ExportError on a malformed line.
    """
    kb = load_knowledge()
    started = time.perf_counter()
    files = bulk_read.export_files(source)
    progress = progress or _Silent()
    parts = bulk_read.partition_count(files, partition_bytes)
    if jobs > 1:  # enough partitions to keep every worker busy
        parts = min(bulk_read.MAX_PARTITIONS, max(parts, 4 * jobs))
    stats = ReadStats()
    fallback: str | None = None
    if order == "unsorted":
        summary = _run_partitioned(files, out, kb, as_of, jobs, progress, stats, tmp_dir, parts)
        grouping = "partitioned"
    else:
        try:
            if order == "sorted":
                summary = _run_sorted(files, out, kb, as_of, jobs, progress, stats)
            else:
                summary = _sorted_or_restart(files, out, kb, as_of, jobs, progress, stats)
            grouping = "sorted"
        except NotSorted as exc:
            if order == "sorted":
                raise ExportError(exc.path, exc.line, None, exc.problem) from None
            fallback = str(exc)
            stats = ReadStats()
            summary = _run_partitioned(files, out, kb, as_of, jobs, progress, stats, tmp_dir, parts)
            grouping = "partitioned"
    return Report(str(source), grouping, parts if grouping == "partitioned" else None, fallback,
                  stats, summary, time.perf_counter() - started, kb.version, as_of)


def _sorted_or_restart(files: Sequence[Path], out: BinaryIO, kb: KnowledgeBase, as_of: date | None,
                       jobs: int, progress: Progress, stats: ReadStats) -> Summary:
    """The sorted pass into `out` if it can be rewound, else into a spool copied at the end.

    On NotSorted, whatever this pass wrote is discarded before the exception propagates.
    """
    if _seekable(out):
        start = out.tell()
        try:
            return _run_sorted(files, out, kb, as_of, jobs, progress, stats)
        except NotSorted:
            out.seek(start)
            out.truncate()
            raise
    with tempfile.TemporaryFile() as spool:
        summary = _run_sorted(files, spool, kb, as_of, jobs, progress, stats)
        spool.seek(0)
        shutil.copyfileobj(spool, out)
    return summary


def _seekable(out: BinaryIO) -> bool:
    try:
        return out.seekable()
    except (AttributeError, OSError, ValueError):
        return False

