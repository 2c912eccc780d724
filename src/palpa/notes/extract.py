"""Read the vocabulary's findings from a free-text clinical note, each with its ConText status."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from palpa.notes.context import Status, classify
from palpa.notes.lexicon import ContextRules, Lexicon, load_context, load_lexicon

# Same-length substitutions, so every span found in the working text is a span of the note.
_NORMALISE = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                            "\u2014": "-", "\u00a0": " ", "\u2212": "-"})
_LONG_WORD = re.compile(r"[A-Za-z]{7,}")
# A quote that opens or closes quoted words (not an apostrophe inside a word: "can't", "Hoffmann's") reads
# as a space, so that "numbness 'down below'" matches like "numbness down below"; same length, so spans hold.
_QUOTE_MARK = re.compile(r"(?<![A-Za-z])['\"]|['\"](?![A-Za-z])")


@dataclass(frozen=True, slots=True)
class Mention:
    """A finding read from a note: its code, span [start, end), text = note[start:end], status, cue."""

    code: str
    start: int
    end: int
    text: str
    status: Status
    cue: str | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"code": self.code, "status": self.status, "span": [self.start, self.end],
                "text": self.text, "cue": self.cue}


@lru_cache(maxsize=1)
def _knowledge() -> tuple[Lexicon, ContextRules]:
    return load_lexicon(), load_context()


def _one_edit(a: str, b: str) -> bool:
    """Whether a and b differ by at most one insertion, deletion, substitution or transposition."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k in range(len(short)) if short[k] != long_[k]), len(short))
    return short[i:] == long_[i + 1:]


def _fuzzy(text: str, taken: list[tuple[int, int]], lex: Lexicon) -> list[tuple[int, int, str]]:
    """Words one edit from a long single-word pattern, outside every lexicon match."""
    out: list[tuple[int, int, str]] = []
    for m in _LONG_WORD.finditer(text):
        s, e = m.span()
        if any(s < b and a < e for a, b in taken):
            continue
        word = m.group().lower()
        if word in lex.fuzzy_exclude:
            continue
        variants = {word} | {word[:i] + word[i + 1:] for i in range(len(word))}
        words = {w for v in variants for w in lex.fuzzy_index.get(v, ())}
        codes = {c for w in words if _one_edit(word, w) for c in lex.fuzzy_words[w]}
        out.extend((s, e, c) for c in sorted(codes))
    return out


def _longest(matches: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The matches that survive overlaps: the longest wins; equal spans keep every code."""
    kept: list[tuple[int, int, str]] = []
    for s, e, c in sorted(matches, key=lambda t: (t[0] - t[1], t[0])):
        if all((s, e) == (a, b) or e <= a or b <= s for a, b, _ in kept):
            kept.append((s, e, c))
    return kept


def find_findings(text: str, lex: Lexicon) -> list[tuple[int, int, str]]:
    """Lexicon matches (start, end, code): the longest wins an overlap and equal spans keep every code,
    except that an `alongside` finding's matches and the others' are resolved apart (ignore text hides
    both), so "R calf hot and swollen" is both a DVT sign and a symptom below the knee."""
    best: dict[tuple[int, str], int] = {}
    codes, owners = lex.codes, lex.owners
    for hit in lex.matcher.hits(text):
        key = (hit.start, codes[owners[hit.index]])
        if hit.end > best.get(key, 0):
            best[key] = hit.end
    matches = [(s, e, c) for (s, c), e in best.items()]
    alongside = lex.alongside
    kept = _longest([m for m in matches if m[2] not in alongside])
    if alongside:
        kept += [m for m in _longest([m for m in matches if m[2] in alongside or not m[2]]) if m[2]]
    taken = [(s, e) for s, e, _ in kept]
    found = [k for k in kept if k[2]] + _fuzzy(text, taken, lex)
    return sorted(found)


def extract(note: str) -> list[Mention]:
    """Every finding mentioned in `note`, in note order, each with its status and deciding cue."""
    lex, rules = _knowledge()
    text = _QUOTE_MARK.sub(" ", note.translate(_NORMALISE))
    spans = find_findings(text, lex)
    statuses = classify(text, spans, lex.current_only, rules)
    out = [Mention(code, s, e, note[s:e], status, cue.text if cue else None)
           for (s, e, code), (status, cue) in zip(spans, statuses, strict=True)]
    resolves = [cue.rule.resolves if cue else False for _, cue in statuses]
    return _resolved_later(out, resolves, lex.current_only)


def _resolved_later(mentions: list[Mention], resolves: list[bool],
                    current_only: frozenset[str]) -> list[Mention]:
    """A current-only finding later said to be normal or recovered ("At discharge: swallow normal")
    is no longer present: its earlier present mentions become historical, citing the later cue."""
    last: dict[str, Mention] = {}
    for m, r in zip(mentions, resolves, strict=True):
        if r and m.status != "present" and m.code in current_only:
            last[m.code] = m
        elif m.status == "present":
            last.pop(m.code, None)
    if not last:
        return mentions
    return [Mention(m.code, m.start, m.end, m.text, "historical", f"{last[m.code].cue} (later)")
            if m.status == "present" and m.code in last and m.start < last[m.code].start else m
            for m in mentions]


def first_present(mentions: list[Mention]) -> list[Mention]:
    """The first present mention of each code among `mentions`, in their order."""
    seen: set[str] = set()
    out = []
    for m in mentions:
        if m.status == "present" and m.code not in seen:
            seen.add(m.code)
            out.append(m)
    return out


def present_findings(note: str) -> list[Mention]:
    """The first present mention of each finding code, in note order."""
    return first_present(extract(note))
