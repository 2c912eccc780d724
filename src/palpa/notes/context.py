"""ConText (Harkema et al. 2009): is a finding in a note negated, family, hypothetical or historical?

ConText extends NegEx (Chapman et al. 2001): trigger cues of a category (negated, family,
hypothetical, historical) open a scope in a direction (forward, backward, both, or around the
finding for an enclosing cue such as "if ... develops"); the scope ends at a sentence boundary
(. ; ! ? newline, " - "), at a termination cue ("but", "however", "which", ...), after a window of
tokens (each other finding counts as one token, so a list of negated findings stays in scope), or, going
forward, at a comma-separated item that holds a number and no finding ("no sx below knee, FABQ 12,
hypomobile L4": a measurement is not one of the negated items).
Pseudo-cues ("no change", "not only") look like triggers but trigger nothing. A lexicon match wins
over any cue inside it: "no improvement after 4 weeks", "not eased by rest", "no thrust please" are
findings, not negations.

Why this module rather than medspaCy or negspacy: on Python 3.11, medspaCy 1.3 pins spaCy < 3.8 and
conflicts with negspacy 1.1 (which needs spaCy >= 3.8); negspacy also needs a spaCy English model,
which comes from outside the package registries (none of the `en-core-web` packages there is the
official model). A small dependency-free implementation keeps screening self-contained, fast and
deterministic, with every cue in `knowledge/note_context.yaml`.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from palpa.notes.lexicon import Category, ContextRules, CueRule
from palpa.notes.matcher import Hit

Status = Literal["present", "negated", "family", "hypothetical", "historical"]
PRIORITY: tuple[Category, ...] = ("negated", "family", "hypothetical", "historical")
_BOUNDARY = re.compile(r"[;!\n]|\?(?=\s|$)|\.(?=\s|$)| -+ ")
_TOKEN = re.compile(r"[A-Za-z0-9]+")
_WORD_BEFORE = re.compile(r"([A-Za-z.]+)$")
_COMMA = re.compile(r",")
_NUMBER = re.compile(r"(?<![A-Za-z0-9])\d+(?:[./]\d+)?(?![A-Za-z0-9])")


@dataclass(frozen=True, slots=True)
class Cue:
    """A cue found in a note."""

    rule: CueRule
    start: int
    end: int
    text: str
    gap: tuple[int, int] | None


def _overlaps(a0: int, a1: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(a0 < b1 and b0 < a1 for b0, b1 in spans)


def find_cues(text: str, findings: Sequence[tuple[int, int]], rules: ContextRules) -> list[Cue]:
    """Cues in `text`: none inside a finding; overlapping cues resolved longest first."""
    found: list[Cue] = []
    hit: Hit
    for hit in rules.matcher.hits(text):
        rule = rules.rules[hit.index]
        if hit.gap is not None:
            if _overlaps(hit.start, hit.gap[0], findings) or _overlaps(hit.gap[1], hit.end, findings):
                continue
        elif _overlaps(hit.start, hit.end, findings):
            continue
        found.append(Cue(rule, hit.start, hit.end, text[hit.start:hit.end], hit.gap))
    found.sort(key=lambda c: (c.start - c.end, c.rule.category == "pseudo", c.start))
    kept: list[Cue] = []
    for cue in found:
        if all((cue.start, cue.end) == (k.start, k.end) or cue.end <= k.start or k.end <= cue.start
               for k in kept):
            kept.append(cue)
    kept.sort(key=lambda c: c.start)
    return kept


def boundaries(text: str, protected: Sequence[tuple[int, int]], abbreviations: frozenset[str]) -> list[int]:
    """Positions that end a sentence or clause, except inside a cue or finding or after an abbreviation."""
    out = []
    for m in _BOUNDARY.finditer(text):
        pos = m.start()
        if _overlaps(pos, m.end(), protected):
            continue
        if m.group() == ".":
            before = _WORD_BEFORE.search(text[max(0, pos - 12):pos])
            if before and before.group(1).lower().rstrip(".") in abbreviations:
                continue
        out.append(pos)
    return out


def measurements(text: str, findings: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Comma-separated items (between two commas) that hold a number and no finding."""
    commas = [m.start() for m in _COMMA.finditer(text) if not _overlaps(m.start(), m.end(), findings)]
    return [(a, b) for a, b in pairwise(commas)
            if _NUMBER.search(text, a, b) and not _overlaps(a, b, findings)]


