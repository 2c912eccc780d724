"""Load billing.yaml and progress.yaml into core values, and episodes from JSON.

A bad entry fails with KnowledgeError naming the file, the entry and the field; every `source`
must be a key of the merged bibliography (sources.yaml + sources_*.yaml).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import msgspec

from palpa.core.billing import METHODS, UNIT_MINUTES, BillingCatalogue, CptCode
from palpa.core.episode import Episode, validate_episode
from palpa.core.knowledge import KnowledgeBase
from palpa.core.progress import TRIGGER_IDS, ProgressRules, TriggerRule
from palpa.knowledge.loader import KNOWLEDGE_DIR, KnowledgeError, convert, load_sources, read_yaml
from palpa.knowledge.schema import Strict, VocabularyFile

BILLING = "billing.yaml"
PROGRESS = "progress.yaml"


class MethodEntry(Strict, frozen=True):
    name: str
    text: str
    source: str


class CodeEntry(Strict, frozen=True, kw_only=True):
    name: str
    timed: bool
    description: str
    source: str
    unit_minutes: int | None = None
    typical_minutes: int | None = None


class BillingFile(Strict, frozen=True):
    version: int
    methods: dict[Literal["cms_8_minute", "per_code"], MethodEntry]
    codes: dict[str, CodeEntry]
    technique_cpt: dict[str, str]
    technique_cpt_source: str
    exercise_cpt: str


class TriggerEntry(Strict, frozen=True):
    id: str
    what_to_do: str
    why: str
    source: str


class ProgressFile(Strict, frozen=True):
    version: int
    no_change_after_visits: int
    no_change_source: str
    soreness_expected_max_hours: float
    soreness_source: str
    progress_report_every_visits: int
    progress_report_source: str
    triggers: list[TriggerEntry]


def _source(file: str, entry: str, key: str, known: Mapping[str, object], field: str = "source") -> str:
    if key not in known:
        raise KnowledgeError(file, entry, field, f"unknown source key {key!r}")
    return key


def _techniques(directory: Path) -> tuple[str, ...]:
    vocab = convert("vocabulary.yaml", read_yaml(directory, "vocabulary.yaml"), VocabularyFile)
    return tuple(vocab.techniques)


def load_billing_from(directory: Path) -> BillingCatalogue:
    """Read and check `billing.yaml` in `directory` (raises KnowledgeError)."""
    f = BILLING
    data = convert(f, read_yaml(directory, f), BillingFile)
    sources = load_sources(directory)
    for method in METHODS:
        if method not in data.methods:
            raise KnowledgeError(f, method, "methods", "method is missing")
    codes: dict[str, CptCode] = {}
    for code, c in data.codes.items():
        if not (len(code) == 5 and code.isdigit()):
            raise KnowledgeError(f, code, "codes", "a CPT code has 5 digits")
        if c.timed and c.unit_minutes != UNIT_MINUTES:
            raise KnowledgeError(f, code, "unit_minutes", f"timed codes must be {UNIT_MINUTES}-minute codes")
        if not c.timed and c.unit_minutes is not None:
            raise KnowledgeError(f, code, "unit_minutes", "untimed codes have no unit minutes")
        codes[code] = CptCode(code, c.name, c.description, c.timed, _source(f, code, c.source, sources),
                              c.typical_minutes)

    def timed_code(entry: str, field: str, code: str) -> str:
        if code not in codes or not codes[code].timed:
            raise KnowledgeError(f, entry, field, f"{code!r} is not a timed code in codes")
        return code

    techniques = _techniques(directory)
    for tech, code in data.technique_cpt.items():
        if tech not in techniques:
            raise KnowledgeError(f, tech, "technique_cpt", f"unknown technique code {tech!r}")
        timed_code(tech, "technique_cpt", code)
    missing = [t for t in techniques if t not in data.technique_cpt]
    if missing:
        raise KnowledgeError(f, None, "technique_cpt", f"no CPT code for {missing}")
    _source(f, "technique_cpt", data.technique_cpt_source, sources, "technique_cpt_source")
    return BillingCatalogue(
        codes=codes, technique_cpt=dict(data.technique_cpt),
        exercise_cpt=timed_code("exercise_cpt", "exercise_cpt", data.exercise_cpt),
        method_names={m: e.name for m, e in data.methods.items()},
        method_sources={m: _source(f, m, e.source, sources) for m, e in data.methods.items()},
    )


def load_progress_rules_from(directory: Path) -> ProgressRules:
    """Read and check `progress.yaml` in `directory` (raises KnowledgeError)."""
    f = PROGRESS
    data = convert(f, read_yaml(directory, f), ProgressFile)
    sources = load_sources(directory)
    for name, value in (("no_change_after_visits", data.no_change_after_visits),
                        ("soreness_expected_max_hours", data.soreness_expected_max_hours),
                        ("progress_report_every_visits", data.progress_report_every_visits)):
        if value <= 0:
            raise KnowledgeError(f, "parameters", name, "must be more than 0")
    for field in ("no_change_source", "soreness_source", "progress_report_source"):
        _source(f, "parameters", getattr(data, field), sources, field)
    rules: dict[str, TriggerRule] = {}
    for t in data.triggers:
        if t.id in rules:
            raise KnowledgeError(f, t.id, "id", "duplicate id")
        if t.id not in TRIGGER_IDS:
            raise KnowledgeError(f, t.id, "id", f"unknown trigger; known: {', '.join(TRIGGER_IDS)}")
        rules[t.id] = TriggerRule(t.id, t.what_to_do, t.why, _source(f, t.id, t.source, sources))
    missing = [t for t in TRIGGER_IDS if t not in rules]
    if missing:
        raise KnowledgeError(f, None, "triggers", f"no entry for {missing}")
    return ProgressRules(data.no_change_after_visits, data.soreness_expected_max_hours,
                         data.progress_report_every_visits, rules)


@lru_cache(maxsize=1)
def load_billing() -> BillingCatalogue:
    """The packaged billing catalogue, loaded and checked once per process."""
    return load_billing_from(KNOWLEDGE_DIR)


@lru_cache(maxsize=1)
def load_progress_rules() -> ProgressRules:
    """The packaged reassessment rules, loaded and checked once per process."""
    return load_progress_rules_from(KNOWLEDGE_DIR)


def decode_episode(data: bytes | str | Mapping[str, Any], kb: KnowledgeBase | None = None,
                   name: str = "episode") -> Episode:
    """An Episode from JSON or parsed JSON (ValueError names the field); `kb` checks its codes."""
    try:
        if isinstance(data, bytes | str):
            episode = msgspec.json.decode(data, type=Episode)
        else:
            episode = msgspec.convert(data, type=Episode)
    except msgspec.ValidationError as exc:
        raise ValueError(f"{name}: {exc}") from None
    except msgspec.DecodeError as exc:
        raise ValueError(f"{name}: not valid JSON: {exc}") from None
    try:
        if kb is None:
            return validate_episode(episode)
        v = kb.vocabulary
        return validate_episode(episode, techniques=v.techniques, regions=v.regions,
                                findings=v.findings)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def load_episode(path: Path, kb: KnowledgeBase | None = None) -> Episode:
    """Read an episode JSON file (see src/palpa/data/demo_episode.json)."""
    return decode_episode(path.read_bytes(), kb, path.name)
