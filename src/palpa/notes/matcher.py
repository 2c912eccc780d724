"""Many regexes matched together: each is tried only where its first two characters can start it."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

FLAGS = re.IGNORECASE


@dataclass(frozen=True, slots=True)
class Hit:
    """One pattern's match: its index, span and, for an enclosing cue, the gap between head and tail."""

    index: int
    start: int
    end: int
    gap: tuple[int, int] | None = None


_START = re.compile(r"(?<!\w)\w|[^\w\s]")  # where a pattern may start: a word's start or a symbol


PREFIX = 2  # patterns are looked up by the first two characters at a position
_MAX_PREFIXES = 4000
_SPACE = frozenset(" \t\n\r\f\v")


def _seq(items: Any, r: int) -> set[str] | None:
    """Prefixes of a parsed sequence: strings of length r it can start with, or shorter whole matches."""
    partial = {""}
    done: set[str] = set()
    for op, av in items:
        nxt: set[str] = set()
        for p in partial:
            found = _item(str(op), av, r - len(p))
            if found is None:
                return None
            nxt |= {p + w for w in found}
        partial = {p for p in nxt if len(p) < r}
        done |= nxt - partial
        if not partial or len(done) > _MAX_PREFIXES:
            break
    return done | partial if len(done) <= _MAX_PREFIXES else None


def _chars(av: Any) -> set[str] | None:
    out: set[str] = set()
    for kind, value in av:
        kind = str(kind)
        if kind == "LITERAL":
            out.add(chr(value).lower())
        elif kind == "RANGE" and value[1] - value[0] < 128:
            out |= {chr(c).lower() for c in range(value[0], value[1] + 1)}
        elif kind == "CATEGORY" and str(value) == "CATEGORY_DIGIT":
            out |= set("0123456789")
        elif kind == "CATEGORY" and str(value) == "CATEGORY_SPACE":
            out |= _SPACE
        else:
            return None
    return out


def _item(op: str, av: Any, r: int) -> set[str] | None:
    """Prefixes (as in `_seq`) of one parsed item, up to length r."""
    if r <= 0 or op in ("ASSERT", "ASSERT_NOT", "AT"):
        return {""}
    if op == "LITERAL":
        return {chr(av).lower()}
    if op == "IN":
        return _chars(av)
    if op == "BRANCH":
        union: set[str] = set()
        for branch in av[1]:
            found = _seq(branch, r)
            if found is None:
                return None
            union |= found
        return union
    if op == "SUBPATTERN":
        return _seq(av[3], r)
    if op == "ATOMIC_GROUP":
        return _seq(av, r)
    if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, high, sub = av
        union = set()
        for n in range(min(low, r), min(high, r) + 1):
            found = _seq(list(sub) * n, r)
            if found is None:
                return None
            union |= found
        return union
    return None


def prefixes(regex: str) -> frozenset[str] | None:
    """The lower-case strings of PREFIX characters a match of `regex` can start with (or shorter whole
    matches); None when that cannot be told."""
    try:
        parser = importlib.import_module("re._parser")  # the standard library's own regex parser
        found = _seq(parser.parse(regex, FLAGS), PREFIX)
    except Exception:  # an unexpected parse tree: try the pattern everywhere
        return None
    return None if found is None or "" in found else frozenset(found)


class MultiMatcher:
    """Every pattern's match at every position; each pattern is tried only where the next two
    characters can start it (a table from those characters to patterns)."""

    def __init__(self, patterns: Sequence[str | re.Pattern[str]],
                 enclosing: frozenset[int] = frozenset()) -> None:
        self.regexes = tuple(p if isinstance(p, re.Pattern) else re.compile(p, FLAGS) for p in patterns)
        by_key: dict[str, set[int]] = {}
        anywhere: set[int] = set()
        for i, regex in enumerate(self.regexes):
            keys = prefixes(regex.pattern)
            if keys is None:
                anywhere.add(i)
            else:
                for k in keys:
                    by_key.setdefault(k, set()).add(i)
        short = {k: ix for k, ix in by_key.items() if len(k) < PREFIX}
        self._table = {k: tuple(sorted(ix | anywhere | short.get(k[:1], set()))) for k, ix in by_key.items()}
        for k, ix in short.items():
            self._table[k] = tuple(sorted(ix | anywhere))
        self._anywhere = tuple(sorted(anywhere))
        self._enclosing = enclosing

    def hits(self, text: str) -> Iterator[Hit]:
        """All matches in `text`, by start position."""
        table, anywhere, regexes, enclosing = self._table, self._anywhere, self.regexes, self._enclosing
        get = table.get
        for start_at in _START.finditer(text):
            start = start_at.start()
            key = text[start:start + PREFIX].lower()
            candidates = get(key)
            if candidates is None:
                candidates = get(key[:1], anywhere)
            for i in candidates:
                found = regexes[i].match(text, start)
                if found is not None:
                    gap = (found.end("h"), found.start("t")) if i in enclosing else None
                    yield Hit(i, start, found.end(), gap)
