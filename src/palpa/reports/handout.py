"""Patient handout from an assessment: home program, plain-language advice, warning signs, clinic contact.

`build_handout` turns the dict of `palpa.codec.assessment_to_dict` into a `Handout` (everything
already in plain words); `render_handout_html` and `render_handout_pdf` print it on A4 or Letter.
A malformed assessment is refused with HandoutError naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import jinja2
import msgspec

from palpa.core.knowledge import KnowledgeBase
from palpa.knowledge.patient_language import LEVELS, Level, PatientLanguage, load_patient_language

PageSize = Literal["A4", "Letter"]
PAGE_SIZES: tuple[PageSize, ...] = ("A4", "Letter")
TEMPLATES = Path(__file__).parent / "templates"
ACT_NOW: frozenset[str] = frozenset({"emergency", "urgent"})  # triage levels with no plan


class HandoutError(ValueError):
    """The assessment or the clinic details cannot make a handout; the message names the field."""


@dataclass(frozen=True)
class ClinicContact:
    """How the patient reaches the clinic."""

    name: str
    phone: str | None = None
    email: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class ExerciseItem:
    """One home exercise as the patient does it."""

    name: str
    instructions: str
    dose: str
    progression: str
    regression: str


@dataclass(frozen=True)
class Topic:
    """A titled piece of advice."""

    title: str
    text: str


@dataclass(frozen=True)
class TechniqueItem:
    """A planned hands-on technique in plain words, with the body parts it is aimed at."""

    name: str
    text: str
    areas: tuple[str, ...]


@dataclass(frozen=True)
class WarningGroup:
    """Warning signs that call for the same action; `level` is a red-flag urgency."""

    level: Level
    heading: str
    action: str
    signs: tuple[str, ...]


@dataclass(frozen=True)
class Notice:
    """What to do now when the assessment calls for a doctor; `concerns` are what is suspected."""

    level: Level
    heading: str
    text: str
    concerns: tuple[str, ...]


@dataclass(frozen=True)
class Handout:
    """Everything the handout shows, already in plain language, in the order it is printed."""

    case_id: str
    knowledge_version: str
    triage: str
    region: str
    issued: date
    clinic: ClinicContact
    patient_name: str | None
    notice: Notice | None
    exercises: tuple[ExerciseItem, ...]
    home_extras: tuple[str, ...]
    visits: str | None
    manual_therapy_intro: Topic | None
    techniques: tuple[TechniqueItem, ...]
    soreness: Topic | None
    warnings: tuple[WarningGroup, ...]
    education: tuple[Topic, ...]
    references: tuple[str, ...]  # short citations (first author and year) of what it rests on

    @property
    def has_plan(self) -> bool:
        """True when the handout carries a care plan (not for emergency or urgent triage)."""
        return self.triage not in ACT_NOW


# --- the part of the assessment the handout reads (unknown fields are ignored) ---------------


class _Triage(msgspec.Struct):
    level: Literal["treat", "treat_with_precautions", "refer", "urgent", "emergency"]


class _RedFlag(msgspec.Struct):
    id: str
    urgency: Level


class _Technique(msgspec.Struct):
    technique: str
    region: str


class _PlannedTechnique(msgspec.Struct):
    technique: str
    region: str


class _Exercise(msgspec.Struct):
    name: str
    dose: str
    instructions: str
    progression: str
    regression: str
    source: str


class _Education(msgspec.Struct):
    id: str
    title: str
    text: str
    source: str


class _Visits(msgspec.Struct):
    min: int
    max: int
    weeks: int


class _Reassess(msgspec.Struct):
    after_visits: int


class _Plan(msgspec.Struct):
    manual_therapy: list[_PlannedTechnique]
    exercise: list[_Exercise]
    education: list[_Education]
    home_program: list[str]
    expected_visits: _Visits
    reassess: _Reassess


class _Assessment(msgspec.Struct):
    case_id: str
    knowledge_version: str
    triage: _Triage
    red_flags: list[_RedFlag]
    techniques: list[_Technique]
    plan: _Plan | None


def _read(assessment: Mapping[str, Any]) -> _Assessment:
    try:
        return msgspec.convert(assessment, type=_Assessment, strict=True)
    except msgspec.ValidationError as exc:
        problem, _, where = str(exc).partition(" - at `")
        field = where.rstrip("`").removeprefix("$.").removeprefix("$") or "assessment"
        raise HandoutError(f"assessment field {field!r}: {problem}") from None


def _case_region(a: _Assessment, kb: KnowledgeBase) -> str:
    """The case's region: the one every vocabulary technique is judged for."""
    judged: dict[str, set[str]] = {}
    for t in a.techniques:
        judged.setdefault(t.region, set()).add(t.technique)
    full = [r for r, codes in judged.items() if codes >= set(kb.vocabulary.techniques)]
    if len(full) != 1:
        raise HandoutError("assessment field 'techniques': cannot tell the case's region "
                           f"(regions judged for every technique: {full})")
    return full[0]


