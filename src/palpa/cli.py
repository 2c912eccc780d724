"""`palpa` command line: assess cases per the contract, inspect the knowledge base."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import orjson

from palpa.codec import CaseError, assessment_to_dict, encode_assessment, encode_error
from palpa.core.knowledge import KnowledgeBase
from palpa.knowledge.loader import KnowledgeError, load_knowledge
from palpa.service import assess_json_case

EXIT_BAD_INPUT = 2
CHUNK = 512          # NDJSON lines per worker task
PARALLEL_FROM = 1 << 20  # files larger than this (bytes) use every core by default


def _fail(message: str) -> int:
    sys.stderr.write("palpa: " + message.replace("\n", " ") + "\n")
    return EXIT_BAD_INPUT


class _Output:
    """Writes JSON lines, or the clinician's text report, for each assessment."""

    def __init__(self, fmt: str, kb: KnowledgeBase) -> None:
        self.fmt, self.kb = fmt, kb
        self.out = sys.stdout.buffer
        self.console = None
        if fmt == "text":
            from palpa.reports.text import make_console

            self.console = make_console()

    def case(self, raw: bytes, line: int | None) -> bool:
        """Assess one raw case; False when it was bad (the error is reported)."""
        try:
            assessment = assess_json_case(raw, self.kb, line)
        except CaseError as err:
            sys.stderr.write(f"palpa: {err}\n")
            if self.fmt == "json" and line is not None:
                self.out.write(encode_error(err.case_id, str(err)) + b"\n")
            return False
        if self.console is not None:
            from palpa.reports.text import render_assessment

            render_assessment(assessment_to_dict(assessment, self.kb), self.console)
        else:
            self.out.write(encode_assessment(assessment, self.kb) + b"\n")
        return True


def _assess_chunk(chunk: list[tuple[int, bytes]]) -> tuple[bytes, bytes, bool]:
    """Worker: assess NDJSON lines; (stdout bytes, stderr bytes, all good?)."""
    kb = load_knowledge()
    out: list[bytes] = []
    err: list[bytes] = []
    ok = True
    for number, raw in chunk:
        try:
            out.append(encode_assessment(assess_json_case(raw, kb, number), kb))
        except CaseError as e:
            ok = False
            err.append(f"palpa: {e}\n".encode())
            out.append(encode_error(e.case_id, str(e)))
    return b"\n".join(out) + b"\n", b"".join(err), ok


def _chunks(lines: Iterable[tuple[int, bytes]]) -> Iterator[list[tuple[int, bytes]]]:
    chunk: list[tuple[int, bytes]] = []
    for number, line in lines:
        if line.strip():
            chunk.append((number, line))
            if len(chunk) == CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def assess_parallel(lines: Iterable[tuple[int, bytes]], jobs: int) -> bool:
    """Assess NDJSON lines on `jobs` processes, in order, with a bounded window in flight."""
    from palpa.notes import present_findings

    load_knowledge()  # loaded (and the note lexicon compiled) once here; forked workers inherit both
    present_findings("warm-up")
    out, err = sys.stdout.buffer, sys.stderr.buffer
    ok = True
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(jobs) as pool:
        window: deque[multiprocessing.pool.AsyncResult[tuple[bytes, bytes, bool]]] = deque()
        for chunk in _chunks(lines):
            window.append(pool.apply_async(_assess_chunk, (chunk,)))
            if len(window) >= 2 * jobs:
                o, e, good = window.popleft().get()
                out.write(o)
                err.write(e)
                ok = ok and good
        while window:
            o, e, good = window.popleft().get()
            out.write(o)
            err.write(e)
            ok = ok and good
    return ok


def _is_object(line: bytes) -> bool:
    try:
        return isinstance(orjson.loads(line), dict)
    except orjson.JSONDecodeError:
        return False


