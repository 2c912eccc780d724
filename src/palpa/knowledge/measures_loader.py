"""Load knowledge/measures.yaml into core `MeasureDef`s; a bad entry fails with file, entry and field."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import msgspec

from palpa.core.measures import Band, MeasureDef, RiskRule, Subscale, Threshold
from palpa.knowledge.loader import KNOWLEDGE_DIR, KnowledgeError, convert, load_sources, read_yaml
from palpa.knowledge.schema import Strict

FILE = "measures.yaml"
_ID = re.compile(r"[a-z][a-z0-9]*")
_LOINC = re.compile(r"\d{1,7}-\d")

Unit = Literal["points", "percent"]


class ItemCount(Strict, frozen=True):
    min: int
    max: int


class Range(Strict, frozen=True):
    min: float
    max: float


class BandEntry(Strict, frozen=True):
    upto: float
    label: str


class McidEntry(Strict, frozen=True, kw_only=True):
    value: float | None
    unit: Unit
    source: str
    note: str = ""
    see_also: list[str] = msgspec.field(default_factory=list)


class MdcEntry(Strict, frozen=True, kw_only=True):
    value: float
    source: str
    note: str = ""


class InterpretationEntry(Strict, frozen=True, kw_only=True):
    source: str
    bands: list[BandEntry] = msgspec.field(default_factory=list)
    note: str = ""
    see_also: list[str] = msgspec.field(default_factory=list)


class SubscaleEntry(Strict, frozen=True, kw_only=True):
    name: str
    items: list[int]
    mcid: float | None = None
    mdc: float | None = None
    bands: list[BandEntry] = msgspec.field(default_factory=list)


class RiskEntry(Strict, frozen=True):
    subscale: str
    low_max_total: int
    high_min_subscale: int
    source: str


class LoincEntry(Strict, frozen=True):
    code: str | None
    note: str


class MeasureEntry(Strict, frozen=True, kw_only=True):
    name: str
    items: int | ItemCount
    item_min: int
    item_max: int
    max_missing: int
    missing_rule: str
    scoring: Literal["sum", "mean", "percent_of_answered", "quickdash", "subscales"]
    unit: Unit
    direction: Literal["higher_is_worse", "higher_is_better"]
    mcid: McidEntry
    loinc: LoincEntry
    source: str
    missing_source: str | None = None
    range: Range | None = None
    mdc: MdcEntry | None = None
    interpretation: InterpretationEntry | None = None
    subscales: dict[str, SubscaleEntry] = msgspec.field(default_factory=dict)
    risk: RiskEntry | None = None


class MeasuresFile(Strict, frozen=True):
    version: int
    measures: dict[str, MeasureEntry]


def _bands(mid: str, field: str, bands: list[BandEntry], high: float | None) -> tuple[Band, ...]:
    uptos = [b.upto for b in bands]
    if uptos != sorted(set(uptos)):
        raise KnowledgeError(FILE, mid, field, "band bounds must rise strictly")
    if bands and high is not None and uptos[-1] != high:
        raise KnowledgeError(FILE, mid, field, f"the last band must end at the maximum {high:g}")
    return tuple(Band(b.upto, b.label) for b in bands)


def _expected_range(m: MeasureEntry, count: int) -> tuple[float, float] | None:
    """The score range the scoring method implies (None when it depends on the entry's unit)."""
    if m.scoring == "sum":
        return float(count * m.item_min), float(count * m.item_max)
    if m.scoring == "mean":
        return float(m.item_min), float(m.item_max)
    if m.scoring == "quickdash" or (m.scoring == "percent_of_answered" and m.unit == "percent"):
        return 0.0, 100.0
    if m.scoring == "percent_of_answered":
        return float(count * m.item_min), float(count * m.item_max)
    return None


def _measure(mid: str, m: MeasureEntry, sources: set[str]) -> MeasureDef:
    def cite(key: str, field: str) -> str:
        if key not in sources:
            raise KnowledgeError(FILE, mid, field, f"unknown source key {key!r}")
        return key

    if not _ID.fullmatch(mid):
        raise KnowledgeError(FILE, mid, None, "measure ids are lower case [a-z0-9]")
    lo, hi = (m.items, m.items) if isinstance(m.items, int) else (m.items.min, m.items.max)
    if not 1 <= lo <= hi:
        raise KnowledgeError(FILE, mid, "items", f"item count {lo}-{hi} is not a valid range")
    if m.item_min >= m.item_max:
        raise KnowledgeError(FILE, mid, "item_max", "item_max must exceed item_min")
    if not 0 <= m.max_missing < lo:
        raise KnowledgeError(FILE, mid, "max_missing", f"must be 0 to {lo - 1}")
    if m.max_missing and m.scoring == "sum":
        raise KnowledgeError(FILE, mid, "max_missing", "a sum cannot allow missing items; "
                                                       "use percent_of_answered, mean or quickdash")
    if m.scoring in ("percent_of_answered", "quickdash") and lo != hi:
        raise KnowledgeError(FILE, mid, "items", f"{m.scoring} needs a fixed item count")
    for key, field in ((m.source, "source"), (m.missing_source, "missing_source")):
        if key is not None:
            cite(key, field)
    cite(m.mcid.source, "mcid")
    for key in m.mcid.see_also:
        cite(key, "mcid")
    if m.mdc is not None:
        cite(m.mdc.source, "mdc")
    if m.mcid.unit != "points":
        raise KnowledgeError(FILE, mid, "mcid", "give the MCID in points of the reported score")

    if m.scoring == "subscales":
        if not m.subscales:
            raise KnowledgeError(FILE, mid, "subscales", "scoring 'subscales' needs subscales")
        if m.range is not None:
            raise KnowledgeError(FILE, mid, "range", "a measure scored by subscales only has no total range")
        if m.interpretation is not None and m.interpretation.bands:
            raise KnowledgeError(FILE, mid, "interpretation", "put the bands on the subscales")
    elif m.range is None:
        raise KnowledgeError(FILE, mid, "range", "the score range is required")
    elif m.range.min >= m.range.max:
        raise KnowledgeError(FILE, mid, "range", "range.max must exceed range.min")
    else:
        expected = _expected_range(m, hi)
        if expected is not None and expected != (m.range.min, m.range.max):
            raise KnowledgeError(FILE, mid, "range", f"{m.scoring} of these items gives "
                                                     f"{expected[0]:g}-{expected[1]:g}")

    subscales: list[Subscale] = []
    for sid, s in m.subscales.items():
        if not _ID.fullmatch(sid):
            raise KnowledgeError(FILE, mid, "subscales", f"subscale ids are lower case [a-z0-9]: {sid!r}")
        if not s.items or len(set(s.items)) != len(s.items) or not all(1 <= i <= lo for i in s.items):
            raise KnowledgeError(FILE, mid, "subscales", f"subscale {sid!r}: items must be distinct, 1-{lo}")
        top = float(len(s.items) * m.item_max)
        subscales.append(Subscale(sid, s.name, tuple(s.items), m.item_min, m.item_max, s.mcid, s.mdc,
                                  _bands(mid, f"subscales.{sid}.bands", s.bands, top)))
    bands: tuple[Band, ...] = ()
    bands_source = None
    if m.interpretation is not None:
        bands_source = cite(m.interpretation.source, "interpretation")
        for key in m.interpretation.see_also:
            cite(key, "interpretation")
        bands = _bands(mid, "interpretation", m.interpretation.bands,
                       m.range.max if m.range is not None else None)

    risk = None
    if m.risk is not None:
        if m.risk.subscale not in m.subscales:
            raise KnowledgeError(FILE, mid, "risk", f"unknown subscale {m.risk.subscale!r}")
        risk = RiskRule(m.risk.subscale, m.risk.low_max_total, m.risk.high_min_subscale,
                        cite(m.risk.source, "risk"))

    code = m.loinc.code
    if code is not None and not _LOINC.fullmatch(code):
        raise KnowledgeError(FILE, mid, "loinc", f"{code!r} is not a LOINC code (digits-check digit)")
    if not m.loinc.note.strip():
        raise KnowledgeError(FILE, mid, "loinc", "say where the code was checked, or what was searched")

    return MeasureDef(
        id=mid, name=m.name, items_min=lo, items_max=hi, item_min=m.item_min, item_max=m.item_max,
        max_missing=m.max_missing, scoring=m.scoring,
        score_min=m.range.min if m.range is not None else None,
        score_max=m.range.max if m.range is not None else None,
        unit=m.unit, direction=m.direction,
        mcid=Threshold(m.mcid.value, m.mcid.unit, m.mcid.source, m.mcid.note),
        source=m.source, code=code if code is not None else f"palpa-{mid}", loinc=code,
        loinc_note=m.loinc.note, missing_rule=m.missing_rule,
        mdc=Threshold(m.mdc.value, m.mcid.unit, m.mdc.source, m.mdc.note) if m.mdc is not None else None,
        bands=bands, bands_source=bands_source, subscales=tuple(subscales), risk=risk)


def load_measures_from(directory: Path) -> dict[str, MeasureDef]:
    """Load and validate `measures.yaml` in `directory` against the merged sources (KnowledgeError)."""
    data = convert(FILE, read_yaml(directory, FILE), MeasuresFile)
    sources = set(load_sources(directory))
    return {mid: _measure(mid, m, sources) for mid, m in data.measures.items()}


@lru_cache(maxsize=1)
def load_measures() -> dict[str, MeasureDef]:
    """The packaged measure definitions, loaded and validated once per process."""
    return load_measures_from(KNOWLEDGE_DIR)
