"""The note lexicon and cue files: validation errors name file, entry and field; every finding is covered."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from palpa.knowledge.loader import KNOWLEDGE_DIR, KnowledgeError
from palpa.notes.lexicon import load_context, load_lexicon, vocabulary_findings
from palpa.notes.matcher import prefixes

FILES = ("vocabulary.yaml", "note_lexicon.yaml", "note_context.yaml")


@cache
def _parsed(name: str) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load((KNOWLEDGE_DIR / name).read_bytes(), Loader=loader)


def kb_copy(tmp_path: Path, name: str, change: Callable[[Any], None]) -> Path:
    """A copy of the note files in tmp_path with `change` applied to file `name`."""
    for f in FILES:
        if f != name:
            shutil.copy(KNOWLEDGE_DIR / f, tmp_path / f)
    data = copy.deepcopy(_parsed(name))
    change(data)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    (tmp_path / name).write_text(yaml.dump(data, Dumper=dumper, allow_unicode=True), encoding="utf-8")
    return tmp_path


def entry(data: Any, code: str) -> Any:
    return next(e for e in data["findings"] if e["code"] == code)


def test_every_vocabulary_finding_has_patterns() -> None:
    lex = load_lexicon()
    assert set(lex.codes) - {""} == vocabulary_findings(KNOWLEDGE_DIR)
    assert all(lex.patterns[i] for i in range(len(lex.codes)))


@pytest.mark.parametrize(("change", "entry_name", "field", "problem"), [
    (lambda d: d["findings"].append({"code": "made_up", "patterns": ["x"]}),
     "made_up", "code", "unknown finding code"),
    (lambda d: d["findings"].remove(entry(d, "dysphagia")), "dysphagia", "patterns", "no lexicon entry"),
    (lambda d: entry(d, "dysphagia").update(patterns=[]), "dysphagia", "patterns", "no pattern"),
    (lambda d: entry(d, "dysphagia").update(patterns=["swallow(ing"]), "dysphagia", "patterns",
     "not a valid"),
    (lambda d: entry(d, "dysphagia").update(patterns=["(swallow)"]), "dysphagia", "patterns", "capturing"),
    (lambda d: entry(d, "dysphagia").update(patterns=["{NOPE} swallow"]), "dysphagia", "patterns", "macro"),
    (lambda d: entry(d, "dysphagia").update(patterns=["(?:x)?"]), "dysphagia", "patterns", "empty"),
    (lambda d: entry(d, "dysphagia").update(current_only="yes"), "dysphagia", "current_only", "Expected"),
])
def test_lexicon_errors_name_file_entry_and_field(tmp_path: Path, change: Callable[[Any], None],
                                                  entry_name: str, field: str, problem: str) -> None:
    with pytest.raises(KnowledgeError) as err:
        load_lexicon(kb_copy(tmp_path, "note_lexicon.yaml", change))
    e = err.value
    assert (e.file, e.entry, e.field) == ("note_lexicon.yaml", entry_name, field)
    assert problem in e.problem


@pytest.mark.parametrize(("cue", "field", "problem"), [
    ({"cue": "nope", "category": "negated"}, "direction", "needs a direction"),
    ({"cue": "nope", "category": "pseudo", "direction": "forward"}, "direction", "has no direction"),
    ({"cue": "if ... nope", "category": "hypothetical", "direction": "forward"}, "direction", "enclosed"),
    ({"cue": "nope", "category": "negated", "direction": "forward", "codes": ["x"]}, "codes", "unknown"),
    ({"cue": "nope", "category": "negated", "direction": "forward", "window": 0}, "window", "at least"),
    ({"cue": "nope", "category": "maybe", "direction": "forward"}, "category", "Invalid"),
])
def test_context_errors_name_file_entry_and_field(tmp_path: Path, cue: dict[str, Any], field: str,
                                                  problem: str) -> None:
    with pytest.raises(KnowledgeError) as err:
        load_context(kb_copy(tmp_path, "note_context.yaml", lambda d: d["cues"].append(cue)))
    e = err.value
    assert (e.file, e.entry, e.field) == ("note_context.yaml", cue["cue"], field)
    assert problem in e.problem


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match=r"note_lexicon\.yaml: file is missing"):
        load_lexicon(tmp_path)


def test_prefixes_of_a_pattern() -> None:
    found = prefixes(r"(?<!\w)(?:saddle|B[\s\-]?&B)(?!\w)")
    assert found is not None
    assert {"sa", "b&", "b ", "b-"} <= found and "ca" not in found
    assert prefixes(r"\w+ pain") is None
