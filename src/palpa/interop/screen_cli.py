"""`palpa screen DIR_OR_NDJSON`: bulk red-flag screening of a FHIR Bulk Data export.

Writes one triage line per patient (NDJSON, to -o or standard output), a summary table
(on standard output when -o is given, else on standard error) and, with --summary, the
summary as JSON. Bad input: exit 2 and a one-line error naming the file, line and field;
an output file is only left in place when the run finished.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path
from typing import IO, Any

import orjson

from palpa.interop.bulk import NO_CASE, TRIAGE_LEVELS, Report, screen_export
from palpa.interop.bulk_read import ExportError

EXIT_BAD_INPUT = 2


def _as_of(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def add_parsers(sub: Any) -> None:
    """Register `palpa screen` on an argparse subparsers object."""
    p = sub.add_parser(
        "screen", help="screen every patient of a FHIR Bulk Data export (directory or NDJSON) "
                       "for red flags and triage")
    p.add_argument("source", metavar="DIR_OR_NDJSON",
                   help="a Bulk Data export directory (Patient.ndjson, Condition.1.ndjson, ...) "
                        "or one NDJSON file of resources")
    p.add_argument("-o", "--output", metavar="OUT.ndjson",
                   help="per-patient triage lines (default: standard output)")
    p.add_argument("--summary", metavar="SUMMARY.json", help="also write the summary as JSON")
    p.add_argument("--as-of", type=_as_of, metavar="DATE",
                   help="date ages and durations are counted to (default: today)")
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="worker processes (0 = every core; default 1)")
    p.add_argument("--order", choices=("auto", "sorted", "unsorted"), default="auto",
                   help="auto (default): one streaming pass while every file is sorted by patient, "
                        "else start again partitioned; sorted: refuse unsorted files; unsorted: "
                        "partition by patient into temporary files")
    p.add_argument("--tmp-dir", metavar="DIR", help="where partitions go (default: the system's)")
    p.add_argument("--progress", action="store_true",
                   help="show the progress bar even when standard error is not a terminal")
    p.set_defaults(func=cmd_screen)


class RichProgress:
    """A rich progress bar on standard error; updates at most about a thousand times a phase."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                            TimeElapsedColumn(), console=Console(stderr=True), transient=False)
        self.task: Any = None
        self.pending = 0
        self.step = 1

    def __enter__(self) -> RichProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._flush()
        self.bar.stop()

    def phase(self, description: str, total: int) -> None:
        self._flush()
        if self.task is not None:
            self.bar.update(self.task, completed=self.bar.tasks[-1].total)
        self.task = self.bar.add_task(description, total=max(total, 1))
        self.step = max(1, total // 1000)

    def advance(self, amount: int) -> None:
        self.pending += amount
        if self.pending >= self.step:
            self._flush()

    def _flush(self) -> None:
        if self.task is not None and self.pending:
            self.bar.advance(self.task, self.pending)
        self.pending = 0


def print_summary(report: Report, stream: IO[str]) -> None:
    """The summary as rich tables: triage levels, red flags, and how the export was read."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=stream, width=100)
    data = report.to_json()
    levels = Table(title=f"Triage of {data['patients']} patients")
    levels.add_column("triage level")
    levels.add_column("patients", justify="right")
    for level in (*TRIAGE_LEVELS, NO_CASE):
        levels.add_row(level if level != NO_CASE else "no case (see problems)", str(data["triage"][level]))
    console.print(levels)
    flags = Table(title="Red flags (patients)")
    flags.add_column("red flag")
    for level in TRIAGE_LEVELS[:3]:
        flags.add_column(level, justify="right")
    flags.add_column("patients", justify="right")
    for flag, total in data["red_flags"].items():
        by = data["red_flags_by_urgency"].get(flag, {})
        flags.add_row(flag, *(str(by.get(level, 0)) for level in TRIAGE_LEVELS[:3]), str(total))
    console.print(flags)
    how = ("sorted: one streaming pass" if report.grouping == "sorted"
           else f"partitioned into {report.partitions} temporary files")
    console.print(f"grouping: {how}" + (f" (not sorted: {report.fallback})" if report.fallback else ""))
    console.print(f"{data['files']} files, {data['lines']} lines; "
                  f"{data['patients_with_unmapped']} patients with unmapped codes; "
                  f"{data['patients_with_problems']} with problems; "
                  f"{data['patients_per_second'] or 0:,.0f} patients/s")
    if data["resources_without_patient"]:
        console.print("resources naming no patient (not screened): "
                      + ", ".join(f"{k} {v}" for k, v in data["resources_without_patient"].items()))


def _jobs(requested: int) -> int:
    if requested == 0:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, requested)


def cmd_screen(args: argparse.Namespace) -> int:
    """Run `palpa screen`; 0 when done, 2 on bad input."""
    source = Path(args.source)
    show = args.progress or sys.stderr.isatty()
    target = Path(args.output) if args.output else None
    partial = target.with_name(target.name + ".partial") if target else None
    try:
        out = partial.open("wb") if partial else sys.stdout.buffer
        try:
            kwargs: dict[str, Any] = {"order": args.order, "as_of": args.as_of,
                                      "jobs": _jobs(args.jobs),
                                      "tmp_dir": Path(args.tmp_dir) if args.tmp_dir else None}
            if show:
                with RichProgress() as bar:
                    report = screen_export(source, out, progress=bar, **kwargs)
            else:
                report = screen_export(source, out, **kwargs)
        finally:
            if partial:
                out.close()
            else:
                out.flush()
    except ExportError as err:
        if partial:
            partial.unlink(missing_ok=True)
        sys.stderr.write("palpa: " + str(err).replace("\n", " ") + "\n")
        return EXIT_BAD_INPUT
    except OSError as err:
        if partial:
            partial.unlink(missing_ok=True)
        sys.stderr.write(f"palpa: {err.filename or args.source}: {err.strerror}\n")
        return EXIT_BAD_INPUT
    if partial and target:
        partial.replace(target)
    if args.summary:
        Path(args.summary).write_bytes(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2) + b"\n")
    print_summary(report, sys.stdout if target else sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    """`palpa screen` on its own (the same parser `palpa` registers)."""
    parser = argparse.ArgumentParser(prog="palpa")
    add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
