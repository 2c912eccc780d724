"""Outcome-measure scoring: worked examples, missing-item rules, bad answers, change against the MCID."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from palpa.core.measures import MeasureDef, MeasureError, change, score
from palpa.knowledge.loader import KNOWLEDGE_DIR, KnowledgeError, load_sources
from palpa.knowledge.measures_loader import load_measures, load_measures_from

MEASURES = load_measures()
IDS = ("nprs", "odi", "ndi", "psfs", "groc", "quickdash", "lefs", "fabq", "tsk11", "startback")


def m(mid: str) -> MeasureDef:
    return MEASURES[mid]


# --- the knowledge file --------------------------------------------------------------------------

def test_every_measure_is_defined() -> None:
    assert tuple(MEASURES) == IDS


@pytest.mark.parametrize("mid", IDS)
def test_mcid_source_and_loinc_note_exist(mid: str) -> None:
    sources = load_sources(KNOWLEDGE_DIR)
    measure = m(mid)
    assert measure.mcid.source in sources
    assert measure.source in sources
    assert measure.mdc is None or measure.mdc.source in sources
    assert measure.bands_source is None or measure.bands_source in sources
    assert measure.loinc_note.strip()
    if measure.loinc is None:
        assert measure.code == f"palpa-{mid}"
    else:
        assert measure.code == measure.loinc
    assert measure.mcid.value is not None or measure.mcid.note.strip()


def test_loinc_codes_are_the_verified_ones() -> None:
    assert {mid: d.loinc for mid, d in MEASURES.items() if d.loinc} == {
        "nprs": "72514-3", "odi": "97909-6", "ndi": "82237-9"}


def test_measures_load_once() -> None:
    assert load_measures() is load_measures()


@pytest.fixture
def broken(tmp_path: Path) -> Callable[[Callable[[Any], None]], Path]:
    def make(mutate: Callable[[Any], None]) -> Path:
        target = tmp_path / "kb"
        shutil.copytree(KNOWLEDGE_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
        data = yaml.safe_load((target / "measures.yaml").read_text())
        mutate(data["measures"])
        (target / "measures.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
        return target

    return make


@pytest.mark.parametrize(("mutate", "entry", "field", "words"), [
    (lambda d: d["odi"]["mcid"].update(source="nobody2099"), "odi", "mcid", "unknown source key"),
    (lambda d: d["ndi"].update(item_max="five"), "ndi", "item_max", "Expected `int`"),
    (lambda d: d["lefs"].update(range={"min": 0, "max": 100}), "lefs", "range", "gives 0-80"),
    (lambda d: d["tsk11"]["loinc"].update(code="12345"), "tsk11", "loinc", "not a LOINC code"),
    (lambda d: d["fabq"]["subscales"]["pa"].update(items=[2, 3, 40]), "fabq", "subscales", "1-16"),
    (lambda d: d["lefs"].update(max_missing=2), "lefs", "max_missing", "a sum cannot allow missing"),
    (lambda d: d["odi"]["interpretation"]["bands"].pop(), "odi", "interpretation", "maximum 100"),
])
def test_bad_entry_names_file_entry_and_field(broken: Callable[[Callable[[Any], None]], Path],
                                              mutate: Callable[[Any], None], entry: str, field: str,
                                              words: str) -> None:
    with pytest.raises(KnowledgeError) as info:
        load_measures_from(broken(mutate))
    err = info.value
    assert (err.file, err.entry, err.field) == ("measures.yaml", entry, field)
    assert words in str(err)


# --- worked examples -----------------------------------------------------------------------------

def test_nprs() -> None:
    s = score(m("nprs"), [6])
    assert (s.score, s.max, s.interpretation, s.mcid, s.percent) == (6, 10, "moderate pain", 2, None)
    assert s.loinc == "72514-3"


def test_odi_complete() -> None:
    s = score(m("odi"), [2, 2, 2, 2, 2, 2, 2, 1, 1, 0])
    assert s.score == pytest.approx(32.0)
    assert s.percent == pytest.approx(32.0)
    assert s.interpretation == "moderate disability"
    assert (s.answered, s.missing, s.mcid, s.direction) == (10, 0, 10, "higher_is_worse")


def test_odi_missing_section_lowers_the_denominator() -> None:
    """The scoring instructions' example: 16 points over 9 sections = 16/45 = 35.6%."""
    s = score(m("odi"), [2, 2, 2, 2, 2, 2, 2, 2, 0, None])
    assert s.score == pytest.approx(16 / 45 * 100)
    assert round(s.score or 0, 1) == 35.6
    assert (s.answered, s.missing) == (9, 1)


def test_odi_three_missing_sections_refused() -> None:
    with pytest.raises(MeasureError, match=r"3 items missing .*at most 2 allowed"):
        score(m("odi"), [2, None, 2, None, 2, None, 2, 2, 0, 1])


@pytest.mark.parametrize(("total", "label"), [(0, "minimal disability"), (10, "minimal disability"),
                                              (11, "moderate disability"), (25, "severe disability"),
                                              (35, "crippled"), (45, "bed-bound or exaggerating symptoms")])
