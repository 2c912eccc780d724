"""An episode of care: the visits, what was done at each, the patient's response and the scores.

Plain frozen values, no I/O. `validate_episode` checks the contract and raises ValueError
naming the offending field (e.g. `visits[2].techniques[0].minutes`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

AdverseSeverity = Literal["short_minor", "long_minor", "short_moderate", "long_moderate", "serious"]
SinceLast = Literal["better", "same", "worse"]
ADVERSE_SEVERITIES: tuple[str, ...] = (
    "short_minor", "long_minor", "short_moderate", "long_moderate", "serious")
GRADES: tuple[str, ...] = ("I", "II", "III", "IV", "V")


@dataclass(frozen=True, slots=True)
class TechniqueApplied:
    """One manual therapy technique given at a visit, with its dose and direct minutes."""

    technique: str
    region: str
    minutes: int
    grade: str | None = None
    sets: int | None = None
    seconds: int | None = None
    duration_text: str | None = None
    target: str | None = None


@dataclass(frozen=True, slots=True)
class ExerciseGiven:
    """An exercise taught or supervised at a visit; `cpt` overrides the default exercise code."""

    exercise_id: str
    minutes: int
    dose: str | None = None
    cpt: str | None = None


@dataclass(frozen=True, slots=True)
class TimedService:
    """Another timed service (e.g. 97530) given one-on-one, by CPT code and minutes."""

    cpt: str
    minutes: int
    description: str | None = None


@dataclass(frozen=True, slots=True)
class SessionResponse:
    """Change within the session: NPRS before/after and free-text ROM or test change."""

    nprs_before: int | None = None
    nprs_after: int | None = None
    rom_change: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class ResponseSinceLast:
    """The patient's report of change since the previous visit."""

    status: SinceLast
    text: str = ""


@dataclass(frozen=True, slots=True)
class AdverseEvent:
    """An adverse event reported at a visit, graded on Paanalahti's five levels."""

    description: str
    severity: AdverseSeverity
    onset_hours: float
    duration_hours: float


@dataclass(frozen=True, slots=True)
class Visit:
    """One treatment day: what was done, the response and who did it."""

    number: int
    date: date
    clinician: str
    complaint: str = ""
    techniques: tuple[TechniqueApplied, ...] = ()
    exercises: tuple[ExerciseGiven, ...] = ()
    other_services: tuple[TimedService, ...] = ()
    evaluation_code: str | None = None
    evaluation_minutes: int = 0
    within_session: SessionResponse | None = None
    since_last: ResponseSinceLast | None = None
    adverse_events: tuple[AdverseEvent, ...] = ()
    new_findings: frozenset[str] = frozenset()
    objective: tuple[str, ...] = ()
    skilled_care: str = ""
    home_program: tuple[str, ...] = ()
    next_visit: str = ""
    referral: str | None = None


@dataclass(frozen=True, slots=True)
class MeasureResult:
    """One outcome-measure score taken at a visit."""

    measure: str
    date: date
    score: float
    visit: int


@dataclass(frozen=True, slots=True)
class Intake:
    """The intake assessment this episode started from: a reference and a short summary."""

    summary: str
    assessment_ref: str | None = None
    diagnosis: str | None = None
    goals: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Episode:
    """An episode of care for one complaint in one region."""

    id: str
    patient_ref: str
    region: str
    start: date
    intake: Intake
    visits: tuple[Visit, ...] = ()
    measures: tuple[MeasureResult, ...] = ()

    def visit(self, number: int) -> Visit:
        """The visit with this number (KeyError when there is none)."""
        for v in self.visits:
            if v.number == number:
                return v
        raise KeyError(f"episode {self.id!r} has no visit {number}")

    def results(self, measure: str) -> tuple[MeasureResult, ...]:
        """This measure's results in visit order."""
        return tuple(sorted((m for m in self.measures if m.measure == measure),
                            key=lambda m: (m.visit, m.date)))

    def measure_ids(self) -> tuple[str, ...]:
        """Measures recorded in this episode, in first-seen order."""
        return tuple(dict.fromkeys(m.measure for m in self.measures))


def _fail(field: str, problem: str) -> None:
    raise ValueError(f"{field}: {problem}")


def _non_negative(field: str, value: float | None) -> None:
    if value is not None and value < 0:
        _fail(field, f"must be 0 or more, got {value}")


def _known(field: str, code: str, allowed: Collection[str] | None, kind: str) -> None:
    if allowed is not None and code not in allowed:
        _fail(field, f"unknown {kind} code {code!r}")


