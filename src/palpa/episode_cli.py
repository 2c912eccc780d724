"""`palpa units` and `palpa episode report`: billing units and the episode report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

from palpa.core.billing import Method, bill_visit
from palpa.knowledge.episode_loader import load_billing, load_episode
from palpa.knowledge.loader import load_knowledge

RULES: dict[str, Method] = {"cms": "cms_8_minute", "ama": "per_code"}


def _fail(message: str) -> int:
    sys.stderr.write(f"palpa: {message}\n")
    return 2


def _minutes(pairs: list[str]) -> dict[str, int]:
    """CODE=MINUTES arguments as a mapping (ValueError names the bad argument)."""
    out: dict[str, int] = {}
    for pair in pairs:
        code, sep, value = pair.partition("=")
        if not sep or not code or not value.isdigit():
            raise ValueError(f"{pair!r}: expected CODE=MINUTES, e.g. 97140=23")
        out[code] = out.get(code, 0) + int(value)
    return out


def cmd_units(args: argparse.Namespace) -> int:
    try:
        minutes = _minutes(args.pairs)
        billing = bill_visit(minutes, RULES[args.rule], None, catalogue=load_billing())
    except ValueError as err:
        return _fail(str(err))
    units = {line.code: line.units for line in billing.lines}
    if args.format == "json":
        doc = {"rule": args.rule, "total_minutes": billing.timed_minutes, "units": units,
               "total_units": billing.total_units, "explanation": list(billing.explanation)}
        sys.stdout.write(orjson.dumps(doc).decode() + "\n")
        return 0
    rule = "CMS 8-minute rule (total time)" if args.rule == "cms" else "per-code (CPT midpoint) rule"
    print(f"{rule}: {billing.timed_minutes} timed minutes -> {billing.total_units} units")
    for code, n in units.items():
        print(f"  {code}: {minutes[code]} min -> {n} unit{'s' if n != 1 else ''}")
    for line in billing.explanation:
        print(f"  - {line}")
    return 0


def cmd_episode_report(args: argparse.Namespace) -> int:
    from palpa.reports.episode import build_report, chart, report_to_dict

    kb = load_knowledge()
    path = Path(args.file)
    if not path.is_file():
        return _fail(f"{args.file}: no such file")
    try:
        episode = load_episode(path, kb)
        report = build_report(episode, kb, RULES[args.rule], "markdown" if args.markdown else "text")
    except ValueError as err:
        return _fail(str(err).replace("\n", " "))
    chart_path = Path(args.chart or path.with_suffix(f".progress.{args.chart_format}"))
    chart_path.write_bytes(chart(report, kb, args.chart_format))
    if args.format == "json":
        doc = report_to_dict(report) | {"chart": str(chart_path)}
        sys.stdout.write(orjson.dumps(doc).decode() + "\n")
        return 0
    ep = episode
    print(f"Episode {ep.id} ({ep.region}), from {ep.start}, {len(ep.visits)} visits")
    print(f"Intake: {ep.intake.summary}")
    print("\nProgress (latest against baseline, MCID):")
    for p in report.progress:
        print(f"  {p.measure}: {p.baseline:g} -> {p.current:g} (change {p.change:+g}, "
              f"MCID {p.mcid:g}): {p.response.replace('_', ' ')}")
    print("\nReassessment triggers:" if report.triggers else "\nReassessment triggers: none")
    for t in report.triggers:
        print(f"  visit {t.visit}: {t.id}{' (' + t.measure + ')' if t.measure else ''} - "
              f"{t.what_to_do} [{t.source}]")
    print("\nUnits per visit:")
    for n, b in report.billing.items():
        codes = ", ".join(f"{line.code} x{line.units}" for line in b.lines)
        print(f"  visit {n}: {codes} ({b.timed_minutes} timed min, {b.total_units} units)")
    for n, note in report.soap.items():
        print(f"\n--- SOAP note, visit {n} ---\n{note}")
    print(f"\nChart written to {chart_path}")
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `units` and `episode` on the `palpa` command."""
    u = sub.add_parser("units", help="billable units from minutes per CPT code")
    u.add_argument("pairs", nargs="+", metavar="CODE=MINUTES")
    u.add_argument("--rule", choices=tuple(RULES), default="cms",
                   help="cms: Medicare 8-minute rule (default); ama: per-code midpoint rule")
    u.add_argument("--format", choices=("text", "json"), default="text")
    u.set_defaults(func=cmd_units)
    e = sub.add_parser("episode", help="episode of care documents")
    esub = e.add_subparsers(dest="episode_command", required=True)
    r = esub.add_parser("report", help="summary, SOAP notes, units and progress chart of an episode")
    r.add_argument("file", help="EPISODE.json (see examples/episodes/)")
    r.add_argument("--rule", choices=tuple(RULES), default="cms")
    r.add_argument("--format", choices=("text", "json"), default="text")
    r.add_argument("--markdown", action="store_true", help="SOAP notes in Markdown")
    r.add_argument("--chart", help="where to write the chart (default: beside the episode file)")
    r.add_argument("--chart-format", choices=("png", "svg"), default="png")
    r.set_defaults(func=cmd_episode_report)
