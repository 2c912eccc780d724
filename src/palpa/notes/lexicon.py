"""Note lexicon and ConText cues: schemas, validation and patterns compiled once per process."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TypeVar

import msgspec

from palpa.knowledge.loader import KNOWLEDGE_DIR, KnowledgeError, convert, read_yaml
from palpa.knowledge.schema import Strict, VocabularyFile
from palpa.notes.matcher import FLAGS, MultiMatcher

LEXICON_FILE = "note_lexicon.yaml"
CONTEXT_FILE = "note_context.yaml"
GAP = r"[^.;!?\n]{0,80}?"  # what `...` in an enclosing cue may span: never a sentence end
FUZZY_MIN = 8  # single-word literal patterns at least this long also match one edit away

Category = Literal["negated", "family", "hypothetical", "historical"]
CueKind = Literal["negated", "family", "hypothetical", "historical", "pseudo", "termination"]
Direction = Literal["forward", "backward", "bidirectional", "enclosed"]
T = TypeVar("T")


class LexiconEntry(Strict, kw_only=True, frozen=True):
    """One finding's entry in note_lexicon.yaml."""

    code: str
    patterns: list[str]
    current_only: bool = False
    alongside: bool = False


class LexiconFile(Strict, kw_only=True, frozen=True):
    """note_lexicon.yaml; each finding entry is converted on its own so errors name it."""

    version: int
    findings: list[Any]
    macros: dict[str, str] = msgspec.field(default_factory=dict)
    ignore: list[str] = msgspec.field(default_factory=list)
    fuzzy_exclude: list[str] = msgspec.field(default_factory=list)


class CueEntry(Strict, kw_only=True, frozen=True):
    """One cue of note_context.yaml."""

    cue: str
    category: CueKind
    direction: Direction | None = None
    window: int | None = None
    codes: list[str] | None = None
    not_codes: list[str] = msgspec.field(default_factory=list)
    resolves: bool = False


