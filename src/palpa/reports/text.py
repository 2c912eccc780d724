"""The readable clinician report of one assessment, rendered with rich."""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.padding import Padding
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

LEVELS: dict[str, tuple[str, str, str]] = {
    "emergency": ("EMERGENCY", "same-day emergency medical care; no manual therapy.",
                  "bold white on red"),
    "urgent": ("URGENT", "medical review within days before any manual therapy.", "bold red"),
    "refer": ("REFER", "non-urgent medical review; conservative care may go on meanwhile.",
              "bold yellow"),
    "treat_with_precautions": ("TREAT WITH PRECAUTIONS",
                               "treat, but some techniques are contraindicated or modified.",
                               "bold dark_orange"),
    "treat": ("TREAT", "no flags; treat.", "bold green"),
}
STATUS_STYLES = {"contraindicated": "bold red", "caution": "yellow", "recommended": "bold green"}


def make_console() -> Console:
    """A console on stdout: 100 columns when piped, no colour when NO_COLOR is set."""
    width = None if sys.stdout.isatty() else 100
    return Console(file=sys.stdout, width=width, no_color=bool(os.environ.get("NO_COLOR")),
                   highlight=False, markup=False, emoji=False)


def _grades(grades: Sequence[str] | None) -> str:
    """Grades as a range, e.g. II-III."""
    return "-".join(dict.fromkeys([grades[0], grades[-1]])) if grades else ""


def _bullets(items: Iterable[str | Text], style: str = "") -> Table:
    """One bullet per item, wrapped lines hanging under the text."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for item in items:
        grid.add_row(Text("  •"), item if isinstance(item, Text) else Text(item, style=style))
    return grid


def _heading(title: str) -> Rule:
    """A section rule."""
    return Rule(Text(title, style="bold"), align="left")


def _banner(a: Mapping[str, Any]) -> Panel:
    """The triage banner: level, meaning, reasons."""
    triage = a.get("triage") or {}
    code = str(triage.get("level", ""))
    words, meaning, style = LEVELS.get(code, (code.upper(), "", "bold"))
    head = Text()
    flags = a.get("red_flags") or []
    if code in ("emergency", "urgent"):
        action = str(flags[0].get("action", "")) if flags else ""
        action = action.replace("No manual therapy.", "").strip()
        head.append(f"No manual therapy. {action}".strip() + "\n", style="bold")
    head.append(words, style="bold")
    head.append(f" — {meaning}" if meaning else "")
    body = Group(head, _bullets(triage.get("reasons") or []))
    title = Text(f"Case {a.get('case_id', '?')}: {words}", style="bold")
    if code == "emergency":
        return Panel(body, title=title, style=style, box=box.HEAVY)
    return Panel(body, title=title, border_style=style, box=box.HEAVY)


def _red_flags(flags: Sequence[Mapping[str, Any]]) -> Table:
    """Red flags: id with its source, urgency, findings, action."""
    table = Table(title=Text("Red flags", style="bold red"), box=box.SIMPLE_HEAD, expand=True)
    table.add_column("Red flag [source]", no_wrap=True)
    table.add_column("Urgency", no_wrap=True)
    table.add_column("Findings", overflow="fold", ratio=1)
    table.add_column("Action", overflow="fold", ratio=1)
    for f in flags:
        urgency = str(f.get("urgency", ""))
        name = Text(str(f.get("id", "")), style="bold")
        name.append(f"\n[{f.get('source', '')}]", style="dim")
        table.add_row(name, Text(urgency, style=LEVELS.get(urgency, ("", "", ""))[2]),
                      Text("\n".join(f.get("findings") or [])), Text(str(f.get("action", ""))))
    return table


def _why(reasons: Sequence[Mapping[str, Any]]) -> Text:
    """Each reason as `rule (findings) [source]`, one a line."""
    found = [f" ({', '.join(r['findings'])})" if r.get("findings") else "" for r in reasons]
    return Text("\n".join(f"{r.get('rule', '')}{part} [{r.get('source', '')}]"
                          for r, part in zip(reasons, found, strict=True)))


def _case_region(techniques: Sequence[Mapping[str, Any]]) -> str | None:
    """The case's region: the one most technique entries name."""
    regions = Counter(t.get("region") for t in techniques if t.get("region"))
    return regions.most_common(1)[0][0] if regions else None