def test_odi_bands(total: int, label: str) -> None:
    answers = [min(5, max(0, total - 5 * i)) for i in range(10)]
    assert sum(answers) == total
    assert score(m("odi"), answers).interpretation == label


def test_ndi_reports_points_and_percent() -> None:
    s = score(m("ndi"), [2, 2, 2, 2, 2, 2, 2, 1, 1, 0])
    assert (s.score, s.max, s.percent, s.interpretation) == (16, 50, 32, "moderate disability")
    missing = score(m("ndi"), [2, 2, 2, 2, 2, 2, 2, 2, 0, None])  # mean of answered stands in
    assert missing.score == pytest.approx(16 / 9 * 10)
    assert missing.percent == pytest.approx(35.56, abs=0.01)


def test_psfs_mean_of_three_to_five_activities() -> None:
    assert score(m("psfs"), [3, 5, 4]).score == pytest.approx(4.0)
    assert score(m("psfs"), [3, 5, 4, 8, 10]).score == pytest.approx(6.0)
    assert m("psfs").direction == "higher_is_better"
    with pytest.raises(MeasureError, match="psfs: 2 answers given, expected 3 to 5"):
        score(m("psfs"), [3, 5])
    with pytest.raises(MeasureError, match="psfs: 6 answers given, expected 3 to 5"):
        score(m("psfs"), [3, 5, 4, 4, 4, 4])


@pytest.mark.parametrize(("answer", "label"), [(-7, "worse"), (-1, "worse"), (0, "unchanged"),
                                               (3, "better, below the +5 success threshold"),
                                               (5, "much better (+5 or more: success in CPR studies)")])
def test_groc(answer: int, label: str) -> None:
    s = score(m("groc"), [answer])
    assert (s.score, s.interpretation, s.mcid) == (answer, label, None)


def test_quickdash_complete_and_one_missing() -> None:
    assert score(m("quickdash"), [1] * 11).score == 0
    assert score(m("quickdash"), [5] * 11).score == 100
    s = score(m("quickdash"), [2, 3, 1, 1, 2, 3, 4, 1, 2, None, 3])  # 22 over 10 items
    assert s.score == pytest.approx((22 / 10 - 1) * 25)
    assert (s.answered, s.missing, s.mcid, s.percent) == (10, 1, 14, None)


def test_quickdash_two_missing_is_an_error_naming_the_count() -> None:
    with pytest.raises(MeasureError) as info:
        score(m("quickdash"), [2, 3, None, 1, 2, 3, 4, None, 2, 1, 3])
    assert str(info.value).startswith("quickdash: 2 items missing")
    assert "at most 1 allowed" in str(info.value)


def test_lefs_sum_and_no_missing() -> None:
    s = score(m("lefs"), [4] * 10 + [2] * 10)
    assert (s.score, s.max, s.direction, s.mcid) == (60, 80, "higher_is_better", 9)
    assert s.interpretation is None
    with pytest.raises(MeasureError, match=r"lefs: 1 item missing \(item 3\), none allowed"):
        score(m("lefs"), [4, 4, None] + [4] * 17)


def test_fabq_subscales() -> None:
    answers: list[float | None] = [0] * 16
    for item, value in {2: 4, 3: 4, 4: 4, 5: 4, 6: 6, 7: 6, 9: 5, 10: 5, 11: 5, 12: 5, 15: 6}.items():
        answers[item - 1] = value
    answers[0] = answers[7] = 6  # unscored items do not count
    s = score(m("fabq"), answers)
    assert s.score is None
    assert s.subscores == {"pa": 16, "work": 38}
    assert s.subscore_max == {"pa": 24, "work": 42}
    assert s.subscore_interpretation == {"pa": "elevated (above 14)",
                                         "work": "high risk of prolonged work restriction (above 34)"}
    assert s.subscore_mcid == {"pa": 4, "work": 7}


def test_fabq_unscored_items_may_be_blank_scored_ones_may_not() -> None:
    answers: list[float | None] = [None, 1, 1, 1, 1, 2, 2, None, 2, 2, 2, 2, None, None, 2, None]
    s = score(m("fabq"), answers)
    assert s.subscores == {"pa": 4, "work": 14}
    assert s.subscore_interpretation["work"] == "lower risk of prolonged work restriction (below 30)"
    answers[5] = None
    with pytest.raises(MeasureError, match=r"fabq: 1 item missing \(item 6\)"):
        score(m("fabq"), answers)


def test_tsk11_range() -> None:
    assert score(m("tsk11"), [1] * 11).score == 11
    assert score(m("tsk11"), [4] * 11).score == 44
    with pytest.raises(MeasureError, match="tsk11 item 5: 0 is out of range 1-4"):
        score(m("tsk11"), [1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1])


