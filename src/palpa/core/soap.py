"""The SOAP note of one visit, built only from what was recorded, as Markdown or plain text.

Pure functions, no I/O. Billing and triggers are computed by the caller (core.billing,
core.progress) and passed in, so the note shows exactly what was billed and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from palpa.core.billing import Billing
from palpa.core.episode import Episode, TechniqueApplied, Visit
from palpa.core.progress import Trigger, measure_progress

NPRS_MEASURE = "nprs"
METHOD_NAMES = {"cms_8_minute": "CMS 8-minute (total-time) rule",
                "per_code": "per-code midpoint rule"}
NOT_DOCUMENTED = "NOT DOCUMENTED - add before signing"


@dataclass(frozen=True, slots=True)
class SoapNote:
    """The sections of a visit's note as lines; render with `render_markdown` or `render_text`."""

    title: str
    subjective: tuple[str, ...]
    objective: tuple[str, ...]
    assessment: tuple[str, ...]
    plan: tuple[str, ...]
    billing: tuple[str, ...]
    signature: str


def _label(code: str, labels: Mapping[str, str] | None) -> str:
    if labels and code in labels:
        return labels[code]
    return code.replace("_", " ")


def _num(x: float) -> str:
    return f"{x:g}"


def technique_line(t: TechniqueApplied, labels: Mapping[str, str] | None = None) -> str:
    """A technique as 'name, region, grade, sets x duration, minutes'."""
    parts = [_label(t.technique, labels).capitalize(), _label(t.region, labels)]
    if t.target:
        parts.append(t.target)
    if t.grade:
        parts.append(f"grade {t.grade}")
    duration = t.duration_text or (f"{t.seconds} s" if t.seconds is not None else None)
    if t.sets is not None and duration:
        parts.append(f"{t.sets} x {duration}")
    elif t.sets is not None:
        parts.append(f"{t.sets} set(s)")
    elif duration:
        parts.append(duration)
    parts.append(f"{t.minutes} min")
    return ", ".join(parts)


def _subjective(episode: Episode, v: Visit, red_flag_codes: frozenset[str],
                labels: Mapping[str, str] | None) -> list[str]:
    out = [f"Complaint: {v.complaint or episode.intake.summary}"]
    nprs = v.within_session.nprs_before if v.within_session else None
    if nprs is None:
        nprs_scores = [r.score for r in episode.results(NPRS_MEASURE) if r.visit == v.number]
        nprs = int(nprs_scores[0]) if nprs_scores else None
    out.append(f"Pain (NPRS 0-10): {nprs if nprs is not None else 'not recorded'}")
    if v.since_last:
        text = f" - {v.since_last.text}" if v.since_last.text else ""
        out.append(f"Since last visit: {v.since_last.status}{text}")
    elif v.number > 1:
        out.append("Since last visit: not recorded")
    for a in v.adverse_events:
        out.append(f"Adverse event: {a.description} ({a.severity.replace('_', ' ')}; onset "
                   f"{_num(a.onset_hours)} h, lasted {_num(a.duration_hours)} h)")
    if v.number > 1 and not v.adverse_events:
        out.append("Adverse events since last visit: none reported")
    if v.new_findings:
        shown = [(_label(c, labels) + (" [RED FLAG]" if c in red_flag_codes else ""))
                 for c in sorted(v.new_findings)]
        out.append(f"Screening, new findings: {'; '.join(shown)}")
    else:
        out.append("Screening: no new findings or red flags reported")
    return out


def _objective(episode: Episode, v: Visit, labels: Mapping[str, str] | None,
               code_names: Mapping[str, str] | None) -> list[str]:
    scores = [f"{_label(r.measure, labels)} {_num(r.score)}"
              for r in episode.measures if r.visit == v.number]
    out = [f"Outcome measures: {'; '.join(scores) if scores else 'none taken this visit'}"]
    out.extend(v.objective)
    out.extend(f"Manual therapy: {technique_line(t, labels)}" for t in v.techniques)
    for e in v.exercises:
        dose = f", {e.dose}" if e.dose else ""
        out.append(f"Exercise: {_label(e.exercise_id, labels)}{dose}, {e.minutes} min")
    for s in v.other_services:
        name = (code_names or {}).get(s.cpt)
        label = f"CPT {s.cpt}" + (f" {name}" if name else "")
        desc = f" ({s.description})" if s.description else ""
        out.append(f"{label}{desc}: {s.minutes} min")
    w = v.within_session
    if w is not None:
        parts = []
        if w.nprs_before is not None and w.nprs_after is not None:
            parts.append(f"NPRS {w.nprs_before} -> {w.nprs_after}")
        parts.extend(p for p in (w.rom_change, w.text) if p)
        if parts:
            out.append(f"Within-session response: {'; '.join(parts)}")
    return out