def _techniques(techniques: Sequence[Mapping[str, Any]]) -> Table:
    """Techniques for the case region, then those aimed at another region."""
    region = _case_region(techniques)
    title = f"Techniques ({region})" if region else "Techniques"
    table = Table(title=Text(title, style="bold"), box=box.SIMPLE_HEAD, expand=True)
    table.add_column("Technique", overflow="fold")
    table.add_column("Status")
    table.add_column("Grades")
    table.add_column("Why", overflow="fold", ratio=1)
    own = [t for t in techniques if t.get("region") in (None, region)]
    other = [t for t in techniques if t.get("region") not in (None, region)]
    for i, t in enumerate(own + other):
        name = str(t.get("technique", ""))
        if t in other:
            name = f"{name} @ {t.get('region')}"
        status = str(t.get("status", ""))
        table.add_row(Text(name), Text(status, style=STATUS_STYLES.get(status, "")),
                      Text(_grades(t.get("grades"))), _why(t.get("reasons") or []),
                      end_section=bool(other) and i == len(own) - 1)
    return table


def _prediction_rule(rule: Mapping[str, Any]) -> Group:
    """One prediction rule: criteria marks, likelihood ratio, validation caveat."""
    positive = bool(rule.get("positive"))
    body = Text(f"criteria met {rule.get('criteria_met', 0)}/{rule.get('criteria_total', 0)}: ")
    body.append("positive" if positive else "negative", style="bold green" if positive else "bold")
    for c in rule.get("criteria") or []:
        mark, style = ("✓", "green") if c.get("met") else ("✗", "red")
        body.append(f"\n  {mark} ", style=style)
        body.append(str(c.get("text", c.get("id", ""))))
        if not c.get("judged", True):
            body.append(" (not judged from the case)", style="dim")
    if rule.get("likelihood_ratio"):
        body.append(f"\n{rule['likelihood_ratio']}")
    body.append(f"\n{rule.get('validation', '')} [{rule.get('source', '')}]", style="dim")
    name = Text(str(rule.get("name", rule.get("id", ""))), style="bold")
    return Group(name, Padding(body, (0, 0, 0, 2)))


def _profile(a: Mapping[str, Any]) -> Text:
    """Presentation and psychosocial lines."""
    pres = a.get("presentation") or {}
    psych = a.get("psychosocial") or {}
    text = Text()
    if pres:
        inferred = " (inferred)" if pres.get("irritability_inferred") else ""
        tissues = ", ".join(pres.get("tissue_sources") or []) or "none identified"
        text.append(f"Stage: {pres.get('stage')}   Irritability: {pres.get('irritability')}"
                    f"{inferred}   Dominance: {str(pres.get('dominance')).replace('_', ' ')}\n"
                    f"Tissue sources: {tissues}\n")
    sb = psych.get("start_back")
    if sb:
        text.append(f"STarT Back: {sb.get('risk')} risk (total {sb.get('total')}, "
                    f"psychosocial {sb.get('psychosocial')}) [{sb.get('source', '')}]\n")
    fear = psych.get("fear_avoidance_high")
    text.append("Fear-avoidance: " + ("high" if fear else "not high"),
                style="yellow" if fear else "")
    return text


def _exercise(e: Mapping[str, Any]) -> Text:
    """One exercise: name, dose, instructions, progression and regression."""
    text = Text(str(e.get("name", e.get("id", ""))), style="bold")
    text.append(f" — {e.get('dose', '')}\n")
    text.append(f"{e.get('instructions', '')}\n")
    text.append(f"Progress: {e.get('progression', '')}\n", style="dim")
    text.append(f"Regress: {e.get('regression', '')}", style="dim")
    return text