def _numbered(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    yield from enumerate(stream, 1)


def assess_stream(stream: BinaryIO, output: _Output, jobs: int = 1) -> int:
    """Assess one JSON case or NDJSON cases from `stream`; 0 if all were good, else 2."""
    lines = _numbered(stream)
    first_no, first = 0, b""
    for number, line in lines:
        if line.strip():
            first_no, first = number, line
            break
    if not first:
        return _fail("empty input: expected a JSON case or NDJSON cases")
    if _is_object(first):  # NDJSON (a one-line object is the same either way)
        if jobs > 1 and output.console is None:
            sys.stdout.flush()
            ok = assess_parallel(_prepend(first_no, first, lines), jobs)
            return 0 if ok else EXIT_BAD_INPUT
        ok = output.case(first, first_no)
        for number, line in lines:
            if line.strip():
                ok = output.case(line, number) and ok
        return 0 if ok else EXIT_BAD_INPUT
    rest = [line for _, line in lines]
    whole = first + b"".join(rest)
    try:
        orjson.loads(whole)
        single = True
    except orjson.JSONDecodeError:
        single = sum(_is_object(line) for line in rest if line.strip()) < 1
    if single:
        return 0 if output.case(whole, None) else EXIT_BAD_INPUT
    ok = output.case(first, first_no)
    for offset, line in enumerate(rest, first_no + 1):
        if line.strip():
            ok = output.case(line, offset) and ok
    return 0 if ok else EXIT_BAD_INPUT


def _prepend(number: int, line: bytes,
             rest: Iterator[tuple[int, bytes]]) -> Iterator[tuple[int, bytes]]:
    yield number, line
    yield from rest


def _jobs(requested: int | None, path: Path | None) -> int:
    """Worker processes: as asked (0 = every core), else every core for a large file."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if requested is not None:
        return cores if requested == 0 else max(1, requested)
    if path is not None and path.stat().st_size > PARALLEL_FROM:
        return cores
    return 1


def cmd_assess(args: argparse.Namespace) -> int:
    kb = load_knowledge()
    output = _Output(args.format, kb)
    try:
        if args.file == "-":
            code = assess_stream(sys.stdin.buffer, output, _jobs(args.jobs, None))
        else:
            path = Path(args.file)
            if not path.is_file():
                return _fail(f"{args.file}: no such file")
            with path.open("rb") as stream:
                code = assess_stream(stream, output, _jobs(args.jobs, path))
    finally:
        sys.stdout.flush()
    return code


def cmd_knowledge(args: argparse.Namespace) -> int:
    kb = load_knowledge()
    print(f"knowledge base {kb.version}: {len(kb.sources)} sources, "
          f"{len(kb.red_flag_rules)} red-flag rules, {len(kb.contraindications)} contraindication "
          f"rules, {len(kb.indications)} indications, {len(kb.exercises)} exercises, "
          f"{len(kb.education)} education topics")
    if args.sources:
        for key, s in kb.sources.items():
            print(f"{key}: {s.citation()} {s.url}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from palpa.store.db import database_url, upgrade

    upgrade(database_url())
    print(f"Palpa on http://{args.host}:{args.port}/ (sign in there; JSON API under /api, docs at /docs)",
          flush=True)
    uvicorn.run("palpa.web.app:create_app", factory=True, host=args.host, port=args.port,
                workers=args.workers, proxy_headers=True)
    return 0


CORE_COMMANDS = frozenset({"assess", "knowledge"})
"""Commands that need none of the other sub-commands' modules (database, FHIR, PDF): `palpa assess`
builds only these, so it starts without importing SQLAlchemy, fhir.resources or WeasyPrint."""


def build_parser(only_core: bool = False) -> argparse.ArgumentParser:
    """The `palpa` parser; with `only_core`, just `assess` and `knowledge` (fast start-up)."""
    parser = argparse.ArgumentParser(
        prog="palpa",
        description="Manual therapy decision support: screen, reason, plan. "
                    "Supports the clinician; it does not diagnose.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("assess", help="assess a JSON case or NDJSON cases (file or - for stdin)")
    p.add_argument("file", help="CASE.json, CASES.ndjson, or - for standard input")
    p.add_argument("--format", choices=("json", "text"), default="json",
                   help="json (default; the contract) or text (a readable clinician report)")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="worker processes for NDJSON (0 = every core; default: every core for "
                        "files over 1 MB, else 1); output order is kept")
    p.set_defaults(func=cmd_assess)
    k = sub.add_parser("knowledge", help="validate the knowledge base and show its version")
    k.add_argument("--sources", action="store_true", help="list every cited source")
    k.set_defaults(func=cmd_knowledge)
    if only_core:
        return parser
    from palpa import episode_cli, ops_cli, score_cli
    from palpa.interop import fhir_cli, screen_cli
    from palpa.notes import cli as notes_cli
    from palpa.reports import handout_cli

    score_cli.add_parser(sub)
    episode_cli.add_parsers(sub)
    fhir_cli.add_parsers(sub)
    screen_cli.add_parsers(sub)
    notes_cli.add_parser(sub)
    ops_cli.add_parsers(sub)
    handout_cli.add_parser(sub)
    s = sub.add_parser("serve", help="run the web app and API (PALPA_DATABASE_URL, else embedded SQLite)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--workers", type=int, default=1)
    s.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    args = build_parser(only_core=bool(words) and words[0] in CORE_COMMANDS).parse_args(words)
    try:
        return int(args.func(args))
    except KnowledgeError as err:
        sys.stderr.write(f"palpa: knowledge base invalid: {err}\n")
        return 1
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
