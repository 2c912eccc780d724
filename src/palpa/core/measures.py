"""Outcome-measure scoring: answer checks, missing-item rules, totals, subscales, change against the MCID.

Pure: the definitions (item ranges, rules, thresholds, sources) are data in knowledge/measures.yaml,
turned into `MeasureDef` by palpa.knowledge.measures_loader. Items are numbered answers only; Palpa
holds no item wording.

Scoring methods (the `scoring` field):
  sum                 total of the items
  mean                mean of the items (PSFS: the patient's 3 to 5 activities)
  percent_of_answered (sum - min) / (range x answered) x 100, so each unanswered item lowers the
                      denominator (ODI: 16/45 = 35.6%); reported in percent, or rescaled to the
                      measure's point range (NDI 0-50)
  quickdash           ((sum / answered) - 1) x 25 for 1-5 items, i.e. the answered mean rescaled to 0-100
  subscales           no total; each subscale is the sum of its items (FABQ)

Change rule (`change`): the change in the measure's better direction is compared with the MCID in
points of the reported score. An improvement of at least the MCID is "improved", a deterioration of
at least the MCID is "worse", anything smaller is "no_meaningful_change". Where a source also gives a
relative threshold (ODI: "10 points or 30%"), Palpa uses the absolute points only, so the same change
reads the same at every baseline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

Scoring = Literal["sum", "mean", "percent_of_answered", "quickdash", "subscales"]
Direction = Literal["higher_is_worse", "higher_is_better"]
Unit = Literal["points", "percent"]
ChangeResult = Literal["improved", "no_meaningful_change", "worse"]

_EPS = 1e-9  # change exactly equal to the MCID counts, whatever the float rounding


class MeasureError(ValueError):
    """Bad answers or values for a measure; `item` is the 1-based item at fault, when there is one."""

    def __init__(self, measure: str, problem: str, item: int | None = None) -> None:
        self.measure, self.problem, self.item = measure, problem, item
        where = f"{measure} item {item}" if item is not None else measure
        super().__init__(f"{where}: {problem}")


def fmt(value: float) -> str:
    """A number as a person writes it: 5, 35.6, -3."""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def span(low: float, high: float) -> str:
    """A range as a person writes it: 0-5, or -7 to 7 when it starts below zero."""
    return f"{fmt(low)}-{fmt(high)}" if low >= 0 else f"{fmt(low)} to {fmt(high)}"


@dataclass(frozen=True)
class Band:
    """One interpretation band: scores up to and including `upto` (and above the previous band)."""

    upto: float
    label: str


@dataclass(frozen=True)
class Threshold:
    """An MCID or MDC: `value` is None where none is established (the note says why)."""

    value: float | None
    unit: Unit
    source: str
    note: str = ""


@dataclass(frozen=True)
class Subscale:
    id: str
    name: str
    items: tuple[int, ...]
    item_min: int
    item_max: int
    mcid: float | None = None
    mdc: float | None = None
    bands: tuple[Band, ...] = ()

    @property
    def min(self) -> float:
        return float(len(self.items) * self.item_min)

    @property
    def max(self) -> float:
        return float(len(self.items) * self.item_max)


@dataclass(frozen=True)
class RiskRule:
    """STarT Back style stratification: low when total <= low_max_total, high when subscale >= ..."""

    subscale: str
    low_max_total: float
    high_min_subscale: float
    source: str


@dataclass(frozen=True)
class MeasureDef:
    id: str
    name: str
    items_min: int
    items_max: int
    item_min: int
    item_max: int
    max_missing: int
    scoring: Scoring
    score_min: float | None
    score_max: float | None
    unit: Unit
    direction: Direction
    mcid: Threshold
    source: str
    code: str  # the LOINC code, or palpa-<id> where LOINC has none
    loinc: str | None = None
    loinc_note: str = ""
    missing_rule: str = ""
    mdc: Threshold | None = None
    bands: tuple[Band, ...] = ()
    bands_source: str | None = None
    subscales: tuple[Subscale, ...] = ()
    risk: RiskRule | None = None

    def subscale(self, sid: str) -> Subscale:
        for s in self.subscales:
            if s.id == sid:
                return s
        valid = ", ".join(s.id for s in self.subscales) or "none"
        raise MeasureError(self.id, f"no subscale {sid!r} (subscales: {valid})")

    def scored_items(self, count: int) -> tuple[int, ...]:
        """1-based items that count towards the score when `count` answers were given."""
        if self.scoring == "subscales":
            return tuple(sorted({i for s in self.subscales for i in s.items}))
        return tuple(range(1, count + 1))


@dataclass(frozen=True)
class Score:
    measure: str
    score: float | None  # None when the measure has subscales only (FABQ)
    max: float | None
    percent: float | None  # only where the instrument reports a percentage
    subscores: dict[str, float]
    interpretation: str | None
    mcid: float | None
    mcid_source: str
    direction: Direction
    answered: int
    missing: int
    source: str
    loinc: str | None
    code: str
    min: float | None = None
    subscore_max: dict[str, float] = field(default_factory=dict)
    subscore_interpretation: dict[str, str] = field(default_factory=dict)
    subscore_mcid: dict[str, float | None] = field(default_factory=dict)
    risk: Literal["low", "medium", "high"] | None = None


def band(bands: Sequence[Band], value: float) -> str | None:
    """The label of the first band whose upper bound holds `value`."""
    for b in bands:
        if value <= b.upto + _EPS:
            return b.label
    return None


def _whole(measure: MeasureDef, item: int, answer: object) -> int:
    if isinstance(answer, bool) or not isinstance(answer, int | float) or not math.isfinite(answer):
        raise MeasureError(measure.id, f"{answer!r} is not a number", item)
    if not float(answer).is_integer():
        raise MeasureError(measure.id, f"{fmt(answer)} is not a whole number", item)
    value = int(answer)
    if not measure.item_min <= value <= measure.item_max:
        raise MeasureError(measure.id, f"{value} is out of range {span(measure.item_min, measure.item_max)}",
                           item)
    return value


def check_answers(measure: MeasureDef, answers: Sequence[float | None]) -> list[int | None]:
    """Validated answers (None = missing), or MeasureError naming the item or the count at fault."""
    n = len(answers)
    if not measure.items_min <= n <= measure.items_max:
        want = (str(measure.items_min) if measure.items_min == measure.items_max
                else f"{measure.items_min} to {measure.items_max}")
        raise MeasureError(measure.id, f"{n} answer{'s' * (n != 1)} given, expected {want}")
    values = [None if a is None else _whole(measure, i, a) for i, a in enumerate(answers, 1)]
    missing = [i for i in measure.scored_items(n) if values[i - 1] is None]
    if len(missing) > measure.max_missing:
        allowed = f"at most {measure.max_missing} allowed" if measure.max_missing else "none allowed"
        items = ", ".join(map(str, missing))
        raise MeasureError(measure.id, f"{len(missing)} item{'s' * (len(missing) != 1)} missing "
                                       f"(item{'s' * (len(missing) != 1)} {items}), {allowed}")
    return values


def score(measure: MeasureDef, answers: Sequence[float | None]) -> Score:
    """Score one completed questionnaire; answers are in item order, None for an unanswered item."""
    values = check_answers(measure, answers)
    scored = measure.scored_items(len(values))
    given = [v for i in scored if (v := values[i - 1]) is not None]
    total: float | None = None
    percent: float | None = None
    width = measure.item_max - measure.item_min
    if measure.scoring == "sum":
        total = float(sum(given))
    elif measure.scoring == "mean":
        total = sum(given) / len(given)
    elif measure.scoring in ("quickdash", "percent_of_answered"):
        above_floor, room = sum(given) - measure.item_min * len(given), width * len(given)
        share = above_floor * 100 / room  # percent of the answered items' range
        if measure.scoring == "quickdash":
            total = share
        else:
            percent = share
            low, high = measure.score_min or 0.0, measure.score_max or 100.0
            total = share if measure.unit == "percent" else low + above_floor * (high - low) / room
    subscores = {s.id: float(sum(v for i in s.items if (v := values[i - 1]) is not None))
                 for s in measure.subscales}
    interpretation = band(measure.bands, total) if total is not None else None
    risk: Literal["low", "medium", "high"] | None = None
    if measure.risk is not None and total is not None:
        rule = measure.risk
        if total <= rule.low_max_total:
            risk = "low"
        elif subscores[rule.subscale] >= rule.high_min_subscale:
            risk = "high"
        else:
            risk = "medium"
        interpretation = f"{risk} risk"
    sub_labels = {s.id: label for s in measure.subscales
                  if (label := band(s.bands, subscores[s.id])) is not None}
    return Score(
        measure=measure.id, score=total, max=measure.score_max, percent=percent, subscores=subscores,
        interpretation=interpretation, mcid=measure.mcid.value, mcid_source=measure.mcid.source,
        direction=measure.direction, answered=len(given), missing=len(scored) - len(given),
        source=measure.source, loinc=measure.loinc, code=measure.code, min=measure.score_min,
        subscore_max={s.id: s.max for s in measure.subscales},
        subscore_interpretation=sub_labels,
        subscore_mcid={s.id: s.mcid for s in measure.subscales}, risk=risk)


def _in_range(measure: MeasureDef, what: str, value: float, low: float | None, high: float | None) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise MeasureError(measure.id, f"{what} {value!r} is not a number")
    if low is not None and high is not None and not low - _EPS <= value <= high + _EPS:
        raise MeasureError(measure.id, f"{what} {fmt(value)} is out of range {span(low, high)}")


def change(measure: MeasureDef, baseline: float, current: float,
           subscale: str | None = None) -> ChangeResult:
    """Whether the change from `baseline` to `current` reaches the MCID, in the measure's direction.

    Both values are scores as `score()` reports them (ODI percent, NDI points 0-50, ...). Measures
    with subscales only (FABQ) need `subscale`. Measures without an MCID (GROC rates change itself;
    STarT Back stratifies) raise MeasureError.
    """
    mcid: float | None
    low: float | None
    high: float | None
    if subscale is not None:
        sub = measure.subscale(subscale)
        mcid, low, high = sub.mcid, sub.min, sub.max
    elif measure.scoring == "subscales":
        names = ", ".join(s.id for s in measure.subscales)
        raise MeasureError(measure.id, f"change needs a subscale ({names})")
    else:
        mcid, low, high = measure.mcid.value, measure.score_min, measure.score_max
    if mcid is None:
        why = f": {measure.mcid.note}" if measure.mcid.note else ""
        raise MeasureError(measure.id, f"has no MCID to judge change against{why}")
    _in_range(measure, "baseline", baseline, low, high)
    _in_range(measure, "current", current, low, high)
    gain = current - baseline if measure.direction == "higher_is_better" else baseline - current
    if gain >= mcid - _EPS:
        return "improved"
    if gain <= -mcid + _EPS:
        return "worse"
    return "no_meaningful_change"