class _Tokens:
    """Counts the tokens between two positions: each finding counts once, skip words not at all."""

    def __init__(self, text: str, findings: Sequence[tuple[int, int]], skip: frozenset[str]) -> None:
        starts: list[int] = []
        prefix, total = [0], 0
        spans = sorted(findings)
        j = 0
        for m in _TOKEN.finditer(text):
            s = m.start()
            while j < len(spans) and spans[j][1] <= s:
                j += 1
            inside = j < len(spans) and spans[j][0] <= s < spans[j][1]
            if inside:
                weight = 1 if not any(spans[j][0] <= t < s for t in starts[-1:]) else 0
            else:
                weight = 0 if m.group().lower() in skip else 1
            starts.append(s)
            total += weight
            prefix.append(total)
        self.starts, self.prefix = starts, prefix

    def between(self, a: int, b: int) -> int:
        """Tokens starting in [a, b)."""
        if b <= a:
            return 0
        return self.prefix[bisect_left(self.starts, b)] - self.prefix[bisect_left(self.starts, a)]


def _in_scope(cue: Cue, start: int, end: int, tokens: _Tokens, terms: Sequence[Cue],
              items: Sequence[tuple[int, int]]) -> bool:
    """Whether the finding at [start, end) lies in the cue's scope (same sentence assumed)."""
    rule = cue.rule
    if rule.direction == "enclosed":
        return cue.gap is not None and cue.gap[0] <= start and end <= cue.gap[1]
    if (rule.direction in ("forward", "bidirectional") and cue.end <= start
            and tokens.between(cue.end, start) < rule.window
            and not any(cue.end <= t.start and t.end <= start for t in terms)
            and not any(cue.end <= a and b <= start for a, b in items)):
        return True
    if rule.direction in ("backward", "bidirectional") and end <= cue.start:
        return tokens.between(end, cue.start) < rule.window and not any(
            end <= t.start and t.end <= cue.start for t in terms)
    return False


def classify(text: str, findings: Sequence[tuple[int, int, str]], current_only: frozenset[str],
             rules: ContextRules) -> list[tuple[Status, Cue | None]]:
    """Status and deciding cue of each finding span (start, end, code) in `text`."""
    spans = [(s, e) for s, e, _ in findings]
    cues = find_cues(text, spans, rules)
    protected = spans + [(c.start, c.end) for c in cues]
    bounds = boundaries(text, protected, rules.abbreviations)
    tokens = _Tokens(text, spans, rules.skip_words)
    terms = [c for c in cues if c.rule.category == "termination"]
    items = measurements(text, spans)
    triggers = [c for c in cues if c.rule.category in PRIORITY]
    sentence = [bisect_right(bounds, c.start) for c in triggers]
    out: list[tuple[Status, Cue | None]] = []
    for start, end, code in findings:
        here = bisect_right(bounds, start)
        best: tuple[int, Cue] | None = None
        for cue, where in zip(triggers, sentence, strict=True):
            category = cue.rule.category
            if where != here or code in cue.rule.not_codes or (
                    cue.rule.codes is not None and code not in cue.rule.codes):
                continue
            if category == "historical" and code not in current_only:
                continue
            rank = PRIORITY.index(category)
            better = best is None or rank < best[0] or (
                rank == best[0] and cue.rule.resolves and not best[1].rule.resolves)
            if better and _in_scope(cue, start, end, tokens, terms, items):
                best = (rank, cue)
        out.append(("present", None) if best is None else (PRIORITY[best[0]], best[1]))
    return out
