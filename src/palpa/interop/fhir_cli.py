"""`palpa fhir export` (episode -> validated R4 Bundle JSON) and `palpa fhir import` (Bundle or
NDJSON resources -> contract cases as NDJSON; unmapped codes on stderr or in a report file).

Bad input exits with status 2 and a one-line error naming the file and field.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from palpa.codec import CaseError, assessment_to_dict
from palpa.interop.fhir_export import ExportError, PatientDetails, birth_date_for_age, bundle_for_episode
from palpa.interop.fhir_import import (
    FhirInputError,
    ImportedCase,
    cases_from_bundle,
    cases_from_resources,
    read_resources,
)
from palpa.knowledge.episode_loader import load_episode
from palpa.knowledge.loader import load_knowledge
from palpa.service import assess_json_case

EXIT_BAD_INPUT = 2


def _fail(message: str) -> int:
    sys.stderr.write("palpa: " + message.replace("\n", " ") + "\n")
    return EXIT_BAD_INPUT


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def cmd_export(args: argparse.Namespace) -> int:
    kb = load_knowledge()
    episode_path, case_path = Path(args.episode), Path(args.case)
    for path in (episode_path, case_path):
        if not path.is_file():
            return _fail(f"{path}: no such file")
    try:
        episode = load_episode(episode_path, kb)
    except ValueError as err:
        return _fail(str(err))
    raw = case_path.read_bytes()
    try:
        assessment = assess_json_case(raw, kb)
    except CaseError as err:
        return _fail(f"{case_path}: {err}")
    case: dict[str, Any] = orjson.loads(raw)
    birth = args.birth_date
    if birth is None:
        birth = birth_date_for_age(int(case["age"]), episode.start)
        sys.stderr.write(f"palpa: no --birth-date: {birth.isoformat()} assumed from age {case['age']} "
                         f"on {episode.start.isoformat()}\n")
    patient = PatientDetails(id=args.patient_id or episode.patient_ref, birth_date=birth,
                             sex=args.sex or case["sex"], name=args.patient_name)
    try:
        bundle = bundle_for_episode(episode, case, assessment_to_dict(assessment, kb), patient)
    except ExportError as err:
        return _fail(f"{episode_path}: {err}")
    data = orjson.dumps(bundle, option=orjson.OPT_INDENT_2) + b"\n"
    if args.output:
        Path(args.output).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
    return 0


def _import(path: Path, as_of: date | None) -> list[ImportedCase]:
    """Every patient in a Bundle/resource .json file or an .ndjson file (FhirInputError if bad)."""
    if path.suffix.lower() in (".ndjson", ".jsonl"):
        return cases_from_resources(read_resources(path), as_of=as_of)
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise FhirInputError(f"{path}: not valid JSON: {exc}") from None
    if isinstance(data, dict) and data.get("resourceType") == "Bundle":
        return cases_from_bundle(data, as_of=as_of, where=str(path))
    return cases_from_resources(read_resources(path), as_of=as_of)


def cmd_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        return _fail(f"{path}: no such file")
    try:
        imported = _import(path, args.as_of)
    except FhirInputError as err:
        return _fail(str(err))
    out = sys.stdout.buffer
    report = []
    for item in imported:
        if item.case is not None:
            out.write(orjson.dumps(item.case) + b"\n")
        report.append({
            "patient_id": item.patient_id, "case_built": item.case is not None,
            "unmapped": [u.__dict__ for u in item.unmapped], "problems": list(item.problems)})
    if args.report:
        Path(args.report).write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in report))
    else:
        for item in imported:
            for u in item.unmapped:
                coded = f"{u.system or '-'}|{u.code or '-'}" + (f" ({u.display})" if u.display else "")
                sys.stderr.write(f"palpa: patient {item.patient_id}: unmapped {u.resource_type}/"
                                 f"{u.resource_id or '-'} {u.field} {coded}: {u.reason}\n")
            for p in item.problems:
                sys.stderr.write(f"palpa: patient {item.patient_id}: {p}\n")
    built = sum(1 for i in imported if i.case is not None)
    sys.stderr.write(f"palpa: {len(imported)} patients, {built} cases built\n")
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `fhir export` and `fhir import` on the `palpa` command."""
    f = sub.add_parser("fhir", help="FHIR R4 export of an episode and import of FHIR resources")
    fsub = f.add_subparsers(dest="fhir_command", required=True)
    e = fsub.add_parser("export", help="an episode, its intake case and assessment as an R4 Bundle")
    e.add_argument("episode", help="EPISODE.json (see examples/episodes/)")
    e.add_argument("--case", required=True, help="the intake contract case (CASE.json)")
    e.add_argument("--patient-name")
    e.add_argument("--patient-id", help="default: the episode's patient_ref")
    e.add_argument("--birth-date", type=_date, help="YYYY-MM-DD (default: from the case's age)")
    e.add_argument("--sex", choices=("female", "male", "other"), help="default: the case's sex")
    e.add_argument("-o", "--output", help="write the Bundle here instead of standard output")
    e.set_defaults(func=cmd_export)
    i = fsub.add_parser("import", help="a Bundle (.json) or resources (.ndjson) -> contract cases (NDJSON)")
    i.add_argument("file", help="BUNDLE.json or RESOURCES.ndjson")
    i.add_argument("--as-of", type=_date, default=None, help="date for age and duration (default: today)")
    i.add_argument("--report", help="write unmapped codes and problems per patient here (NDJSON)")
    i.set_defaults(func=cmd_import)


def main(argv: list[str] | None = None) -> int:
    """Run `palpa fhir ...` on its own (the `palpa` command registers the same parsers)."""
    parser = argparse.ArgumentParser(prog="palpa")
    add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result
