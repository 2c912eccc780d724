"""Assessing a case reads its note: it adds findings with spans, never removes structured ones."""

from __future__ import annotations

import orjson

from palpa import assess_json


def case(**fields: object) -> bytes:
    base = {"id": "n", "age": 50, "sex": "male", "region": "lumbar", "duration_days": 3}
    return orjson.dumps(base | fields)


def test_note_adds_a_red_flag_with_its_span() -> None:
    note = "LBP 3/7. New saddle anaesthesia since this morning."
    a = assess_json(case(note=note))
    found = {f["code"]: f for f in a["findings"]}
    f = found["saddle_anesthesia"]
    assert f["from"] == "note" and note[f["span"][0]:f["span"][1]] == f["text"]
    assert a["triage"]["level"] == "emergency"


def test_negated_family_and_hypothetical_mentions_add_nothing() -> None:
    note = ("Denies saddle anaesthesia or B&B change. Mother had DVT. "
            "Advised to report any double vision.")
    a = assess_json(case(note=note))
    assert a["findings"] == [] and a["red_flags"] == []
    assert a["triage"]["level"] == "treat"


def test_note_never_removes_a_structured_finding() -> None:
    a = assess_json(case(findings=["osteoporosis"], note="No osteoporosis."))
    assert a["findings"] == [{"code": "osteoporosis", "from": "structured"}]


def test_structured_finding_is_not_repeated_from_the_note() -> None:
    a = assess_json(case(findings=["history_of_cancer"], note="Hx breast ca 2015."))
    assert [f["code"] for f in a["findings"]] == ["history_of_cancer"]
    assert a["findings"][0]["from"] == "structured"


def test_non_present_mentions_are_kept_for_the_clinician() -> None:
    a = assess_json(case(note="No trauma, saddle numbness since this morning. Mother had DVT."))
    mentions = {m["code"]: m for m in a["note_mentions"]}
    assert mentions["saddle_anesthesia"]["status"] == "negated"
    assert mentions["deep_vein_thrombosis"]["status"] == "family"
    assert any("check the note" in r and "saddle_anesthesia" in r for r in a["triage"]["reasons"])
