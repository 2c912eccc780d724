"""The knowledge base loads, and a bad entry fails with file, entry and field."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from palpa.knowledge.loader import KNOWLEDGE_DIR, KnowledgeError, load_from, load_knowledge

SHARED_VOCAB = Path(__file__).resolve().parents[3] / "shared" / "contract" / "vocabulary.yaml"


def test_packaged_knowledge_loads() -> None:
    kb = load_knowledge()
    assert kb.version.startswith("kb-")
    assert len(kb.sources) >= 60
    assert all(s.url for s in kb.sources.values())


@pytest.mark.skipif(not SHARED_VOCAB.exists(), reason="../shared/contract not present")
def test_vocabulary_is_the_contract_copy() -> None:
    assert (KNOWLEDGE_DIR / "vocabulary.yaml").read_bytes() == SHARED_VOCAB.read_bytes()


@pytest.fixture
def kb_copy(tmp_path: Path) -> Callable[[str, Callable[[Any], None]], Path]:
    """Copy the knowledge files and let a test break one of them."""

    def make(name: str, mutate: Callable[[Any], None]) -> Path:
        target = tmp_path / f"kb{len(list(tmp_path.iterdir()))}"
        shutil.copytree(KNOWLEDGE_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
        data = yaml.safe_load((target / name).read_text())
        mutate(data)
        (target / name).write_text(yaml.safe_dump(data, sort_keys=False))
        return target

    return make


def _rule(data: Any, rule_id: str) -> dict[str, Any]:
    return next(r for r in data["rules"] if r["id"] == rule_id)


@pytest.mark.parametrize(("name", "mutate", "entry", "field", "words"), [
    ("red_flags.yaml", lambda d: _rule(d, "ces_cardinal_symptom").update(urgency="soon"),
     "ces_cardinal_symptom", "urgency", "Invalid enum value"),
    ("red_flags.yaml", lambda d: _rule(d, "ces_cardinal_symptom").update(any_of=[["numb_bum"]]),
     "ces_cardinal_symptom", "any_of", "unknown finding code 'numb_bum'"),
    ("red_flags.yaml", lambda d: _rule(d, "ces_cardinal_symptom").update(source="nobody2099"),
     "ces_cardinal_symptom", "source", "unknown source key 'nobody2099'"),
    ("red_flags.yaml", lambda d: _rule(d, "ces_cardinal_symptom").pop("why"),
     "ces_cardinal_symptom", None, "missing required field"),
    ("contraindications.yaml", lambda d: _rule(d, "osteoporosis")["techniques"].update(cupping="absolute"),
     "osteoporosis", "techniques", "unknown technique code 'cupping'"),
    ("contraindications.yaml", lambda d: _rule(d, "osteoporosis").update(regions=["neck"]),
     "osteoporosis", "regions", "unknown region or group 'neck'"),
    ("contraindications.yaml", lambda d: _rule(d, "osteoporosis").update(extra=1),
     "osteoporosis", None, "unknown field"),
    ("sources.yaml", lambda d: d["sources"]["flynn2002_cpr"].update(year="2002"),
     "flynn2002_cpr", "year", "Expected `int`"),
    ("exercises.yaml", lambda d: d["exercises"][0].update(goal="fun"),
     None, "goal", "Invalid enum value"),
])
def test_bad_entry_names_file_entry_and_field(kb_copy: Any, name: str, mutate: Any,
                                              entry: str | None, field: str | None, words: str) -> None:
    directory = kb_copy(name, mutate)
    with pytest.raises(KnowledgeError) as err:
        load_from(directory)
    e = err.value
    assert e.file == name
    if entry:
        assert e.entry == entry
    if field:
        assert e.field == field
    assert words in str(e)


def test_every_red_flag_id_needs_a_rule(kb_copy: Any) -> None:
    directory = kb_copy("red_flags.yaml", lambda d: d.update(
        rules=[r for r in d["rules"] if r["flag"] != "septic_arthritis"]))
    with pytest.raises(KnowledgeError, match="septic_arthritis"):
        load_from(directory)


def test_version_is_a_content_hash(kb_copy: Any) -> None:
    same = load_from(kb_copy("groups.yaml", lambda d: None))
    changed = load_from(kb_copy("sources.yaml", lambda d: d["sources"]["flynn2002_cpr"].update(
        title="changed")))
    assert same.version != changed.version  # YAML re-dump changes bytes; a content edit too
    assert load_from(KNOWLEDGE_DIR).version == load_knowledge().version
