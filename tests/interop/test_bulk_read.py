"""Grouping an export by patient: sorted merge and partitions agree, references in any form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from palpa.interop import bulk_read
from palpa.interop.bulk_read import ExportError, NotSorted, ReadStats
from palpa.interop.fhir_import import patient_id_of


def write(path: Path, resources: list[dict[str, Any] | str]) -> Path:
    path.write_bytes(b"".join((r.encode() if isinstance(r, str) else orjson.dumps(r)) + b"\n"
                              for r in resources))
    return path


def condition(cid: str, reference: str) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": cid, "subject": {"reference": reference}}


@pytest.fixture
def export(tmp_path: Path) -> Path:
    write(tmp_path / "Patient.ndjson", [{"resourceType": "Patient", "id": p} for p in ("a", "b", "c")])
    write(tmp_path / "Condition.1.ndjson", [condition("a1", "Patient/a"), "   ",
                                            condition("c1", "https://ehr.example/fhir/Patient/c")])
    write(tmp_path / "Condition.2.ndjson", [condition("a2", "Patient/a"), condition("b1", "Patient/b"),
                                            condition("g1", "Group/cohort")])
    (tmp_path / "manifest.json").write_text("{}")  # not NDJSON: not read
    return tmp_path


def ids(groups: list[tuple[str, list[dict[str, Any]]]]) -> dict[str, list[str]]:
    return {pid: sorted(r["id"] for r in resources) for pid, resources in groups}


def test_sorted_merge_joins_split_files_and_counts_resources_without_patient(export: Path) -> None:
    stats = ReadStats()
    files = bulk_read.export_files(export)
    assert [p.name for p in files] == ["Condition.1.ndjson", "Condition.2.ndjson", "Patient.ndjson"]
    groups = list(bulk_read.merge_sorted(files, patient_id_of, stats))
    assert [pid for pid, _ in groups] == ["a", "b", "c"]
    assert ids(groups) == {"a": ["a", "a1", "a2"], "b": ["b", "b1"], "c": ["c", "c1"]}
    assert stats.without_patient == {"Condition": 1}
    assert stats.lines == 9 and stats.resources == {"Patient": 3, "Condition": 5}


def test_partitions_give_the_same_groups(export: Path, tmp_path: Path) -> None:
    files = bulk_read.export_files(export)
    parts_dir = tmp_path / "parts"
    parts_dir.mkdir()
    paths = bulk_read.partition(files, parts_dir, 3, patient_id_of, ReadStats())
    groups = [(pid, [orjson.loads(r) for r in raws])
              for path in paths for pid, raws in bulk_read.read_partition(path)]
    assert ids(groups) == ids(list(bulk_read.merge_sorted(files, patient_id_of, ReadStats())))


def test_out_of_order_file_is_named_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "Condition.ndjson", [condition("1", "Patient/b"), condition("2", "Patient/a")])
    with pytest.raises(NotSorted, match=r"Condition\.ndjson: line 2: not sorted by patient: 'a' after 'b'"):
        list(bulk_read.merge_sorted([path], patient_id_of, ReadStats()))


def test_bad_lines_name_file_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path / "Observation.ndjson", [condition("1", "Patient/a"),
                                                   '{"resourceType": 7, "id": "x"}'])
    with pytest.raises(ExportError, match=r"Observation\.ndjson: line 2: field 'resourceType'"):
        list(bulk_read.merge_sorted([path], patient_id_of, ReadStats()))
    with pytest.raises(ExportError, match=r"line 2: field 'resourceType'"):
        bulk_read.partition([path], tmp_path, 1, patient_id_of, ReadStats())
