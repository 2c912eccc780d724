"""Billing units for 15-minute timed CPT codes: the CMS 8-minute total-time rule or the per-code rule.

Pure functions, no I/O. The code catalogue and the technique -> CPT map come from
`knowledge/billing.yaml` through `palpa.knowledge.episode_loader.load_billing`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from palpa.core.episode import Visit

Method = Literal["cms_8_minute", "per_code"]
METHODS: tuple[str, ...] = ("cms_8_minute", "per_code")
UNIT_MINUTES = 15      # each timed unit stands for 15 minutes of one-on-one time
MIDPOINT_MINUTES = 8   # a unit is reached once more than half of it (7.5 min) is given


@dataclass(frozen=True, slots=True)
class CptCode:
    """A CPT code Palpa bills, with a paraphrased descriptor (not AMA's wording)."""

    code: str
    name: str
    description: str
    timed: bool
    source: str
    typical_minutes: int | None = None


@dataclass(frozen=True, slots=True)
class BillingCatalogue:
    """Codes, the technique -> CPT map, the default exercise code and each method's source."""

    codes: Mapping[str, CptCode]
    technique_cpt: Mapping[str, str]
    exercise_cpt: str
    method_names: Mapping[str, str]
    method_sources: Mapping[str, str]

    def name(self, code: str) -> str:
        """The code's short name, or the code itself when unknown."""
        entry = self.codes.get(code)
        return entry.name if entry else code


@dataclass(frozen=True, slots=True)
class BilledLine:
    """One claim line: a code, its direct minutes and the units billed."""

    code: str
    minutes: int
    units: int
    timed: bool = True


@dataclass(frozen=True, slots=True)
class Billing:
    """The units of one visit, with the lines that explain how they were counted."""

    method: Method
    lines: tuple[BilledLine, ...]
    timed_minutes: int
    timed_units: int
    total_units: int
    total_treatment_minutes: int
    explanation: tuple[str, ...]

    def units(self, code: str) -> int:
        """Units billed for `code` (0 when not billed)."""
        return sum(line.units for line in self.lines if line.code == code)


def units_for_minutes(minutes: int) -> int:
    """Units for a number of timed minutes: 8-22 -> 1, 23-37 -> 2, ... (under 8 -> 0)."""
    if minutes < 0:
        raise ValueError(f"minutes: must be 0 or more, got {minutes}")
    full, rest = divmod(minutes, UNIT_MINUTES)
    return full + (1 if rest >= MIDPOINT_MINUTES else 0)


def _band(units: int) -> str:
    """The minute range that gives `units` units."""
    if units == 0:
        return f"under {MIDPOINT_MINUTES} minutes"
    low = UNIT_MINUTES * (units - 1) + MIDPOINT_MINUTES
    return f"{low}-{low + UNIT_MINUTES - 1} minutes"


def cms_8_minute_units(minutes_by_code: Mapping[str, int]) -> tuple[dict[str, int], list[str]]:
    """CMS total-time rule: total -> units; full 15-min units per code, then most minutes left."""
    total = sum(minutes_by_code.values())
    units = units_for_minutes(total)
    why = [f"Total timed minutes {total} -> {units} unit(s) ({_band(units)} bill {units})."]
    out = {code: m // UNIT_MINUTES for code, m in minutes_by_code.items()}
    for code, m in minutes_by_code.items():
        if out[code]:
            why.append(f"{code}: {m} min holds {out[code]} full 15-minute unit(s), "
                       f"{m % UNIT_MINUTES} min left.")
    extra = units - sum(out.values())
    order = list(minutes_by_code)
    ranked = sorted(order, key=lambda c: (-(minutes_by_code[c] % UNIT_MINUTES),
                                          -minutes_by_code[c], order.index(c)))
    for rank, code in enumerate(ranked[:extra]):
        left = minutes_by_code[code] % UNIT_MINUTES
        ties = [c for c in ranked[extra:] if minutes_by_code[c] % UNIT_MINUTES == left]
        out[code] += 1
        line = f"Remaining unit {rank + 1} of {extra} -> {code} ({left} min left, the most)."
        if ties:
            line += (f" Tie with {', '.join(ties)}: CMS lets the clinician bill either; Palpa "
                     "gives it to the code with more total minutes, then the first listed.")
        why.append(line)
    for code, m in minutes_by_code.items():
        if out[code] == 0 and m:
            why.append(f"{code}: {m} min bills no unit (its minutes count toward the total only).")
    return out, why


def per_code_units(minutes_by_code: Mapping[str, int]) -> tuple[dict[str, int], list[str]]:
    """Per-code midpoint rule: each code on its own minutes, 8 for the first unit, 23 for two, ..."""
    out = {code: units_for_minutes(m) for code, m in minutes_by_code.items()}
    why = [f"{code}: {m} min -> {out[code]} unit(s) ({_band(out[code])} of that code bill "
           f"{out[code]})." for code, m in minutes_by_code.items()]
    return out, why


def _check(minutes_by_code: Mapping[str, int], evaluation_code: str | None,
           catalogue: BillingCatalogue | None) -> None:
    for code, m in minutes_by_code.items():
        where = f"minutes_by_code[{code!r}]"
        if not (len(code) == 5 and code.isdigit()):
            raise ValueError(f"{where}: not a 5-digit CPT code")
        if isinstance(m, bool) or not isinstance(m, int) or m < 0:
            raise ValueError(f"{where}: minutes must be a whole number 0 or more, got {m!r}")
        if catalogue is not None:
            entry = catalogue.codes.get(code)
            if entry is None:
                raise ValueError(f"{where}: unknown CPT code")
            if not entry.timed:
                raise ValueError(f"{where}: {code} is untimed; pass it as evaluation_code")
    if evaluation_code is not None:
        if evaluation_code in minutes_by_code:
            raise ValueError(f"evaluation_code: {evaluation_code} is also listed as a timed code")
        if catalogue is not None:
            entry = catalogue.codes.get(evaluation_code)
            if entry is None or entry.timed:
                raise ValueError(f"evaluation_code: {evaluation_code!r} is not an untimed code")


def bill_visit(minutes_by_code: Mapping[str, int], method: Method, evaluation_code: str | None,
               *, evaluation_minutes: int = 0, catalogue: BillingCatalogue | None = None) -> Billing:
    """Units per code for one date of service; the evaluation code bills one untimed unit."""
    if method not in METHODS:
        raise ValueError(f"method: must be one of {', '.join(METHODS)}, got {method!r}")
    if evaluation_minutes < 0:
        raise ValueError(f"evaluation_minutes: must be 0 or more, got {evaluation_minutes}")
    _check(minutes_by_code, evaluation_code, catalogue)
    if method == "cms_8_minute":
        units, why = cms_8_minute_units(minutes_by_code)
    else:
        units, why = per_code_units(minutes_by_code)
    lines = [BilledLine(code, m, units[code]) for code, m in minutes_by_code.items()]
    timed_minutes = sum(minutes_by_code.values())
    timed_units = sum(units.values())
    if evaluation_code is not None:
        lines.insert(0, BilledLine(evaluation_code, evaluation_minutes, 1, timed=False))
        why.append(f"{evaluation_code}: untimed evaluation, 1 unit whatever its length; "
                   "its minutes are left out of the timed total.")
    return Billing(
        method=method, lines=tuple(lines), timed_minutes=timed_minutes, timed_units=timed_units,
        total_units=timed_units + (1 if evaluation_code is not None else 0),
        total_treatment_minutes=timed_minutes + evaluation_minutes, explanation=tuple(why))


def visit_minutes_by_code(visit: Visit, catalogue: BillingCatalogue) -> dict[str, int]:
    """Direct minutes of a visit per timed CPT code (techniques by the map, exercise by default)."""
    out: dict[str, int] = {}
    for i, t in enumerate(visit.techniques):
        code = catalogue.technique_cpt.get(t.technique)
        if code is None:
            raise ValueError(f"techniques[{i}].technique: no CPT code for {t.technique!r}")
        out[code] = out.get(code, 0) + t.minutes
    for e in visit.exercises:
        code = e.cpt or catalogue.exercise_cpt
        out[code] = out.get(code, 0) + e.minutes
    for s in visit.other_services:
        out[s.cpt] = out.get(s.cpt, 0) + s.minutes
    return out


def bill_recorded_visit(visit: Visit, catalogue: BillingCatalogue, method: Method) -> Billing:
    """Bill a recorded visit: its minutes per code, its evaluation code and evaluation minutes."""
    return bill_visit(visit_minutes_by_code(visit, catalogue), method, visit.evaluation_code,
                      evaluation_minutes=visit.evaluation_minutes, catalogue=catalogue)