def _manual_item(m: Mapping[str, Any]) -> str:
    """One manual therapy item of the plan."""
    grades = _grades(m.get("grades"))
    dose = (m.get("dose") or {}).get("text", "")
    head = f"{m.get('technique', '')} @ {m.get('region', '')}"
    return head + (f", grades {grades}" if grades else "") + (f" — {dose}" if dose else "")


def _section(console: Console, title: str, items: Sequence[str | Text], style: str = "bold") -> None:
    """A titled bullet list, when it has items."""
    if items:
        console.print(Text(title, style=style))
        console.print(_bullets(items))


def _plan(console: Console, plan: Mapping[str, Any]) -> None:
    """The care plan sections."""
    console.print(Text(str(plan.get("summary", ""))))
    _section(console, "Manual therapy", [_manual_item(m) for m in plan.get("manual_therapy") or []])
    _section(console, "Exercise", [_exercise(e) for e in plan.get("exercise") or []])
    _section(console, "Education",
             [str(t.get("title", t.get("id", ""))) for t in plan.get("education") or []])
    _section(console, "Home program", [str(h) for h in plan.get("home_program") or []])
    visits = plan.get("expected_visits") or {}
    reassess = plan.get("reassess") or {}
    console.print(Text(f"Expected visits: {visits.get('min')}-{visits.get('max')} over about "
                       f"{visits.get('weeks')} weeks. {visits.get('text', '')}\n"
                       f"Reassess after visit {reassess.get('after_visits')}.", style="bold"))
    _section(console, "Reassess sooner when", [f"{t.get('text', '')} [{t.get('source', '')}]"
                                               for t in reassess.get("triggers") or []])
    _section(console, "While awaiting medical review",
             [str(w) for w in plan.get("while_awaiting_review") or []], style="bold yellow")


def _note(console: Console, a: Mapping[str, Any]) -> None:
    """What the note added, and what it mentions but was not counted (to check)."""
    added = [f"{f['code']}: {f.get('text', '')!r} at {f.get('span')}"
             for f in a.get("findings") or [] if f.get("from") == "note"]
    others = [f"{m['code']}: {m['text']!r} read as {m['status']}"
              + (f" (cue {m['cue']!r})" if m.get("cue") else "")
              for m in a.get("note_mentions") or []]
    if not added and not others:
        return
    console.print(_heading("From the note"))
    _section(console, "Findings read from the note", added)
    _section(console, "Mentioned but not counted (check)", others, style="bold yellow")


def render_assessment(a: Mapping[str, Any], console: Console) -> None:
    """Print the clinician's report of one assessment."""
    console.print(_banner(a))
    if a.get("red_flags"):
        console.print(_red_flags(a["red_flags"]))
    if a.get("techniques"):
        console.print(_techniques(a["techniques"]))
    if a.get("prediction_rules"):
        console.print(_heading("Prediction rules (informs, never gates)"))
        for rule in a["prediction_rules"]:
            console.print(_prediction_rule(rule))
    _note(console, a)
    console.print(_heading("Presentation"))
    console.print(_profile(a))
    console.print(_heading("Care plan"))
    if a.get("plan") is None:
        console.print(Text("No care plan: medical care comes first.", style="bold"))
    else:
        _plan(console, a["plan"])
    console.print(_heading("Sources cited"))
    console.print(_bullets([f"{key} — {s.get('citation', '')} {s.get('url', '')}"
                            for key, s in (a.get("sources") or {}).items()], style="dim"))
    console.print(Text(str(a.get("disclaimer", "")), style="italic"))
    console.print(Text(f"Knowledge base {a.get('knowledge_version', '?')}", style="dim"))
    console.print()
