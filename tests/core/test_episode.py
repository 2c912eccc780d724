"""Episodes of care: decoding and validation, response against the MCID, reassessment triggers."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from palpa.core.episode import (
    AdverseEvent,
    Episode,
    Intake,
    MeasureResult,
    TechniqueApplied,
    Visit,
    timed_minutes,
    validate_episode,
)
from palpa.core.knowledge import KnowledgeBase
from palpa.core.progress import (
    TRIGGER_IDS,
    Trigger,
    measure_progress,
    measure_series,
    reassessment_triggers,
    response,
    triggers_at,
)
from palpa.core.screening import red_flag_codes
from palpa.knowledge.episode_loader import (
    decode_episode,
    load_episode,
    load_progress_rules,
    load_progress_rules_from,
)
from palpa.knowledge.loader import KNOWLEDGE_DIR, KnowledgeError, load_sources

EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "palpa" / "data" / "demo_episode.json"
# MCIDs as the measures module will supply them: (mcid, higher_is_better).
MEASURES = {"nprs": (2.0, False), "odi": (10.0, False)}


@pytest.fixture(scope="module")
def example(kb: KnowledgeBase) -> Episode:
    return load_episode(EXAMPLE, kb)


def raw() -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(EXAMPLE.read_bytes())
    return data


def triggers(episode: Episode, kb: KnowledgeBase) -> list[Trigger]:
    return reassessment_triggers(episode, MEASURES, red_flag_codes(kb), load_progress_rules())


# --- the example episode ---------------------------------------------------------------------------

def test_example_is_a_six_visit_lumbar_episode(example: Episode) -> None:
    assert example.region == "lumbar" and len(example.visits) == 6
    assert [v.number for v in example.visits] == [1, 2, 3, 4, 5, 6]
    assert example.visits[0].evaluation_code == "97162"
    assert example.measure_ids() == ("nprs", "odi")
    assert [r.score for r in example.results("odi")] == [42, 35, 24]
    assert timed_minutes(example.visit(1)) == 22
    soreness = example.visit(2).adverse_events[0]
    assert soreness.severity == "long_minor" and soreness.duration_hours > 48
    assert example.visit(1).techniques[0] == TechniqueApplied(
        "joint_mobilization", "lumbar", 8, grade="III", sets=3, seconds=60, target="L4-L5 central PA")


def test_example_triggers_soreness_then_no_meaningful_change_in_odi(
        example: Episode, kb: KnowledgeBase) -> None:
    found = triggers(example, kb)
    assert [(t.id, t.visit, t.measure) for t in found] == [
        ("soreness_beyond_48h", 2, None), ("no_meaningful_change", 4, "odi")]
    sources = load_sources(KNOWLEDGE_DIR)
    assert all(t.source in sources and t.what_to_do and t.why for t in found)
    assert "60 h" in found[0].why and "42 at visit 1 -> 35 at visit 4" in found[1].why
    assert triggers_at(found, 4) == [found[1]]


def test_example_progress_against_mcids(example: Episode) -> None:
    at4 = {p.measure: p for p in measure_progress(example, MEASURES, up_to_visit=4)}
    assert (at4["nprs"].change, at4["nprs"].response) == (2, "improved")
    assert (at4["odi"].change, at4["odi"].response) == (7, "no_meaningful_change")
    final = {p.measure: p for p in measure_progress(example, MEASURES)}
    assert (final["odi"].current, final["odi"].response) == (24, "improved")
    assert measure_series(example)["nprs"] == [(1, 6), (2, 6), (3, 5), (4, 4), (5, 3), (6, 2)]


# --- response against the MCID ----------------------------------------------------------------------

@pytest.mark.parametrize(("baseline", "current", "mcid", "higher", "expected"), [
    (6, 4, 2, False, "improved"),               # NPRS down by exactly the MCID
    (6, 5, 2, False, "no_meaningful_change"),
    (6, 8, 2, False, "worse"),
    (42, 33, 10, False, "no_meaningful_change"),
    (30, 42, 9, True, "improved"),              # LEFS-like, higher is better
    (30, 21, 9, True, "worse"),
    (4.0, 5.3, 1.3, True, "improved"),          # float arithmetic at the boundary
])
def test_response(baseline: float, current: float, mcid: float, higher: bool, expected: str) -> None:
    assert response(baseline, current, mcid, higher) == expected


def test_response_needs_a_positive_mcid() -> None:
    with pytest.raises(ValueError, match="mcid"):
        response(1, 2, 0, True)


# --- triggers on built episodes ------------------------------------------------------------------------

def episode(visits: int, scores: dict[str, list[float]] | None = None, **changes: Any) -> Episode:
    """A lumbar episode of `visits` plain visits, with scores per measure at visits 1..n."""
    vs = tuple(Visit(number=n, date=date(2025, 1, n), clinician="PT") for n in range(1, visits + 1))
    measures = tuple(MeasureResult(m, date(2025, 1, i + 1), s, i + 1)
                     for m, ss in (scores or {}).items() for i, s in enumerate(ss))
    ep = Episode("e", "p", "lumbar", date(2025, 1, 1), Intake("x"), vs, measures)
    for number, fields in changes.items():
        n = int(number.removeprefix("v"))
        new = dataclasses.replace(ep.visit(n), **fields)
        ep = dataclasses.replace(ep, visits=tuple(new if v.number == n else v for v in ep.visits))
    return ep


def ids(found: list[Trigger]) -> list[tuple[str, int, str | None]]:
    return [(t.id, t.visit, t.measure) for t in found]


def test_worse_by_mcid_fires_at_each_worse_score(kb: KnowledgeBase) -> None:
    ep = episode(3, {"nprs": [4, 6, 7]})
    assert ids(triggers(ep, kb)) == [("worse_by_mcid", 2, "nprs"), ("worse_by_mcid", 3, "nprs")]


def test_no_meaningful_change_waits_for_the_chosen_visit(kb: KnowledgeBase) -> None:
    after = load_progress_rules().no_change_after_visits
    assert after == 4
    ep = episode(5, {"odi": [40, 38, 37, 35, 34]})
    assert ids(triggers(ep, kb)) == [("no_meaningful_change", 4, "odi"),
                                     ("no_meaningful_change", 5, "odi")]


def test_measures_without_an_mcid_or_a_second_score_raise_nothing(kb: KnowledgeBase) -> None:
    assert triggers(episode(4, {"psfs": [2, 2, 2, 2], "odi": [40]}), kb) == []


def test_new_red_flag_finding_at_a_visit(kb: KnowledgeBase) -> None:
    ep = episode(3, v3={"new_findings": frozenset({"saddle_anesthesia", "reduced_muscle_length"})})
    found = triggers(ep, kb)
    assert ids(found) == [("new_red_flag", 3, None)]
    assert "saddle_anesthesia" in found[0].why and "reduced_muscle_length" not in found[0].why
    assert found[0].source == "finucane2020_red_flags"
    assert "re-screen" in found[0].what_to_do or "red-flag screen" in found[0].what_to_do
    # independent of the screening engine: the caller says which codes are red flags
    assert reassessment_triggers(ep, MEASURES, frozenset(), load_progress_rules()) == []


def test_soreness_beyond_48_hours_but_not_within(kb: KnowledgeBase) -> None:
    short = AdverseEvent("sore", "short_minor", 4, 24)
    edge = AdverseEvent("sore", "long_minor", 4, 48)
    long = AdverseEvent("sore", "long_minor", 4, 49)
    assert triggers(episode(2, v2={"adverse_events": (short, edge)}), kb) == []
    assert ids(triggers(episode(2, v2={"adverse_events": (long,)}), kb)) == [
        ("soreness_beyond_48h", 2, None)]


def test_serious_adverse_event(kb: KnowledgeBase) -> None:
    event = AdverseEvent("new arm weakness", "serious", 2, 12)
    found = triggers(episode(2, v2={"adverse_events": (event,)}), kb)
    assert ids(found) == [("serious_adverse_event", 2, None)]
    assert found[0].source == "paanalahti2014_adverse_events"


def test_medicare_progress_report_every_10_treatment_days(kb: KnowledgeBase) -> None:
    found = triggers(episode(21), kb)
    assert ids(found) == [("medicare_progress_report", 10, None), ("medicare_progress_report", 20, None)]
    assert found[0].source == "cms_bpm_ch15"


def test_triggers_are_ordered_by_visit_then_urgency(kb: KnowledgeBase) -> None:
    ep = episode(4, {"nprs": [3, 6, 6, 6]},
                 v2={"new_findings": frozenset({"fever_or_systemic_illness"}),
                     "adverse_events": (AdverseEvent("sore", "long_minor", 3, 72),)})
    assert ids(triggers(ep, kb)) == [
        ("new_red_flag", 2, None), ("worse_by_mcid", 2, "nprs"), ("soreness_beyond_48h", 2, None),
        ("worse_by_mcid", 3, "nprs"), ("worse_by_mcid", 4, "nprs")]


# --- decoding and validation ------------------------------------------------------------------------

def mutated(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = raw()
    change(data)
    return data


@pytest.mark.parametrize(("change", "words"), [
    (lambda d: d["visits"][1]["techniques"][0].update(minutes=-3), "visits[1].techniques[0].minutes"),
    (lambda d: d["visits"][0]["techniques"][0].update(grade="VII"), "visits[0].techniques[0].grade"),
    (lambda d: d["visits"][0]["techniques"][0].update(technique="cupping"),
     "visits[0].techniques[0].technique: unknown technique code 'cupping'"),
    (lambda d: d["visits"][2].update(new_findings=["numb_bum"]), "visits[2].new_findings"),
    (lambda d: d["visits"][1]["adverse_events"][0].update(severity="mild"),
     "$.visits[1].adverse_events[0].severity"),
    (lambda d: d["visits"][0].pop("clinician"), "clinician"),
    (lambda d: d["visits"][3].update(number=3), "visits[3].number: visit 3 appears twice"),
    (lambda d: d["visits"][2].update(date="2025-03-01"), "visits[2].date"),
    (lambda d: d["measures"][0].update(visit=9), "measures[0].visit"),
    (lambda d: d["visits"][0]["within_session"].update(nprs_before=11),
     "visits[0].within_session.nprs_before"),
    (lambda d: d.update(region="neck"), "region: unknown region code 'neck'"),
])
def test_bad_episodes_name_the_field(kb: KnowledgeBase, change: Callable[[dict[str, Any]], None],
                                     words: str) -> None:
    with pytest.raises(ValueError) as err:
        decode_episode(mutated(change), kb, "episode_example.json")
    assert str(err.value).startswith("episode_example.json: ")
    assert words in str(err.value)


def test_codes_are_checked_only_when_a_vocabulary_is_given() -> None:
    data = mutated(lambda d: d["visits"][0]["techniques"][0].update(technique="cupping"))
    assert decode_episode(data).visits[0].techniques[0].technique == "cupping"
    with pytest.raises(ValueError, match="not valid JSON"):
        decode_episode(b"{", name="x.json")


def test_validate_episode_returns_the_episode(example: Episode) -> None:
    assert validate_episode(example) is example


# --- progress.yaml --------------------------------------------------------------------------------------

def test_progress_rules_are_cited_and_complete() -> None:
    rules = load_progress_rules()
    assert set(rules.rules) == set(TRIGGER_IDS)
    assert (rules.no_change_after_visits, rules.soreness_expected_max_hours,
            rules.progress_report_every_visits) == (4, 48, 10)
    sources = load_sources(KNOWLEDGE_DIR)
    assert all(r.source in sources for r in rules.rules.values())
    synthesis = sources["palpa_progress_synthesis"]
    assert synthesis.kind == "synthesis" and set(synthesis.based_on) <= set(sources)


@pytest.fixture
def progress_copy(tmp_path: Path) -> Callable[[Callable[[Any], None]], Path]:
    def make(mutate: Callable[[Any], None]) -> Path:
        target = tmp_path / f"kb{len(list(tmp_path.iterdir()))}"
        shutil.copytree(KNOWLEDGE_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
        data = yaml.safe_load((target / "progress.yaml").read_text())
        mutate(data)
        (target / "progress.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
        return target
    return make


@pytest.mark.parametrize(("mutate", "entry", "field", "words"), [
    (lambda d: d["triggers"][0].update(source="nobody2099"), "new_red_flag", "source", "nobody2099"),
    (lambda d: d["triggers"].pop(), None, "triggers", "medicare_progress_report"),
    (lambda d: d["triggers"].append(dict(d["triggers"][0])), "new_red_flag", "id", "duplicate"),
    (lambda d: d["triggers"][0].update(id="moon_phase"), "moon_phase", "id", "unknown trigger"),
    (lambda d: d.update(no_change_after_visits=0), "parameters", "no_change_after_visits", "more than 0"),
    (lambda d: d.update(soreness_source="nobody2099"), "parameters", "soreness_source", "nobody2099"),
    (lambda d: d.update(no_change_after_visits="four"), None, "no_change_after_visits", "Expected `int`"),
])
def test_progress_yaml_errors_name_file_entry_and_field(
        progress_copy: Callable[[Callable[[Any], None]], Path], mutate: Callable[[Any], None],
        entry: str | None, field: str, words: str) -> None:
    with pytest.raises(KnowledgeError) as err:
        load_progress_rules_from(progress_copy(mutate))
    e = err.value
    assert (e.file, e.entry, e.field) == ("progress.yaml", entry, field)
    assert words in str(e)
