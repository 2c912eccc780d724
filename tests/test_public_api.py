"""The deliberate public surface of the package."""

import palpa


def test_public_api() -> None:
    assert sorted(palpa.__all__) == sorted([
        "Assessment", "Case", "CaseError", "KnowledgeBase", "KnowledgeError", "Triage", "assess",
        "assess_json", "assessment_to_dict", "decode_case", "load_knowledge"])
    a = palpa.assess_json(b'{"id": "x", "age": 30, "sex": "male", "region": "knee", "duration_days": 3}')
    assert a["case_id"] == "x" and a["triage"]["level"] == "treat"