@pytest.mark.parametrize(("answers", "total", "psych", "risk"), [
    ([1, 1, 1, 0, 0, 0, 0, 0, 0], 3, 0, "low"),
    ([0, 0, 0, 0, 1, 1, 1, 0, 0], 3, 3, "low"),      # total <= 3 is low, whatever the subscale
    ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, 0, "medium"),
    ([1, 1, 0, 0, 1, 1, 1, 0, 0], 5, 3, "medium"),
    ([0, 0, 0, 0, 1, 1, 1, 1, 0], 4, 4, "high"),
    ([1, 1, 1, 1, 1, 1, 1, 1, 1], 9, 5, "high"),
])
def test_startback_risk_groups(answers: list[float | None], total: int, psych: int, risk: str) -> None:
    s = score(m("startback"), answers)
    assert (s.score, s.subscores["psychosocial"], s.risk) == (total, psych, risk)
    assert s.interpretation == f"{risk} risk"


# --- bad answers ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("mid", "answers", "message"), [
    ("odi", [2, 2, 2, 7, 2, 2, 2, 2, 0, 1], "odi item 4: 7 is out of range 0-5"),
    ("odi", [2, 2, 2, -1, 2, 2, 2, 2, 0, 1], "odi item 4: -1 is out of range 0-5"),
    ("ndi", [2, 2.5, 2, 2, 2, 2, 2, 2, 0, 1], "ndi item 2: 2.5 is not a whole number"),
    ("nprs", [11], "nprs item 1: 11 is out of range 0-10"),
    ("groc", [8], "groc item 1: 8 is out of range -7 to 7"),
    ("quickdash", [0] + [1] * 10, "quickdash item 1: 0 is out of range 1-5"),
    ("startback", [1, 0, 2, 0, 0, 0, 0, 0, 0], "startback item 3: 2 is out of range 0-1"),
    ("odi", [1, 2, 3], "odi: 3 answers given, expected 10"),
    ("nprs", [], "nprs: 0 answers given, expected 1"),
    ("nprs", [None], "nprs: 1 item missing (item 1), none allowed"),
])
def test_bad_answers_name_the_item(mid: str, answers: list[float | None], message: str) -> None:
    with pytest.raises(MeasureError) as info:
        score(m(mid), answers)
    assert str(info.value) == message


@pytest.mark.parametrize("bad", ["3", float("nan"), float("inf"), True])
def test_non_numeric_answer_is_refused(bad: Any) -> None:
    with pytest.raises(MeasureError, match=r"nprs item 1: .* is not a number") as info:
        score(m("nprs"), [bad])
    assert info.value.item == 1
    assert isinstance(info.value, ValueError)


# --- change against the MCID ---------------------------------------------------------------------

@pytest.mark.parametrize(("mid", "baseline", "current", "result"), [
    ("nprs", 7, 5, "improved"),               # lower is better, drop of 2 = MCID
    ("nprs", 7, 6, "no_meaningful_change"),
    ("nprs", 4, 6, "worse"),
    ("odi", 40, 30, "improved"),              # 10 points
    ("odi", 40, 31, "no_meaningful_change"),  # 9 points, although 22.5% relative
    ("odi", 30, 42, "worse"),
    ("odi", 16 / 45 * 100, 16 / 45 * 100 - 10, "improved"),  # exactly the MCID after float maths
    ("ndi", 20, 10, "improved"),
    ("psfs", 3, 5, "improved"),               # higher is better
    ("psfs", 5, 3, "worse"),
    ("psfs", 3, 4.3, "no_meaningful_change"),
    ("lefs", 40, 49, "improved"),
    ("lefs", 49, 40, "worse"),
    ("quickdash", 50, 36, "improved"),
    ("quickdash", 50, 40, "no_meaningful_change"),
    ("tsk11", 30, 26, "improved"),
    ("tsk11", 26, 30, "worse"),
])
def test_change_against_mcid(mid: str, baseline: float, current: float, result: str) -> None:
    assert change(m(mid), baseline, current) == result


def test_change_by_fabq_subscale() -> None:
    assert change(m("fabq"), 20, 16, subscale="pa") == "improved"
    assert change(m("fabq"), 30, 25, subscale="work") == "no_meaningful_change"
    assert change(m("fabq"), 25, 32, subscale="work") == "worse"
    with pytest.raises(MeasureError, match="change needs a subscale"):
        change(m("fabq"), 20, 16)
    with pytest.raises(MeasureError, match="no subscale 'fear'"):
        change(m("fabq"), 20, 16, subscale="fear")
    with pytest.raises(MeasureError, match="fabq: current 30 is out of range 0-24"):
        change(m("fabq"), 20, 30, subscale="pa")


@pytest.mark.parametrize("mid", ["groc", "startback"])
def test_change_without_mcid_is_refused(mid: str) -> None:
    with pytest.raises(MeasureError, match="has no MCID"):
        change(m(mid), 0, 1)


def test_change_values_out_of_range() -> None:
    with pytest.raises(MeasureError, match="odi: baseline 120 is out of range 0-100"):
        change(m("odi"), 120, 30)
    with pytest.raises(MeasureError, match="ndi: current 60 is out of range 0-50"):
        change(m("ndi"), 20, 60)
