"""`palpa fhir export` and `palpa fhir import` through the command's own parsers."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from fhir.resources.R4B.bundle import Bundle

from palpa.codec import decode_case
from palpa.demo_data import PATIENTS
from palpa.interop.fhir_cli import main
from palpa.knowledge.loader import load_knowledge

ROOT = Path(__file__).resolve().parents[2]
EPISODE = ROOT / "src" / "palpa" / "data" / "demo_episode.json"


@pytest.fixture
def case_file(tmp_path: Path) -> Path:
    path = tmp_path / "case.json"
    path.write_bytes(orjson.dumps(PATIENTS[0]["case"]))
    return path


def test_export_writes_a_valid_bundle_and_import_reads_it_back(
        tmp_path: Path, case_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bundle.json"
    assert main(["fhir", "export", str(EPISODE), "--case", str(case_file), "--patient-name", "Ada Example",
                 "--birth-date", "1990-06-01", "-o", str(out)]) == 0
    bundle = orjson.loads(out.read_bytes())
    Bundle.model_validate(bundle)
    patient = bundle["entry"][0]["resource"]
    assert patient["name"] == [{"text": "Ada Example"}] and patient["birthDate"] == "1990-06-01"
    capsys.readouterr()
    report = tmp_path / "report.ndjson"
    assert main(["fhir", "import", str(out), "--as-of", "2025-03-03", "--report", str(report)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    case = orjson.loads(lines[0])
    decode_case(lines[0], load_knowledge())
    assert (case["age"], case["sex"], case["region"]) == (34, "female", "lumbar")
    [row] = [orjson.loads(x) for x in report.read_bytes().splitlines()]
    assert row["case_built"] is True and row["unmapped"] == []


def test_import_reports_unmapped_codes_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "r.ndjson"
    rows = [
        {"resourceType": "Patient", "id": "p1", "gender": "male", "birthDate": "1970-01-01"},
        {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
         "code": {"coding": [{"system": "http://snomed.info/sct", "code": "279039007"}]},
         "onsetDateTime": "2025-01-01"},
        {"resourceType": "Condition", "id": "c2", "subject": {"reference": "Patient/p1"},
         "code": {"coding": [{"system": "http://snomed.info/sct", "code": "123456789", "display": "Odd"}]}},
    ]
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in rows))
    assert main(["fhir", "import", str(path), "--as-of", "2025-02-01"]) == 0
    captured = capsys.readouterr()
    assert orjson.loads(captured.out)["duration_days"] == 31
    assert "unmapped Condition/c2 Condition.code http://snomed.info/sct|123456789 (Odd)" in captured.err


@pytest.mark.parametrize(("content", "message"), [
    (b'{"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient"}}]}',
     "field 'entry[0].resource.id'"),
    (b'{"resourceType": "Bundle", "entry": 3}', "field 'entry'"),
    (b"{oops", "not valid JSON"),
])
def test_bad_input_exits_2_with_one_line_naming_the_field(
        tmp_path: Path, content: bytes, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    assert main(["fhir", "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_export_refuses_a_bad_case_naming_the_field(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "case.json"
    bad.write_bytes(orjson.dumps({**PATIENTS[0]["case"], "findings": ["numb_toes"]}))
    assert main(["fhir", "export", str(EPISODE), "--case", str(bad)]) == 2
    assert "field 'findings[0]'" in capsys.readouterr().err
    other = tmp_path / "neck.json"
    other.write_bytes(orjson.dumps({**PATIENTS[0]["case"], "region": "cervical"}))
    assert main(["fhir", "export", str(EPISODE), "--case", str(other)]) == 2
    assert "field 'region'" in capsys.readouterr().err