def _nprs(field: str, value: int | None) -> None:
    if value is not None and not 0 <= value <= 10:
        _fail(field, f"NPRS must be 0-10, got {value}")


def validate_visit(visit: Visit, where: str = "visit", *, techniques: Collection[str] | None = None,
                   regions: Collection[str] | None = None,
                   findings: Collection[str] | None = None) -> None:
    """Raise ValueError naming the field when a visit breaks the contract; code sets are optional."""
    if visit.number < 1:
        _fail(f"{where}.number", f"must be 1 or more, got {visit.number}")
    if not visit.clinician.strip():
        _fail(f"{where}.clinician", "the treating clinician is required")
    for i, t in enumerate(visit.techniques):
        f = f"{where}.techniques[{i}]"
        _known(f"{f}.technique", t.technique, techniques, "technique")
        _known(f"{f}.region", t.region, regions, "region")
        _non_negative(f"{f}.minutes", t.minutes)
        _non_negative(f"{f}.seconds", t.seconds)
        if t.sets is not None and t.sets < 1:
            _fail(f"{f}.sets", f"must be 1 or more, got {t.sets}")
        if t.grade is not None and t.grade not in GRADES:
            _fail(f"{f}.grade", f"must be one of {', '.join(GRADES)}, got {t.grade!r}")
    for i, e in enumerate(visit.exercises):
        _non_negative(f"{where}.exercises[{i}].minutes", e.minutes)
        if not e.exercise_id:
            _fail(f"{where}.exercises[{i}].exercise_id", "is empty")
    for i, s in enumerate(visit.other_services):
        _non_negative(f"{where}.other_services[{i}].minutes", s.minutes)
        if not (len(s.cpt) == 5 and s.cpt.isdigit()):
            _fail(f"{where}.other_services[{i}].cpt", f"not a 5-digit CPT code: {s.cpt!r}")
    _non_negative(f"{where}.evaluation_minutes", visit.evaluation_minutes)
    if visit.within_session is not None:
        _nprs(f"{where}.within_session.nprs_before", visit.within_session.nprs_before)
        _nprs(f"{where}.within_session.nprs_after", visit.within_session.nprs_after)
    for i, a in enumerate(visit.adverse_events):
        f = f"{where}.adverse_events[{i}]"
        if a.severity not in ADVERSE_SEVERITIES:
            _fail(f"{f}.severity", f"must be one of {', '.join(ADVERSE_SEVERITIES)}")
        _non_negative(f"{f}.onset_hours", a.onset_hours)
        _non_negative(f"{f}.duration_hours", a.duration_hours)
    for code in sorted(visit.new_findings):
        _known(f"{where}.new_findings", code, findings, "finding")


def validate_episode(episode: Episode, *, techniques: Collection[str] | None = None,
                     regions: Collection[str] | None = None,
                     findings: Collection[str] | None = None) -> Episode:
    """Return the episode unchanged, or raise ValueError naming the first bad field."""
    if not episode.id:
        _fail("id", "is empty")
    if not episode.patient_ref:
        _fail("patient_ref", "is empty")
    _known("region", episode.region, regions, "region")
    numbers: set[int] = set()
    previous: date | None = None
    for i, v in enumerate(episode.visits):
        validate_visit(v, f"visits[{i}]", techniques=techniques, regions=regions, findings=findings)
        if v.number in numbers:
            _fail(f"visits[{i}].number", f"visit {v.number} appears twice")
        numbers.add(v.number)
        if v.date < episode.start:
            _fail(f"visits[{i}].date", f"{v.date} is before the episode start {episode.start}")
        if previous is not None and v.date < previous:
            _fail(f"visits[{i}].date", "visits must be in date order")
        previous = v.date
    for i, m in enumerate(episode.measures):
        if m.visit not in numbers:
            _fail(f"measures[{i}].visit", f"no visit {m.visit} in this episode")
        if not m.measure:
            _fail(f"measures[{i}].measure", "is empty")
    return episode


def timed_minutes(visit: Visit) -> int:
    """Direct one-on-one minutes of the timed services of a visit (evaluation excluded)."""
    return (sum(t.minutes for t in visit.techniques) + sum(e.minutes for e in visit.exercises)
            + sum(s.minutes for s in visit.other_services))


def red_flag_findings(visit: Visit, red_flag_codes: Iterable[str]) -> tuple[str, ...]:
    """The visit's new findings that are red-flag codes, sorted."""
    return tuple(sorted(visit.new_findings.intersection(red_flag_codes)))
