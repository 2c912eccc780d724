"""`palpa handout CASE.json`: assess one case and write the patient handout as PDF or HTML.

Exit status 0 on success, 2 with a one-line error naming the field on bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from palpa.codec import CaseError, assessment_to_dict
from palpa.knowledge.loader import load_knowledge
from palpa.reports.handout import (
    PAGE_SIZES,
    ClinicContact,
    HandoutError,
    PageSize,
    build_handout,
    render_handout_html,
    render_handout_pdf,
)
from palpa.service import assess_json_case

EXIT_BAD_INPUT = 2
FORMATS = {".pdf": "pdf", ".html": "html", ".htm": "html"}


def _fail(message: str) -> int:
    sys.stderr.write("palpa: " + message.replace("\n", " ") + "\n")
    return EXIT_BAD_INPUT


def _read_case(name: str) -> bytes:
    """The raw case from a file, or standard input for '-' (ValueError when unreadable)."""
    if name == "-":
        return sys.stdin.buffer.read()
    path = Path(name)
    if not path.is_file():
        raise ValueError(f"{name}: no such file")
    return path.read_bytes()


def cmd_handout(args: argparse.Namespace) -> int:
    """Assess the case, build the handout and write it where `-o` says (HTML on stdout without -o)."""
    fmt = "html"
    if args.output is not None:
        suffix = Path(args.output).suffix.lower()
        if suffix not in FORMATS:
            return _fail(f"-o {args.output}: the file name must end in .pdf or .html")
        fmt = FORMATS[suffix]
    page_size: PageSize = args.page_size
    clinic = ClinicContact(name=args.clinic_name, phone=args.clinic_phone, email=args.clinic_email,
                           address=args.clinic_address)
    kb = load_knowledge()
    try:
        raw = _read_case(args.file)
        assessment = assess_json_case(raw, kb)
        handout = build_handout(assessment_to_dict(assessment, kb), kb, clinic,
                                patient_name=args.patient_name)
    except (CaseError, HandoutError, ValueError) as err:  # every one names the file or field
        return _fail(str(err))
    if fmt == "pdf":
        Path(args.output).write_bytes(render_handout_pdf(handout, page_size))
    else:
        html = render_handout_html(handout, page_size)
        if args.output is None:
            sys.stdout.write(html)
        else:
            Path(args.output).write_text(html, encoding="utf-8")
    if args.output is not None:
        sys.stderr.write(f"palpa: handout for case {handout.case_id!r} ({handout.triage}) written to "
                         f"{args.output}\n")
    return 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `handout` on the `palpa` command."""
    h = sub.add_parser("handout", help="the patient handout for a case, as PDF or HTML",
                       description="Assess one case and write the patient's take-home handout: home "
                                   "program, plain-language advice, warning signs and the clinic's contact.")
    h.add_argument("file", help="CASE.json, or - for standard input")
    h.add_argument("-o", "--output", metavar="FILE",
                   help="handout.pdf or handout.html (default: HTML on standard output)")
    h.add_argument("--page-size", choices=PAGE_SIZES, default="A4", help="paper size (default A4)")
    h.add_argument("--clinic-name", required=True, help="the clinic's name, printed on every page")
    h.add_argument("--clinic-phone", help="the clinic's phone number")
    h.add_argument("--clinic-email", help="the clinic's email address")
    h.add_argument("--clinic-address", help="the clinic's postal address")
    h.add_argument("--patient-name", help="the patient's name, printed at the top")
    h.set_defaults(func=cmd_handout)