def _plain_region(pl: PatientLanguage, code: str, field: str) -> str:
    if code not in pl.regions:
        raise HandoutError(f"assessment field {field!r}: unknown region {code!r}")
    return pl.regions[code]


def _warnings(pl: PatientLanguage, region: str, raised: list[_RedFlag]) -> tuple[WarningGroup, ...]:
    """Signs for the region plus every sign of a raised flag, grouped by action, most urgent first."""
    raised_ids = [f.id for f in raised]
    order = raised_ids + [fid for fid in pl.red_flags if fid not in raised_ids]
    signs: dict[Level, list[str]] = {level: [] for level in LEVELS}
    for fid in order:
        for group in pl.red_flags[fid].groups:
            if fid in raised_ids or region in group.regions:
                signs[group.level].extend(s for s in group.signs if s not in signs[group.level])
    return tuple(WarningGroup(level, pl.actions[level].heading, pl.actions[level].text, tuple(signs[level]))
                 for level in LEVELS if signs[level])


def _flag_sources(pl: PatientLanguage, region: str, raised: list[_RedFlag]) -> list[str]:
    raised_ids = {f.id for f in raised}
    return [f.source for f in pl.red_flags.values()
            if f.id in raised_ids or any(region in g.regions for g in f.groups)]


_ACRONYM = re.compile(r"\(([A-Z][A-Za-z]{1,9})\)")
_INITIALS = re.compile(r"^[A-Z]{1,3}$")


def _short_citation(authors: str, year: int) -> str:
    """'Senstad O, Leboeuf-Yde C, ...' -> 'Senstad 1997'; an organisation by its acronym when it has one."""
    first = authors.split(",")[0].strip()
    acronym = _ACRONYM.search(first)
    if acronym:
        return f"{acronym.group(1)} {year}"
    words = first.split()
    if len(words) > 1 and _INITIALS.match(words[-1]):
        words = words[:-1]
    return f"{' '.join(words)} {year}"


def _check_clinic(clinic: ClinicContact) -> None:
    if not clinic.name.strip():
        raise HandoutError("clinic field 'name': must not be empty")
    for field in ("phone", "email", "address"):
        value = getattr(clinic, field)
        if value is not None and not value.strip():
            raise HandoutError(f"clinic field {field!r}: must not be blank (leave it out instead)")


