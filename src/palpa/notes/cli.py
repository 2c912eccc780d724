"""`palpa notes extract TEXT | --file F | -`: the findings a note mentions, each with its status."""

from __future__ import annotations

import argparse
import sys

import orjson

from palpa.notes.extract import extract, first_present

EXIT_BAD_INPUT = 2


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `notes` (sub-command `extract`) on the `palpa` command's subparsers."""
    notes = subparsers.add_parser("notes", help="read findings from free-text clinical notes")
    sub = notes.add_subparsers(dest="notes_command", required=True)
    p = sub.add_parser(
        "extract", help="list the findings a note mentions: code, status, span, text, cue",
        description="Read vocabulary findings from a note; a negated, family, hypothetical or "
                    "resolved mention is listed with that status, not as present.")
    p.add_argument("text", nargs="?", help="the note's text, or - to read it from standard input")
    p.add_argument("--file", metavar="F", help="read the note from file F")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="text (default; one mention a line) or json (a list of mentions)")
    p.add_argument("--present", action="store_true", help="only present findings, first mention each")
    p.set_defaults(func=cmd_extract)


def _fail(message: str) -> int:
    sys.stderr.write("palpa: " + message.replace("\n", " ") + "\n")
    return EXIT_BAD_INPUT


def _read(args: argparse.Namespace) -> str | None:
    """The note from --file, standard input ('-') or the argument; None when none or both."""
    if args.file is not None:
        if args.text is not None:
            return None
        with open(args.file, encoding="utf-8") as f:
            return f.read()
    if args.text == "-":
        return sys.stdin.read()
    return args.text  # type: ignore[no-any-return]


def cmd_extract(args: argparse.Namespace) -> int:
    """Print each mention of the note; exit 2 without a note or with an unreadable file."""
    try:
        note = _read(args)
    except OSError as err:
        return _fail(f"cannot read {args.file}: {err.strerror}")
    except UnicodeDecodeError:
        return _fail(f"{args.file} is not UTF-8 text")
    if note is None:
        return _fail("notes extract: give the note as TEXT, - (standard input) or --file F, not both")
    mentions = extract(note)
    if args.present:
        mentions = first_present(mentions)
    if args.format == "json":
        sys.stdout.buffer.write(orjson.dumps([m.to_dict() for m in mentions]) + b"\n")
        return 0
    for m in mentions:
        sys.stdout.write(f"{m.code}\t{m.status}\t[{m.start}, {m.end})\t{m.text!r}\t{m.cue or '-'}\n")
    return 0
