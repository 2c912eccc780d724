"""Billing units: the CMS 8-minute rule against the worked examples CMS publishes, and the per-code rule.

CMS source: Medicare Claims Processing Manual (Pub. 100-04), Chapter 5, section 20.2
"Reporting of Service Units With HCPCS", part C "Counting Minutes for Timed Codes in 15 Minute
Units", https://www.cms.gov/Regulations-and-Guidance/Guidance/Manuals/Downloads/clm104c05.pdf
(citation key cms_clm104c05_timed_units). The examples are quoted below from stored copies of
that section; the expected units are CMS's, not Palpa's.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from palpa.core.billing import (
    Method,
    bill_recorded_visit,
    bill_visit,
    units_for_minutes,
    visit_minutes_by_code,
)
from palpa.core.episode import ExerciseGiven, TechniqueApplied, TimedService, Visit
from palpa.knowledge.episode_loader import load_billing, load_billing_from
from palpa.knowledge.loader import KNOWLEDGE_DIR, KnowledgeError, load_knowledge, load_sources

CMS: Method = "cms_8_minute"


def cms(**minutes: int) -> dict[str, int]:
    """Units per code under the CMS rule for minutes given as c97110=33, ..."""
    billing = bill_visit({k.lstrip("c"): v for k, v in minutes.items()}, CMS, None)
    return {line.code: line.units for line in billing.lines}


# --- the unit table -----------------------------------------------------------------------------

# §20.2 C: "Time intervals for 1 through 8 units are as follows: 1 unit >= 8 minutes through
# 22 minutes; 2 units >= 23 minutes through 37 minutes; 3 units >= 38 minutes through 52 minutes;
# 4 units >= 53 minutes through 67 minutes; 5 units >= 68 minutes through 82 minutes; 6 units
# >= 83 minutes through 97 minutes; 7 units >= 98 minutes through 112 minutes; 8 units >= 113
# minutes through 127 minutes. The pattern remains the same for treatment times in excess of
# 2 hours."
@pytest.mark.parametrize(("minutes", "units"), [
    (0, 0), (7, 0), (8, 1), (22, 1), (23, 2), (37, 2), (38, 3), (52, 3), (53, 4), (67, 4),
    (68, 5), (82, 5), (83, 6), (97, 6), (98, 7), (112, 7), (113, 8), (127, 8), (128, 9)])
def test_cms_unit_table(minutes: int, units: int) -> None:
    assert units_for_minutes(minutes) == units
    assert bill_visit({"97110": minutes}, CMS, None).timed_units == units


# --- the worked examples of §20.2 ---------------------------------------------------------------

def test_cms_example_1_most_units_to_the_longest_service() -> None:
    # "Example 1 - 24 minutes of neuromuscular reeducation, code 97112, 23 minutes of therapeutic
    # exercise, code 97110, Total timed code treatment time was 47 minutes. ... Appropriate billing
    # for 47 minutes is only 3 timed units. ... The correct coding is 2 units of code 97112 and one
    # unit of code 97110, assigning more timed units to the service that took the most time."
    b = bill_visit({"97112": 24, "97110": 23}, CMS, None)
    assert (b.timed_minutes, b.timed_units) == (47, 3)
    assert (b.units("97112"), b.units("97110")) == (2, 1)


def test_cms_example_2_equal_times_either_code_gets_two() -> None:
    # "Example 2 - 20 minutes of neuromuscular reeducation (97112) 20 minutes therapeutic exercise
    # (97110), 40 Total timed code minutes. Appropriate billing for 40 minutes is 3 units. ... Since
    # the time for each service is the same, choose either code for 2 units and bill the other for
    # 1 unit. Do not bill 3 units for either one of the codes."
    b = bill_visit({"97112": 20, "97110": 20}, CMS, None)
    assert b.timed_units == 3
    assert sorted([b.units("97112"), b.units("97110")]) == [1, 2]
    assert any("Tie" in line for line in b.explanation)


def test_cms_example_3_leftover_minutes_compared_with_a_short_service() -> None:
    # "Example 3 - 33 minutes of therapeutic exercise (97110), 7 minutes of manual therapy (97140),
    # 40 Total timed minutes. Appropriate billing for 40 minutes is for 3 units. Bill 2 units of
    # 97110 and 1 unit of 97140. Count the first 30 minutes of 97110 as two full units. Compare the
    # remaining time for 97110 (33-30 = 3 minutes) to the time spent on 97140 (7 minutes) and bill
    # the larger, which is 97140."
    assert cms(c97110=33, c97140=7) == {"97110": 2, "97140": 1}


def test_cms_example_4_four_services_three_units() -> None:
    # "Example 4 - 18 minutes of therapeutic exercise (97110), 13 minutes of manual therapy (97140),
    # 10 minutes of gait training (97116), 8 minutes of ultrasound (97035), 49 Total timed minutes.
    # Appropriate billing is for 3 units": one unit each of 97110, 97140 and 97116 and none of
    # 97035 (the first 15 minutes of 97110 are one unit; its 3 minutes left lose to 13 and 10).
    b = bill_visit({"97110": 18, "97140": 13, "97116": 10, "97035": 8}, CMS, None,
                   catalogue=load_billing())
    assert (b.timed_minutes, b.timed_units) == (49, 3)
    assert {line.code: line.units for line in b.lines} == {
        "97110": 1, "97140": 1, "97116": 1, "97035": 0}


def test_cms_two_services_of_7_minutes_bill_one_unit() -> None:
    # §20.2 C: "If any 15 minute timed service that is performed for 7 minutes or less than
    # 7 minutes on the same day as another 15 minute timed service that was also performed for
    # 7 minutes or less and the total time of the two is 8 minutes or greater, then bill one unit
    # for the service performed for the most minutes."
    b = bill_visit({"97110": 7, "97140": 7}, CMS, None)
    assert (b.timed_minutes, b.timed_units) == (14, 1)
    assert sorted(line.units for line in b.lines) == [0, 1]
    assert cms(c97110=7, c97140=5) == {"97110": 1, "97140": 0}


def test_cms_same_logic_for_three_short_services() -> None:
    # §20.2 C: "The same logic is applied when three or more different services are provided for
    # 7 minutes or less." 7 + 7 + 7 = 21 minutes is one unit, to one of the three codes.
    b = bill_visit({"97112": 7, "97110": 7, "97140": 7}, CMS, None)
    assert b.timed_units == 1
    assert sorted(line.units for line in b.lines) == [0, 0, 1]


def test_cms_one_short_service_alone_bills_nothing() -> None:
    # §20.2 C: "When only one service is provided in a day, providers should not bill for services
    # performed for less than 8 minutes."
    assert cms(c97140=7) == {"97140": 0}


def test_cms_fifteen_minutes_of_a_service_bills_at_least_one_unit() -> None:
    # §20.2 C: "If a service represented by a 15 minute timed code is performed in a single day for
    # at least 15 minutes that service shall be billed for at least one unit."
    # 15 + 22 = 37 minutes is 2 units: one each, not both to the longer service.
    assert cms(c97110=15, c97112=22) == {"97110": 1, "97112": 1}


@given(st.dictionaries(st.sampled_from(["97110", "97112", "97140", "97530", "97535"]),
                       st.integers(0, 75), max_size=5))
def test_cms_rule_invariants(minutes: dict[str, int]) -> None:
    b = bill_visit(minutes, CMS, None)
    assert b.timed_units == units_for_minutes(sum(minutes.values()))
    for line in b.lines:
        assert line.minutes // 15 <= line.units <= line.minutes // 15 + 1


# --- the per-code (CPT midpoint) rule --------------------------------------------------------------

def test_per_code_rule_counts_each_code_on_its_own_minutes() -> None:
    # AAFP "Decoding the CPT midpoint rule": "a unit of time is attained when the midpoint is
    # passed" - so each 15-minute code needs 8 minutes of its own for its first unit.
    b = bill_visit({"97110": 33, "97140": 7}, "per_code", None)
    assert (b.units("97110"), b.units("97140"), b.timed_units) == (2, 0, 2)
    b = bill_visit({"97110": 10, "97112": 10}, "per_code", None)
    assert (b.units("97110"), b.units("97112")) == (1, 1)
    assert bill_visit({"97110": 10, "97112": 10}, CMS, None).timed_units == 1


# --- evaluation codes, explanation and errors ---------------------------------------------------------

def test_evaluation_is_one_untimed_unit_outside_the_timed_total() -> None:
    b = bill_visit({"97140": 14, "97110": 8}, CMS, "97162", evaluation_minutes=30,
                   catalogue=load_billing())
    assert b.lines[0].code == "97162" and b.lines[0].units == 1 and not b.lines[0].timed
    assert (b.timed_minutes, b.timed_units, b.total_units) == (22, 1, 2)
    assert b.total_treatment_minutes == 52
    assert any("97162" in line and "untimed" in line for line in b.explanation)
    assert b.explanation[0].startswith("Total timed minutes 22 -> 1 unit(s)")


@pytest.mark.parametrize(("call", "message"), [
    (lambda: bill_visit({"97110": -1}, CMS, None), r"minutes_by_code\['97110'\]"),
    (lambda: bill_visit({"9711": 10}, CMS, None), "5-digit"),
    (lambda: bill_visit({"97110": 10}, "rounded", None), "method"),  # type: ignore[arg-type]
    (lambda: bill_visit({"97162": 10}, CMS, "97162"), "evaluation_code"),
    (lambda: bill_visit({"97999": 10}, CMS, None, catalogue=load_billing()), "unknown CPT"),
    (lambda: bill_visit({"97161": 10}, CMS, None, catalogue=load_billing()), "untimed"),
    (lambda: bill_visit({}, CMS, "97140", catalogue=load_billing()), "evaluation_code"),
    (lambda: units_for_minutes(-5), "minutes"),
])
def test_bad_input_names_the_field(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# --- the catalogue: billing.yaml -----------------------------------------------------------------

def test_every_technique_bills_as_manual_therapy_and_exercise_as_97110() -> None:
    catalogue = load_billing()
    assert set(catalogue.technique_cpt) == set(load_knowledge().vocabulary.techniques)
    assert set(catalogue.technique_cpt.values()) == {"97140"}
    assert catalogue.exercise_cpt == "97110"
    timed = {c for c, e in catalogue.codes.items() if e.timed}
    assert {"97140", "97110", "97112", "97530", "97535"} <= timed
    assert {c for c, e in catalogue.codes.items() if not e.timed} == {"97161", "97162", "97163", "97164"}
    sources = load_sources(KNOWLEDGE_DIR)
    assert all(e.source in sources for e in catalogue.codes.values())
    assert set(catalogue.method_sources.values()) <= set(sources)


def test_descriptors_are_paraphrased_not_ama_wording() -> None:
    codes = load_billing().codes
    assert "1 or more regions, each 15 minutes" not in codes["97140"].description
    assert "requiring these components" not in codes["97161"].description


def test_a_recorded_visit_maps_techniques_and_exercise_to_codes() -> None:
    visit = Visit(
        number=3, date=date(2025, 3, 10), clinician="A. Rivera, PT",
        techniques=(TechniqueApplied("joint_mobilization", "lumbar", 9, grade="III"),
                    TechniqueApplied("muscle_energy_technique", "lumbar", 5)),
        exercises=(ExerciseGiven("lumbar_bird_dog", 10), ExerciseGiven("balance", 6, cpt="97112")),
        other_services=(TimedService("97530", 8),))
    catalogue = load_billing()
    assert visit_minutes_by_code(visit, catalogue) == {
        "97140": 14, "97110": 10, "97112": 6, "97530": 8}
    b = bill_recorded_visit(visit, catalogue, CMS)
    assert (b.timed_minutes, b.timed_units) == (38, 3)
    assert {line.code: line.units for line in b.lines} == {
        "97140": 1, "97110": 1, "97112": 0, "97530": 1}


@pytest.fixture
def billing_copy(tmp_path: Path) -> Callable[[Callable[[Any], None]], Path]:
    def make(mutate: Callable[[Any], None]) -> Path:
        target = tmp_path / f"kb{len(list(tmp_path.iterdir()))}"
        shutil.copytree(KNOWLEDGE_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
        data = yaml.safe_load((target / "billing.yaml").read_text())
        mutate(data)
        (target / "billing.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
        return target
    return make


@pytest.mark.parametrize(("mutate", "entry", "field", "words"), [
    (lambda d: d["codes"]["97140"].update(source="nobody2099"), "97140", "source", "nobody2099"),
    (lambda d: d["codes"]["97140"].update(unit_minutes=30), "97140", "unit_minutes", "15-minute"),
    (lambda d: d["codes"]["97140"].update(colour="red"), "97140", None, "unknown field `colour`"),
    (lambda d: d["technique_cpt"].update(joint_manipulation="97161"), "joint_manipulation",
     "technique_cpt", "not a timed code"),
    (lambda d: d["technique_cpt"].update(cupping="97140"), "cupping", "technique_cpt", "cupping"),
    (lambda d: d["technique_cpt"].pop("iastm"), None, "technique_cpt", "iastm"),
    (lambda d: d["methods"].pop("per_code"), "per_code", "methods", "missing"),
    (lambda d: d.update(exercise_cpt="97162"), "exercise_cpt", "exercise_cpt", "97162"),
])
def test_billing_yaml_errors_name_file_entry_and_field(
        billing_copy: Callable[[Callable[[Any], None]], Path], mutate: Callable[[Any], None],
        entry: str | None, field: str | None, words: str) -> None:
    with pytest.raises(KnowledgeError) as err:
        load_billing_from(billing_copy(mutate))
    e = err.value
    assert (e.file, e.entry) == ("billing.yaml", entry)
    if field:
        assert e.field == field
    assert words in str(e)