def build_handout(assessment: Mapping[str, Any], kb: KnowledgeBase, clinic: ClinicContact,
                  patient_name: str | None = None, issued: date | None = None) -> Handout:
    """The handout for one assessment (the dict of `assessment_to_dict`); raises HandoutError."""
    _check_clinic(clinic)
    if patient_name is not None and not patient_name.strip():
        raise HandoutError("patient_name: must not be blank (leave it out instead)")
    a = _read(assessment)
    pl = load_patient_language()
    for i, f in enumerate(a.red_flags):
        if f.id not in pl.red_flags:
            raise HandoutError(f"assessment field 'red_flags[{i}].id': unknown red flag {f.id!r}")
    region = _case_region(a, kb)
    level = a.triage.level
    raised = sorted(a.red_flags, key=lambda f: LEVELS.index(f.urgency))
    sources: list[str] = []

    notice = None
    if level in ("emergency", "urgent", "refer"):
        now = pl.now[level]
        concerns = tuple(dict.fromkeys(pl.red_flags[f.id].concern for f in raised))
        notice = Notice(level, now.heading, now.text, concerns)
        sources.append(pl.now_source)

    plan = a.plan
    if level in ACT_NOW and plan is not None:
        raise HandoutError(f"assessment field 'plan': expected null when triage is {level!r}")
    if level not in ACT_NOW and plan is None:
        raise HandoutError(f"assessment field 'plan': missing for triage {level!r}")

    exercises: tuple[ExerciseItem, ...] = ()
    extras: tuple[str, ...] = ()
    visits = mt_intro = soreness = None
    techniques: tuple[TechniqueItem, ...] = ()
    education: tuple[Topic, ...] = ()
    if plan is not None:
        exercises = tuple(ExerciseItem(e.name, e.instructions, e.dose, e.progression, e.regression)
                          for e in plan.exercise)
        sources += [e.source for e in plan.exercise]
        listed = {f"{e.name}: {e.dose}" for e in plan.exercise}
        extras = tuple(line for line in plan.home_program if line not in listed)
        v = plan.expected_visits
        count = f"{v.min}" if v.min == v.max else f"{v.min} to {v.max}"
        visits = (f"We expect about {count} visits over about {v.weeks} weeks, and we will check "
                  f"your progress with you by visit {plan.reassess.after_visits}.")

        areas: dict[str, list[str]] = {}
        for i, m in enumerate(plan.manual_therapy):
            if m.technique not in pl.techniques:
                raise HandoutError(f"assessment field 'plan.manual_therapy[{i}].technique': "
                                   f"unknown technique {m.technique!r}")
            area = _plain_region(pl, m.region, f"plan.manual_therapy[{i}].region")
            if area not in areas.setdefault(m.technique, []):
                areas[m.technique].append(area)
        techniques = tuple(TechniqueItem(pl.techniques[t].name, pl.techniques[t].text, tuple(where))
                           for t, where in areas.items())
        sources += [pl.techniques[t].source for t in areas]

        placed: set[str] = set()
        if techniques:
            soreness = Topic(pl.soreness.heading, pl.soreness.text)
            sources += pl.soreness_sources
            placed |= pl.soreness_replaces_topics
            intro = next((t for t in plan.education if t.id == pl.manual_therapy_intro_topic), None)
            if intro is not None:
                mt_intro = Topic(intro.title, intro.text)
                sources.append(intro.source)
                placed.add(intro.id)
        education = tuple(Topic(t.title, t.text) for t in plan.education if t.id not in placed)
        sources += [t.source for t in plan.education if t.id not in placed]

    warnings = _warnings(pl, region, raised)
    sources += [pl.actions_source, *_flag_sources(pl, region, raised)]
    keys = list(dict.fromkeys(sources))
    unknown = [k for k in keys if k not in kb.sources]
    if unknown:
        raise HandoutError(f"assessment cites sources this knowledge base does not hold: {unknown}")
    references = tuple(dict.fromkeys(_short_citation(kb.sources[k].authors, kb.sources[k].year)
                                     for k in keys))

    return Handout(
        case_id=a.case_id, knowledge_version=a.knowledge_version, triage=level,
        region=_plain_region(pl, region, "techniques[].region"), issued=issued or date.today(),
        clinic=clinic, patient_name=patient_name, notice=notice, exercises=exercises,
        home_extras=extras, visits=visits, manual_therapy_intro=mt_intro, techniques=techniques,
        soreness=soreness, warnings=warnings, education=education, references=references)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_handout_html(handout: Handout, page_size: PageSize = "A4") -> str:
    """The handout as one self-contained HTML page, with print CSS for `page_size`."""
    if page_size not in PAGE_SIZES:
        raise HandoutError(f"page_size: expected one of {PAGE_SIZES}, got {page_size!r}")
    return _environment().get_template("handout.html.j2").render(h=handout, page_size=page_size)


def render_handout_pdf(handout: Handout, page_size: PageSize = "A4") -> bytes:
    """The handout as PDF bytes (WeasyPrint), on A4 or Letter paper."""
    import weasyprint  # type: ignore[import-untyped]  # slow to import; only the PDF needs it

    html = render_handout_html(handout, page_size)
    pdf: bytes = weasyprint.HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    return pdf
