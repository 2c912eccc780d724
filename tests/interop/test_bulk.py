"""Bulk screening of generated exports with planted red flags: all found, none dropped."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

import orjson
import pytest

from palpa.interop.bulk import Report, screen_export
from palpa.interop.bulk_read import ExportError
from palpa.interop.synthetic_export import TRUTH_FILE, Truth, write_export
from palpa.knowledge.loader import load_knowledge

N = 10_000


def rows_of(data: bytes) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for line in data.splitlines():
        row = orjson.loads(line)
        assert row["patient_id"] not in rows, "a patient written twice"
        rows[row["patient_id"]] = row
    return rows


def shuffled_copy(source: Path, target: Path, seed: int) -> Path:
    """The same export with every file's lines in a random order."""
    target.mkdir()
    rng = random.Random(seed)
    for path in source.glob("*.ndjson"):
        lines = path.read_bytes().splitlines(keepends=True)
        rng.shuffle(lines)
        (target / path.name).write_bytes(b"".join(lines))
    return target


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Truth]:
    directory = tmp_path_factory.mktemp("bulk") / "export"
    return directory, write_export(directory, N, seed=11)


@pytest.fixture(scope="module")
def sorted_run(export: tuple[Path, Truth]) -> tuple[Report, dict[str, dict[str, Any]]]:
    directory, truth = export
    out = io.BytesIO()
    report = screen_export(directory, out, as_of=truth.as_of)
    return report, rows_of(out.getvalue())


def test_every_planted_flag_is_found_and_no_patient_dropped(
        export: tuple[Path, Truth], sorted_run: tuple[Report, dict[str, dict[str, Any]]]) -> None:
    directory, truth = export
    report, rows = sorted_run
    assert report.grouping == "sorted" and report.fallback is None
    assert sorted(rows) == sorted(truth.patients)
    assert {p.name for p in directory.glob("Condition*.ndjson")} == {"Condition.1.ndjson",
                                                                      "Condition.2.ndjson"}
    planted = 0
    for pid, expected in truth.patients.items():
        row = rows[pid]
        assert row["triage"] == expected["triage"], pid
        want = {(f["id"], f["urgency"]) for f in expected["red_flags"]}
        assert {(f["id"], f["urgency"]) for f in row["red_flags"]} == want, pid
        for flag, planted_flag in zip(sorted(row["red_flags"], key=lambda f: f["id"]),
                                      sorted(expected["red_flags"], key=lambda f: f["id"]),
                                      strict=True):
            assert set(planted_flag["findings"]) <= set(flag["findings"]), pid
            assert flag["source"] in load_knowledge().sources
        planted += len(want)
        assert len(row["unmapped"]) == expected["unmapped"], pid
        if expected["triage"] is None:
            assert row["problems"], pid
    kb = load_knowledge()
    assert planted > N // 4
    assert set(truth.red_flag_counts()) == set(kb.vocabulary.red_flags)  # every kind was planted
    assert sum(p["decoys"] for p in truth.patients.values()) > 100


def test_summary_counts_equal_the_truth(export: tuple[Path, Truth],
                                        sorted_run: tuple[Report, dict[str, dict[str, Any]]]) -> None:
    _, truth = export
    summary = sorted_run[0].to_json()
    assert summary["patients"] == N
    expected = truth.triage_counts()
    assert summary["triage"] == {level: expected.get(level, 0) for level in summary["triage"]}
    assert sum(summary["triage"].values()) == N
    assert summary["red_flags"] == dict(truth.red_flag_counts())
    assert summary["resources_without_patient"] == {"Practitioner": 3}
    assert summary["patients_with_unmapped"] == sum(1 for p in truth.patients.values() if p["unmapped"])
    on_disk = orjson.loads((export[0] / TRUTH_FILE).read_bytes())
    assert on_disk["red_flags"] == dict(sorted(truth.red_flag_counts().items()))


def test_unsorted_export_is_partitioned_and_gives_the_same_results(
        tmp_path: Path, export: tuple[Path, Truth],
        sorted_run: tuple[Report, dict[str, dict[str, Any]]]) -> None:
    directory, truth = export
    shuffled = shuffled_copy(directory, tmp_path / "shuffled", seed=5)
    out = io.BytesIO()
    report = screen_export(shuffled, out, as_of=truth.as_of, partition_bytes=1 << 20)
    assert report.grouping == "partitioned"
    assert report.partitions is not None and report.partitions > 4
    assert report.fallback is not None and "not sorted by patient" in report.fallback
    assert rows_of(out.getvalue()) == sorted_run[1]
    assert report.to_json()["triage"] == sorted_run[0].to_json()["triage"]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Truth]:
    directory = tmp_path_factory.mktemp("small") / "export"
    return directory, write_export(directory, 400, seed=3, sorted=False, condition_files=3)


def test_generated_unsorted_export_split_files_and_one_ndjson_file(
        tmp_path: Path, small: tuple[Path, Truth]) -> None:
    directory, truth = small
    assert len(list(directory.glob("Condition.*.ndjson"))) == 3
    out = io.BytesIO()
    report = screen_export(directory, out, as_of=truth.as_of, order="unsorted")
    rows = rows_of(out.getvalue())
    assert report.grouping == "partitioned" and report.fallback is None
    assert {pid: r["triage"] for pid, r in rows.items()} == {
        pid: p["triage"] for pid, p in truth.patients.items()}
    single = tmp_path / "all.ndjson"
    single.write_bytes(b"".join(p.read_bytes() for p in sorted(directory.glob("*.ndjson"))))
    out_single = io.BytesIO()
    screen_export(single, out_single, as_of=truth.as_of)
    assert rows_of(out_single.getvalue()) == rows


def test_worker_processes_give_the_same_lines(small: tuple[Path, Truth], tmp_path: Path) -> None:
    directory, truth = small
    one, two = io.BytesIO(), io.BytesIO()
    screen_export(directory, one, as_of=truth.as_of, order="unsorted", partition_bytes=50_000)
    screen_export(directory, two, as_of=truth.as_of, order="unsorted", partition_bytes=50_000, jobs=2)
    assert two.getvalue() == one.getvalue()
    ordered = tmp_path / "ordered"
    write_export(ordered, 600, seed=4)
    seq, par = io.BytesIO(), io.BytesIO()
    screen_export(ordered, seq, as_of=truth.as_of, order="sorted")
    report = screen_export(ordered, par, as_of=truth.as_of, order="sorted", jobs=2)
    assert par.getvalue() == seq.getvalue() and report.summary.patients == 600


class Unseekable(io.BytesIO):
    """A pipe-like output: it cannot be rewound."""

    def seekable(self) -> bool:
        return False


def test_auto_order_on_a_pipe_discards_the_sorted_attempt(small: tuple[Path, Truth]) -> None:
    directory, truth = small
    pipe = Unseekable()
    report = screen_export(directory, pipe, as_of=truth.as_of)
    assert report.grouping == "partitioned"
    assert len(rows_of(pipe.getvalue())) == len(truth.patients)


def test_order_sorted_refuses_an_unsorted_file(small: tuple[Path, Truth]) -> None:
    directory, truth = small
    with pytest.raises(ExportError, match=r"\.ndjson: line \d+: not sorted by patient"):
        screen_export(directory, io.BytesIO(), as_of=truth.as_of, order="sorted")
