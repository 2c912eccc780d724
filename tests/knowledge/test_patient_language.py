"""patient_language.yaml: complete for the vocabulary, consistent with red_flags.yaml, cited, checked."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from palpa.core.knowledge import KnowledgeBase
from palpa.knowledge.loader import KNOWLEDGE_DIR, KnowledgeError
from palpa.knowledge.patient_language import (
    FILE,
    LEVELS,
    PatientLanguage,
    load_patient_language,
    load_patient_language_from,
)


@pytest.fixture(scope="module")
def pl() -> PatientLanguage:
    return load_patient_language()


def test_every_red_flag_technique_and_region_has_plain_words(pl: PatientLanguage, kb: KnowledgeBase) -> None:
    assert set(pl.red_flags) == set(kb.vocabulary.red_flags)
    assert set(pl.techniques) == set(kb.vocabulary.techniques)
    assert set(pl.regions) == set(kb.vocabulary.regions)
    for flag in pl.red_flags.values():
        assert flag.concern and flag.groups and all(g.signs for g in flag.groups)
    for t in pl.techniques.values():
        assert t.name and 1 <= t.text.count(". ") + 1 <= 3  # one or two sentences


def test_signs_match_the_urgency_red_flags_yaml_gives_each_flag(
        pl: PatientLanguage, kb: KnowledgeBase) -> None:
    for fid, flag in pl.red_flags.items():
        rule_levels = {r.urgency.code for r in kb.red_flag_rules if r.flag == fid}
        sign_levels = {g.level for g in flag.groups}
        assert sign_levels <= rule_levels, fid
        most_urgent = next(level for level in LEVELS if level in rule_levels)
        assert most_urgent in sign_levels, fid


def test_each_urgency_has_a_patient_action(pl: PatientLanguage) -> None:
    assert set(pl.actions) == set(LEVELS) == set(pl.now)
    assert "emergency" in pl.actions["emergency"].text
    assert "doctor today" in pl.actions["urgent"].text
    assert "clinic" in pl.actions["refer"].text


def test_soreness_says_mild_and_settling_within_48_hours_with_checked_sources(
        pl: PatientLanguage, kb: KnowledgeBase) -> None:
    assert "24 to 48 hours" in pl.soreness.text and "mild" in pl.soreness.text
    assert pl.soreness_sources and all(kb.sources[k].verified for k in pl.soreness_sources)
    assert pl.soreness_replaces_topics <= {t.id for t in kb.education}


def test_every_cited_key_is_in_the_bibliography(pl: PatientLanguage, kb: KnowledgeBase) -> None:
    keys = {pl.actions_source, pl.now_source, *pl.soreness_sources}
    keys |= {f.source for f in pl.red_flags.values()} | {t.source for t in pl.techniques.values()}
    assert keys <= set(kb.sources)
    assert kb.sources["edwards2022_safety_netting"].verified


def _broken(tmp_path: Path, edit: Any) -> Path:
    """A copy of the data files with patient_language.yaml changed by `edit(data)`."""
    for name in (FILE, "groups.yaml"):
        shutil.copy(KNOWLEDGE_DIR / name, tmp_path / name)
    data = yaml.safe_load((tmp_path / FILE).read_text())
    edit(data)
    (tmp_path / FILE).write_text(yaml.safe_dump(data, sort_keys=False))
    return tmp_path


def test_the_packaged_file_loads_from_a_copy(tmp_path: Path, kb: KnowledgeBase) -> None:
    copy = load_patient_language_from(_broken(tmp_path, lambda d: None), kb)
    assert copy.red_flags == load_patient_language().red_flags


@pytest.mark.parametrize(("edit", "entry", "field", "problem"), [
    (lambda d: d["red_flags"].pop("septic_arthritis"), None, "red_flags", "septic_arthritis"),
    (lambda d: d["techniques"].pop("iastm"), None, "techniques", "iastm"),
    (lambda d: d["regions"].pop("tmj"), None, "regions", "tmj"),
    (lambda d: d["red_flags"]["spinal_fracture"].update(source="nobody2099"), "spinal_fracture", "source",
     "nobody2099"),
    (lambda d: d["red_flags"]["inflammatory_arthritis"]["signs"][0].update(level="emergency"),
     "inflammatory_arthritis.signs[0]", "level", "no rule"),
    (lambda d: d["red_flags"]["septic_arthritis"]["signs"][0].update(regions=["lumbar"]),
     "septic_arthritis.signs[0]", "regions", "covers"),
    (lambda d: d["red_flags"]["venous_thromboembolism"]["signs"][0].update(level="refer"),
     "venous_thromboembolism.signs[0]", "level", "refer"),
    (lambda d: d["red_flags"]["cauda_equina_syndrome"]["signs"][0].update(regions=["lumbr"]),
     "cauda_equina_syndrome.signs[0]", "regions", "lumbr"),
    (lambda d: d["soreness"].update(replaces_topics=["no_such_topic"]), "soreness", "replaces_topics",
     "no_such_topic"),
    (lambda d: d["techniques"]["iastm"].update(colour="red"), "iastm", "colour",
     "unknown field"),
    (lambda d: d["actions"]["levels"].pop("urgent"), "actions", "levels", "urgent"),
])
def test_a_bad_entry_fails_naming_file_entry_and_field(
        tmp_path: Path, kb: KnowledgeBase, edit: Any, entry: str | None, field: str, problem: str) -> None:
    with pytest.raises(KnowledgeError) as err:
        load_patient_language_from(_broken(tmp_path, edit), kb)
    assert err.value.file == FILE
    assert err.value.entry == entry
    # an unknown field is named by the validator's message; every other problem by its field
    assert err.value.field == field or f"`{field}`" in str(err.value)
    assert problem.lower() in str(err.value).lower()


def test_dropping_the_most_urgent_signs_of_a_flag_is_refused(tmp_path: Path, kb: KnowledgeBase) -> None:
    def drop_emergency(d: dict[str, Any]) -> None:
        groups = d["red_flags"]["cauda_equina_syndrome"]["signs"]
        d["red_flags"]["cauda_equina_syndrome"]["signs"] = [g for g in groups if g["level"] != "emergency"]

    with pytest.raises(KnowledgeError, match="'emergency'"):
        load_patient_language_from(_broken(tmp_path, drop_emergency), kb)
