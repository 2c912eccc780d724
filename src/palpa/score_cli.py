"""`palpa score MEASURE ANSWER...`: score one outcome measure from numbered answers.

Answers are numbers in item order, `-` for an unanswered item. Text output is a readable rich table;
`--format json` prints one JSON object. Bad answers or an unknown measure exit 2 with one line on
stderr naming the item (or listing the valid measure ids).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import orjson

from palpa.core.measures import MeasureDef, MeasureError, Score, fmt, score, span
from palpa.knowledge.loader import KNOWLEDGE_DIR, load_sources
from palpa.knowledge.measures_loader import load_measures

EXIT_BAD_INPUT = 2
MISSING = "-"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `score` on the `palpa` command's subparsers (handler in `func`)."""
    p = subparsers.add_parser(
        "score", help="score an outcome measure (NPRS, ODI, NDI, PSFS, GROC, QuickDASH, LEFS, FABQ, "
                      "TSK-11, STarT Back) from numbered answers",
        description="Score one outcome measure. Give the answers as numbers in item order, "
                    "'-' for an unanswered item, e.g. `palpa score odi 2 1 3 2 - 1 0 2 3 1`.")
    p.add_argument("measure", help="measure id: nprs, odi, ndi, psfs, groc, quickdash, lefs, fabq, "
                                   "tsk11, startback")
    p.add_argument("answers", nargs="*", metavar="ANSWER",
                   help="answers in item order (numbers; '-' for an unanswered item)")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="text (default; a readable summary) or json")
    p.set_defaults(func=cmd_score)


def _fail(message: str) -> int:
    sys.stderr.write("palpa: " + message.replace("\n", " ") + "\n")
    return EXIT_BAD_INPUT


def parse_answers(measure: MeasureDef, tokens: list[str]) -> list[float | None]:
    """Command-line answers as numbers (None for '-'); MeasureError names a non-numeric item."""
    answers: list[float | None] = []
    for item, token in enumerate(tokens, 1):
        if token == MISSING:
            answers.append(None)
            continue
        try:
            answers.append(int(token))
        except ValueError:
            try:
                answers.append(float(token))
            except ValueError:
                raise MeasureError(measure.id, f"{token!r} is not a number", item) from None
    return answers


def _num(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 1)


def score_to_dict(measure: MeasureDef, s: Score) -> dict[str, Any]:
    """The JSON shape of a score: totals, subscales (FABQ), risk (STarT Back), MCID and source."""
    out: dict[str, Any] = {"measure": s.measure}
    if measure.risk is not None:
        out["total"] = _num(s.score)
        out[measure.risk.subscale] = _num(s.subscores[measure.risk.subscale])
        out["risk"] = s.risk
        out["max"] = _num(s.max)
    elif s.score is None:
        for sid, value in s.subscores.items():
            out[sid] = _num(value)
            out[f"{sid}_max"] = _num(s.subscore_max[sid])
    else:
        out["score"] = _num(s.score)
        out["max"] = _num(s.max)
        if s.percent is not None:
            out["percent"] = _num(s.percent)
    if s.score is None and s.subscore_interpretation:
        out["interpretation"] = dict(s.subscore_interpretation)
        out["mcid"] = {k: _num(v) for k, v in s.subscore_mcid.items()}
    else:
        out["interpretation"] = s.interpretation
        out["mcid"] = _num(s.mcid)
    out.update(unit=measure.unit, direction=s.direction, answered=s.answered, missing=s.missing,
               mcid_source=s.mcid_source, source=s.source, loinc=s.loinc, code=s.code)
    return out


def _text(measure: MeasureDef, s: Score) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    width = None if sys.stdout.isatty() else 100
    console = Console(file=sys.stdout, width=width, no_color=bool(os.environ.get("NO_COLOR")),
                      highlight=False, markup=False, emoji=False)
    sources = load_sources(KNOWLEDGE_DIR)
    worse = "higher is worse" if s.direction == "higher_is_worse" else "higher is better"
    unit = "%" if measure.unit == "percent" else "points"
    table = Table(title=f"{measure.name} ({measure.id})", box=box.SIMPLE, show_header=False)
    table.add_column(style="bold")
    table.add_column()
    if s.score is not None:
        table.add_row("score", f"{fmt(s.score)} {unit} (range {span(s.min or 0, s.max or 0)}, {worse})")
    if s.percent is not None and measure.unit != "percent":
        table.add_row("percent", f"{fmt(s.percent)}%")
    for sub in measure.subscales:
        label = s.subscore_interpretation.get(sub.id)
        text = f"{fmt(s.subscores[sub.id])} of {fmt(sub.max)}" + (f": {label}" if label else "")
        table.add_row(sub.name, text)
    if s.interpretation:
        table.add_row("interpretation", s.interpretation)
    table.add_row("answered", f"{s.answered} scored item{'s' * (s.answered != 1)}, {s.missing} missing")
    if s.mcid is not None:
        table.add_row("MCID", f"{fmt(s.mcid)} points ({s.mcid_source})")
    elif any(v is not None for v in s.subscore_mcid.values()):
        parts = [f"{sub.name} {fmt(sub.mcid)}" for sub in measure.subscales if sub.mcid is not None]
        table.add_row("MCID", f"{', '.join(parts)} points ({s.mcid_source})")
    else:
        table.add_row("MCID", f"none: {measure.mcid.note}")
    code = f"LOINC {s.loinc}" if s.loinc else f"{s.code} (no LOINC code)"
    table.add_row("code", code)
    ref = sources.get(s.source)
    if ref is not None:
        authors = ref.authors if ref.authors.endswith(".") else ref.authors + "."
        table.add_row("source", f"{authors} {ref.title}. {ref.published_in}. [{s.source}]")
    else:
        table.add_row("source", s.source)
    console.print(table)


def cmd_score(args: argparse.Namespace) -> int:
    """Handler for `palpa score`: 0 when scored, 2 for bad answers or an unknown measure."""
    measures = load_measures()
    measure = measures.get(str(args.measure).lower())
    if measure is None:
        return _fail(f"unknown measure {args.measure!r}; valid ids: {', '.join(measures)}")
    try:
        result = score(measure, parse_answers(measure, list(args.answers)))
    except MeasureError as err:
        return _fail(str(err))
    if args.format == "json":
        sys.stdout.buffer.write(orjson.dumps(score_to_dict(measure, result)) + b"\n")
        sys.stdout.flush()
    else:
        _text(measure, result)
    return 0