def _assessment(episode: Episode, v: Visit, measures_info: Mapping[str, tuple[float, bool]],
                triggers: Sequence[Trigger], labels: Mapping[str, str] | None) -> list[str]:
    out = []
    if episode.intake.diagnosis:
        out.append(f"Impression: {episode.intake.diagnosis}")
    for p in measure_progress(episode, measures_info, up_to_visit=v.number):
        direction = "better" if p.change > 0 else "worse" if p.change < 0 else "unchanged"
        out.append(f"Progress, {_label(p.measure, labels)}: {_num(p.baseline)} (visit "
                   f"{p.baseline_visit}) -> {_num(p.current)} (visit {p.current_visit}), "
                   f"{_num(abs(p.change))} {direction} against an MCID of {_num(p.mcid)}: "
                   f"{p.response.replace('_', ' ')}")
    here = [t for t in triggers if t.visit == v.number]
    for t in here:
        out.append(f"Reassessment trigger ({t.id}): {t.why} [{t.source}]")
    if not here:
        out.append("Reassessment triggers: none at this visit")
    out.append(f"Skilled care needed because: {v.skilled_care or NOT_DOCUMENTED}")
    return out


def _plan(v: Visit, triggers: Sequence[Trigger]) -> list[str]:
    out = [f"Next visit: {v.next_visit or 'not scheduled'}"]
    out.append(f"Home program: {'; '.join(v.home_program) if v.home_program else 'none given'}")
    actions = list(dict.fromkeys(t.what_to_do for t in triggers if t.visit == v.number))
    out.append(f"Reassess: {' '.join(actions)}" if actions else "Reassess: at the planned review")
    out.append(f"Referral: {v.referral or 'none'}")
    return out


def billing_lines(billing: Billing, code_names: Mapping[str, str] | None = None) -> list[str]:
    """Claim lines, timed-code minutes and total treatment time, as Medicare asks in each note."""
    out = []
    for line in billing.lines:
        name = (code_names or {}).get(line.code)
        label = f"CPT {line.code}" + (f" {name}" if name else "")
        kind = f"{line.minutes} min" if line.timed else "untimed"
        out.append(f"{label}: {line.units} unit(s) ({kind})")
    out.append(f"Timed code treatment minutes: {billing.timed_minutes}; timed units: "
               f"{billing.timed_units} ({METHOD_NAMES[billing.method]})")
    untimed = billing.total_treatment_minutes - billing.timed_minutes
    extra = f" (includes {untimed} min untimed)" if untimed else ""
    out.append(f"Total treatment time: {billing.total_treatment_minutes} min{extra}")
    out.append(f"Total units billed: {billing.total_units}")
    return out


def build_soap(episode: Episode, visit_number: int, measures_info: Mapping[str, tuple[float, bool]],
               triggers: Sequence[Trigger], billing: Billing, *,
               red_flag_codes: Iterable[str] = (), labels: Mapping[str, str] | None = None,
               code_names: Mapping[str, str] | None = None) -> SoapNote:
    """The SOAP note of one visit; missing documentation is shown as such, never invented."""
    v = episode.visit(visit_number)
    flags = frozenset(red_flag_codes)
    title = f"SOAP note - episode {episode.id}, visit {v.number}, {v.date.isoformat()}"
    return SoapNote(
        title=title,
        subjective=tuple(_subjective(episode, v, flags, labels)),
        objective=tuple(_objective(episode, v, labels, code_names)),
        assessment=tuple(_assessment(episode, v, measures_info, triggers, labels)),
        plan=tuple(_plan(v, triggers)),
        billing=tuple(billing_lines(billing, code_names)),
        signature=_signature(v.clinician, v.date),
    )


def _signature(clinician: str, when: date) -> str:
    return f"Treating clinician: {clinician}    Signature: ____________________    Date: {when}"


SECTIONS = (("S", "Subjective", "subjective"), ("O", "Objective", "objective"),
            ("A", "Assessment", "assessment"), ("P", "Plan", "plan"),
            ("", "Billing", "billing"))


def render_markdown(note: SoapNote) -> str:
    """The note as Markdown: a title, one heading and a bullet list per section."""
    out = [f"# {note.title}", ""]
    for letter, name, attr in SECTIONS:
        out.append(f"## {letter + ' - ' if letter else ''}{name}")
        out.extend(f"- {line}" for line in getattr(note, attr))
        out.append("")
    out.append(note.signature)
    return "\n".join(out) + "\n"


def render_text(note: SoapNote) -> str:
    """The note as plain text: upper-case headings and indented lines."""
    out = [note.title, "=" * len(note.title)]
    for _letter, name, attr in SECTIONS:
        out.append(name.upper())
        out.extend(f"  {line}" for line in getattr(note, attr))
    out.append("")
    out.append(note.signature)
    return "\n".join(out) + "\n"


def soap_note(episode: Episode, visit_number: int, measures_info: Mapping[str, tuple[float, bool]],
              triggers: Sequence[Trigger], billing: Billing,
              fmt: Literal["markdown", "text"] = "markdown", *, red_flag_codes: Iterable[str] = (),
              labels: Mapping[str, str] | None = None,
              code_names: Mapping[str, str] | None = None) -> str:
    """Build and render a visit's SOAP note in one call."""
    note = build_soap(episode, visit_number, measures_info, triggers, billing,
                      red_flag_codes=red_flag_codes, labels=labels, code_names=code_names)
    if fmt == "markdown":
        return render_markdown(note)
    if fmt == "text":
        return render_text(note)
    raise ValueError(f"fmt: must be 'markdown' or 'text', got {fmt!r}")
