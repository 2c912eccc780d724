"""Load and check patient_language.yaml: plain words for regions, warning signs, techniques, soreness.

A bad entry fails with KnowledgeError naming the file, the entry and the field.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import msgspec

from palpa.core.knowledge import KnowledgeBase
from palpa.knowledge.loader import KNOWLEDGE_DIR, KnowledgeError, convert, load_knowledge, read_yaml
from palpa.knowledge.schema import GroupsFile, Strict

FILE = "patient_language.yaml"
Level = Literal["emergency", "urgent", "refer"]
LEVELS: tuple[Level, ...] = ("emergency", "urgent", "refer")  # most urgent first


class _Wording(Strict, frozen=True):
    heading: str
    text: str


class _LevelWordings(Strict, frozen=True):
    source: str
    levels: dict[Level, _Wording]


class _SignGroup(Strict, frozen=True, kw_only=True):
    level: Level
    say: list[str]
    regions: list[str] | None = None


class _FlagEntry(Strict, frozen=True):
    concern: str
    signs: list[_SignGroup]
    source: str


class _TechniqueEntry(Strict, frozen=True):
    name: str
    text: str
    source: str


class _Soreness(Strict, frozen=True):
    title: str
    text: str
    sources: list[str]
    replaces_topics: list[str] = msgspec.field(default_factory=list)


class _PatientLanguageFile(Strict, frozen=True):
    version: int
    regions: dict[str, str]
    actions: _LevelWordings
    now: _LevelWordings
    red_flags: dict[str, _FlagEntry]
    manual_therapy_intro_topic: str
    techniques: dict[str, _TechniqueEntry]
    soreness: _Soreness


@dataclass(frozen=True, slots=True)
class Wording:
    """A heading and its text, written to the patient."""

    heading: str
    text: str


@dataclass(frozen=True, slots=True)
class SignGroup:
    """Warning signs of one red flag that call for the same action, and the regions they concern."""

    level: Level
    signs: tuple[str, ...]
    regions: frozenset[str]


@dataclass(frozen=True, slots=True)
class FlagWording:
    """One red flag in plain words: what is suspected and its warning signs."""

    id: str
    concern: str
    groups: tuple[SignGroup, ...]
    source: str


@dataclass(frozen=True, slots=True)
class TechniqueWording:
    """One technique in plain words."""

    id: str
    name: str
    text: str
    source: str


@dataclass(frozen=True, slots=True)
class PatientLanguage:
    """The validated content of patient_language.yaml, keyed by vocabulary codes."""

    regions: dict[str, str]
    actions: dict[Level, Wording]
    actions_source: str
    now: dict[Level, Wording]
    now_source: str
    red_flags: dict[str, FlagWording]
    manual_therapy_intro_topic: str
    techniques: dict[str, TechniqueWording]
    soreness: Wording
    soreness_sources: tuple[str, ...]
    soreness_replaces_topics: frozenset[str]


def _require_all(entry: str | None, field: str, have: Iterable[str], want: Iterable[str]) -> None:
    missing = [code for code in want if code not in set(have)]
    if missing:
        raise KnowledgeError(FILE, entry, field, f"no entry for {missing}")


def _source(kb: KnowledgeBase, entry: str, key: str, field: str = "source") -> str:
    if key not in kb.sources:
        raise KnowledgeError(FILE, entry, field, f"unknown source key {key!r}")
    return key


def _nonblank(entry: str, field: str, text: str) -> str:
    if not text.strip():
        raise KnowledgeError(FILE, entry, field, "must not be empty")
    return text


def _regions(kb: KnowledgeBase, groups: dict[str, list[str]], entry: str, names: list[str]) -> frozenset[str]:
    out: set[str] = set()
    for name in names:
        if name in groups:
            out.update(groups[name])
        elif name in kb.vocabulary.regions:
            out.add(name)
        else:
            raise KnowledgeError(FILE, entry, "regions", f"unknown region or group {name!r}")
    return frozenset(out)


def _flag(kb: KnowledgeBase, groups: dict[str, list[str]], fid: str, e: _FlagEntry) -> FlagWording:
    """Check one flag against the rules of red_flags.yaml that raise it."""
    all_regions = frozenset(kb.vocabulary.regions)
    covered: dict[str, frozenset[str]] = {}  # urgency -> regions some rule of that urgency covers
    for rule in kb.red_flag_rules:
        if rule.flag == fid:
            level = rule.urgency.code
            covered[level] = covered.get(level, frozenset()) | (rule.conditions.regions or all_regions)
    if not e.signs:
        raise KnowledgeError(FILE, fid, "signs", "at least one group of warning signs is required")
    out = []
    for i, g in enumerate(e.signs):
        where = f"{fid}.signs[{i}]"
        if g.level not in covered:
            raise KnowledgeError(FILE, where, "level",
                                 f"no rule in red_flags.yaml raises {fid} at level {g.level!r}")
        regions = (_regions(kb, groups, where, g.regions) if g.regions is not None
                   else frozenset().union(*covered.values()))
        if not regions & covered[g.level]:
            raise KnowledgeError(FILE, where, "regions",
                                 f"no {g.level} rule of {fid} covers any of {sorted(regions)}")
        if not g.say:
            raise KnowledgeError(FILE, where, "say", "at least one warning sign is required")
        signs = tuple(_nonblank(where, "say", s) for s in g.say)
        out.append(SignGroup(g.level, signs, regions))
    top = next(level for level in LEVELS if level in covered)
    if all(g.level != top for g in out):
        raise KnowledgeError(FILE, fid, "signs",
                             f"red_flags.yaml raises {fid} at level {top!r}: give its signs at that level")
    return FlagWording(fid, _nonblank(fid, "concern", e.concern), tuple(out), _source(kb, fid, e.source))


def _levels(kb: KnowledgeBase, name: str, spec: _LevelWordings) -> dict[Level, Wording]:
    _require_all(name, "levels", spec.levels, LEVELS)
    _source(kb, name, spec.source)
    return {lvl: Wording(_nonblank(f"{name}.{lvl}", "heading", w.heading),
                         _nonblank(f"{name}.{lvl}", "text", w.text))
            for lvl, w in spec.levels.items()}


def load_patient_language_from(directory: Path, kb: KnowledgeBase) -> PatientLanguage:
    """Load `patient_language.yaml` from `directory` and check it against `kb` (raises KnowledgeError)."""
    raw = convert(FILE, read_yaml(directory, FILE), _PatientLanguageFile)
    groups = convert("groups.yaml", read_yaml(directory, "groups.yaml"), GroupsFile).groups
    vocab = kb.vocabulary
    topics = {t.id for t in kb.education}

    for code in raw.regions:
        if code not in vocab.regions:
            raise KnowledgeError(FILE, code, "regions", f"unknown region code {code!r}")
    _require_all(None, "regions", raw.regions, vocab.regions)

    for fid in raw.red_flags:
        if fid not in vocab.red_flags:
            raise KnowledgeError(FILE, fid, "red_flags", f"unknown red flag id {fid!r}")
    _require_all(None, "red_flags", raw.red_flags, vocab.red_flags)
    flags = {fid: _flag(kb, groups, fid, e) for fid, e in raw.red_flags.items()}

    for code in raw.techniques:
        if code not in vocab.techniques:
            raise KnowledgeError(FILE, code, "techniques", f"unknown technique code {code!r}")
    _require_all(None, "techniques", raw.techniques, vocab.techniques)
    if raw.manual_therapy_intro_topic not in topics:
        raise KnowledgeError(FILE, None, "manual_therapy_intro_topic",
                             f"unknown education topic {raw.manual_therapy_intro_topic!r}")
    techniques = {code: TechniqueWording(code, _nonblank(code, "name", t.name),
                                         _nonblank(code, "text", t.text), _source(kb, code, t.source))
                  for code, t in raw.techniques.items()}

    s = raw.soreness
    if not s.sources:
        raise KnowledgeError(FILE, "soreness", "sources", "at least one source is required")
    for key in s.sources:
        _source(kb, "soreness", key, "sources")
    for topic in s.replaces_topics:
        if topic not in topics:
            raise KnowledgeError(FILE, "soreness", "replaces_topics", f"unknown education topic {topic!r}")

    return PatientLanguage(
        regions={code: _nonblank(code, "regions", text) for code, text in raw.regions.items()},
        actions=_levels(kb, "actions", raw.actions), actions_source=raw.actions.source,
        now=_levels(kb, "now", raw.now), now_source=raw.now.source,
        red_flags=flags, manual_therapy_intro_topic=raw.manual_therapy_intro_topic, techniques=techniques,
        soreness=Wording(_nonblank("soreness", "title", s.title), _nonblank("soreness", "text", s.text)),
        soreness_sources=tuple(s.sources), soreness_replaces_topics=frozenset(s.replaces_topics),
    )


@lru_cache(maxsize=1)
def load_patient_language() -> PatientLanguage:
    """The packaged patient language, checked against the packaged knowledge base, once per process."""
    return load_patient_language_from(KNOWLEDGE_DIR, load_knowledge())