class ContextFile(Strict, kw_only=True, frozen=True):
    """note_context.yaml; each cue is converted on its own so errors name it."""

    version: int
    window: int
    cues: list[Any]
    skip_words: list[str] = msgspec.field(default_factory=list)
    abbreviations: list[str] = msgspec.field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The compiled note lexicon: finding codes, their matcher and the one-edit fallback."""

    codes: tuple[str, ...]  # per pattern group; "" for an ignore pattern
    patterns: tuple[tuple[str, ...], ...]  # per pattern group, its patterns' regexes
    matcher: MultiMatcher  # over every pattern on its own, so each is tried only where it can start
    owners: tuple[int, ...]  # per pattern of the matcher, its group
    current_only: frozenset[str]
    alongside: frozenset[str]  # findings whose matches neither hide nor are hidden by other findings' matches
    fuzzy_words: Mapping[str, tuple[str, ...]]  # literal word -> its codes
    fuzzy_index: Mapping[str, tuple[str, ...]]  # word or word less one letter -> literal words
    fuzzy_exclude: frozenset[str]  # real words one edit from a literal word: never corrected


@dataclass(frozen=True, slots=True)
class CueRule:
    """One compiled cue."""

    text: str
    category: CueKind
    direction: Direction | None
    window: int
    codes: frozenset[str] | None  # applies only to these findings (None: all)
    not_codes: frozenset[str]  # never applies to these findings
    resolves: bool = False  # a status said after a finding ("swallow normal", "voice recovered"): it
    # overrides the same finding's earlier present mentions


@dataclass(frozen=True, slots=True)
class ContextRules:
    """The compiled ConText cues, scope window and sentence rules."""

    rules: tuple[CueRule, ...]
    matcher: MultiMatcher
    window: int
    skip_words: frozenset[str]
    abbreviations: frozenset[str]


_MACRO = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")
_LITERAL_WORD = re.compile(r"[a-z]+")


def expand(file: str, entry: str, field: str, raw: str, macros: Mapping[str, str], depth: int = 0) -> str:
    """`raw` with each `{NAME}` replaced by its macro (recursively)."""
    if depth > 8:
        raise KnowledgeError(file, entry, field, "macros nest too deeply")

    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in macros:
            raise KnowledgeError(file, entry, field, f"unknown macro {{{name}}} in {raw!r}")
        return expand(file, entry, field, macros[name], macros, depth + 1)

    return _MACRO.sub(one, raw)


def _spaces(pattern: str) -> str:
    """Each space outside [...] as one or more spaces or hyphens (" ?" or " *": optional)."""
    out: list[str] = []
    in_class = escaped = False
    for i, ch in enumerate(pattern):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        elif ch == " " and not in_class:
            out.append(r"[\s\-]" if pattern[i + 1:i + 2] in ("?", "*") else r"[\s\-]+")
            continue
        out.append(ch)
    return "".join(out)


def to_regex(file: str, entry: str, field: str, raw: str, macros: Mapping[str, str]) -> str:
    """A pattern as a guarded regex: macros expanded, a space matches spaces or hyphens."""
    body = _spaces(expand(file, entry, field, raw.strip(), macros))
    raw = raw.strip()
    symbol = raw[:1] in ("-", ":", "#", "/", "[", "+", "<", ">") or (
        raw[:1] == "\\" and not raw[1:2].isalnum())
    head = "" if symbol else r"(?<!\w)"
    tail = "" if raw[-1:] in ("-", ":", "/") or raw.endswith("\\?") else r"(?!\w)"
    return f"{head}(?:{body}){tail}"


def check_regex(file: str, entry: str, field: str, raw: str, regex: str) -> re.Pattern[str]:
    """`regex` compiled; KnowledgeError when it (from pattern `raw`) is invalid, captures or matches ''."""
    try:
        compiled = re.compile(regex, FLAGS)
    except re.error as err:
        raise KnowledgeError(file, entry, field, f"pattern {raw!r} is not a valid regex: {err}") from None
    if compiled.groups:
        raise KnowledgeError(file, entry, field, f"pattern {raw!r} has a capturing group; use (?:...)")
    if compiled.fullmatch(""):
        raise KnowledgeError(file, entry, field, f"pattern {raw!r} matches the empty string")
    return compiled


Check = tuple[str, str, str, str, str]  # file, entry, field, pattern as written, its regex


def build_matcher(checks: Sequence[Sequence[Check]], groups: Sequence[str],
                  enclosing: frozenset[int] = frozenset()) -> MultiMatcher:
    """The matcher of `groups`; when a group's regex is unsound, its `checks` are compiled one by
    one so that the error names the faulty pattern."""
    for i, (group, group_checks) in enumerate(zip(groups, checks, strict=True)):
        try:
            regex = re.compile(group, FLAGS)
            sound = regex.groups == (2 if i in enclosing else 0) and not regex.match("")
        except re.error:
            sound = False
        if not sound:
            for check in group_checks:
                check_regex(*check)
            file, entry, field, _, _ = group_checks[0]
            raise KnowledgeError(file, entry, field, "the patterns do not combine into one regex")
    return MultiMatcher(groups, enclosing)


def _entries(file: str, raws: list[Any], kind: type[T], key: str) -> list[T]:
    """Convert each entry on its own so a schema error names the entry."""
    out = []
    for i, raw in enumerate(raws):
        name = raw.get(key) if isinstance(raw, dict) and isinstance(raw.get(key), str) else f"#{i + 1}"
        try:
            out.append(convert(file, raw, kind))
        except KnowledgeError as err:
            raise KnowledgeError(file, name, err.field, err.problem) from None
    return out


def vocabulary_findings(directory: Path) -> frozenset[str]:
    """The finding codes of `vocabulary.yaml` in `directory`."""
    voc = convert("vocabulary.yaml", read_yaml(directory, "vocabulary.yaml"), VocabularyFile)
    return frozenset(voc.findings)


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


@lru_cache(maxsize=4)
def load_lexicon(directory: Path = KNOWLEDGE_DIR) -> Lexicon:
    """Load, validate and compile `note_lexicon.yaml` (KnowledgeError naming file, entry, field)."""
    f = LEXICON_FILE
    head = convert(f, read_yaml(directory, f), LexiconFile)
    entries = _entries(f, head.findings, LexiconEntry, "code")
    known = vocabulary_findings(directory)
    codes: list[str] = []
    seen: set[str] = set()
    fuzzy: dict[str, list[str]] = {}
    checks: list[list[Check]] = []
    members: list[tuple[str, ...]] = []  # per group, its patterns' regexes
    for e in entries:
        if e.code not in known:
            raise KnowledgeError(f, e.code, "code", f"unknown finding code {e.code!r}")
        if e.code in seen:
            raise KnowledgeError(f, e.code, "code", "finding listed twice")
        seen.add(e.code)
        if not e.patterns:
            raise KnowledgeError(f, e.code, "patterns", "no pattern")
        regexes = []
        checks.append([])
        for p in sorted(e.patterns, key=len, reverse=True):
            regexes.append(to_regex(f, e.code, "patterns", p, head.macros))
            checks[-1].append((f, e.code, "patterns", p, regexes[-1]))
        codes.append(e.code)
        members.append(tuple(regexes))
        for p in e.patterns:
            word = p.strip().lower()
            if len(word) >= FUZZY_MIN and _LITERAL_WORD.fullmatch(word):
                fuzzy.setdefault(word, []).append(e.code)
    missing = sorted(known - seen)
    if missing:
        raise KnowledgeError(f, missing[0], "patterns", f"no lexicon entry for findings {missing}")
    if head.ignore:
        ignore: list[Check] = [(f, "ignore", "ignore", p, to_regex(f, "ignore", "ignore", p, head.macros))
                               for p in head.ignore]
        checks.append(ignore)
        codes.append("")
        members.append(tuple(check[4] for check in ignore))
    index: dict[str, list[str]] = {}
    for word in fuzzy:
        for variant in {word} | _deletions(word):
            index.setdefault(variant, []).append(word)
    owners = tuple(g for g, regexes in enumerate(members) for _ in regexes)
    return Lexicon(
        codes=tuple(codes), patterns=tuple(members), owners=owners,
        matcher=MultiMatcher([check_regex(*check) for group_checks in checks for check in group_checks]),
        current_only=frozenset(e.code for e in entries if e.current_only),
        alongside=frozenset(e.code for e in entries if e.alongside),
        fuzzy_words={w: tuple(c) for w, c in fuzzy.items()},
        fuzzy_index={v: tuple(ws) for v, ws in index.items()},
        fuzzy_exclude=frozenset(w.lower() for w in head.fuzzy_exclude))


@lru_cache(maxsize=4)
def load_context(directory: Path = KNOWLEDGE_DIR) -> ContextRules:
    """Load, validate and compile `note_context.yaml` (KnowledgeError naming file, entry, field)."""
    f = CONTEXT_FILE
    head = convert(f, read_yaml(directory, f), ContextFile)
    if head.window < 1:
        raise KnowledgeError(f, None, "window", "the scope window must be at least 1 token")
    known = vocabulary_findings(directory)
    rules: list[CueRule] = []
    regexes: list[str] = []
    enclosing: set[int] = set()
    checks: list[list[Check]] = []
    for i, c in enumerate(_entries(f, head.cues, CueEntry, "cue")):
        trigger = c.category not in ("pseudo", "termination")
        if trigger and c.direction is None:
            raise KnowledgeError(f, c.cue, "direction", f"a {c.category} cue needs a direction")
        if not trigger and c.direction is not None:
            raise KnowledgeError(f, c.cue, "direction", f"a {c.category} cue has no direction")
        if (c.direction == "enclosed") != (" ... " in c.cue):
            raise KnowledgeError(f, c.cue, "direction",
                                 "a cue with ' ... ' is 'enclosed', and an 'enclosed' cue has ' ... '")
        if c.resolves and (c.category not in ("negated", "historical") or c.direction != "backward"):
            raise KnowledgeError(f, c.cue, "resolves", "only a backward negated or historical cue resolves")
        if c.window is not None and c.window < 1:
            raise KnowledgeError(f, c.cue, "window", "the scope window must be at least 1 token")
        for field, listed in (("codes", c.codes or []), ("not_codes", c.not_codes)):
            for code in listed:
                if code not in known:
                    raise KnowledgeError(f, c.cue, field, f"unknown finding code {code!r}")
        if c.direction == "enclosed":
            first, _, second = c.cue.partition(" ... ")
            h = to_regex(f, c.cue, "cue", first, {})
            t = to_regex(f, c.cue, "cue", second, {})
            checks.append([(f, c.cue, "cue", first, h), (f, c.cue, "cue", second, t)])
            regexes.append(f"(?P<h>{h}){GAP}(?P<t>{t})")
            enclosing.add(i)
        else:
            regexes.append(to_regex(f, c.cue, "cue", c.cue, {}))
            checks.append([(f, c.cue, "cue", c.cue, regexes[-1])])
        rules.append(CueRule(c.cue, c.category, c.direction, c.window or head.window,
                             frozenset(c.codes) if c.codes is not None else None, frozenset(c.not_codes),
                             c.resolves))
    return ContextRules(
        rules=tuple(rules), matcher=build_matcher(checks, regexes, frozenset(enclosing)), window=head.window,
        skip_words=frozenset(w.lower() for w in head.skip_words),
        abbreviations=frozenset(a.lower().rstrip(".") for a in head.abbreviations))
