"""`palpa db upgrade`, `clinic add`, `user add`, `demo`, `audit export`, `backup`, `restore`.

The database is `PALPA_DATABASE_URL`, else the embedded SQLite database under the user's data
directory. Anything the operator must fix (unknown clinic, duplicate user, bad date, a PostgreSQL URL
given to backup) exits 2 with one line on stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from sqlalchemy.exc import IntegrityError, OperationalError

from palpa import ops

EXIT_BAD_INPUT = 2


def _fail(message: str) -> int:
    sys.stderr.write("palpa: " + message.replace("\n", " ") + "\n")
    return EXIT_BAD_INPUT


def _guarded(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except ops.OpsError as err:
            return _fail(str(err))
        except IntegrityError as err:
            return _fail(f"refused by the database (duplicate or inconsistent record): {err.orig}")
        except OperationalError as err:
            return _fail(f"database error: {err.orig}; has `palpa db upgrade` been run?")
    run.__doc__ = func.__doc__
    return run


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Migrate the database to the latest schema."""
    ops.upgrade_database()
    print("database upgraded to the latest schema")
    return 0


def cmd_clinic_add(args: argparse.Namespace) -> int:
    """Create a clinic."""
    clinic = ops.add_clinic(args.name, args.slug, phone=args.phone, email=args.email, address=args.address)
    print(f"clinic {clinic.slug} created (id {clinic.id}): {clinic.name}")
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    """Create a user; prints a generated password once unless one is read from stdin."""
    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            return _fail("--password-stdin given but standard input had no password")
    user = ops.add_user(args.clinic, args.email, args.role, password)
    print(f"user {user.email} ({user.role}) created in clinic {args.clinic} (id {user.id})")
    if user.password is not None:
        print(f"password: {user.password}")
        print("(shown once: store it now; it cannot be recovered)")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Seed the demo clinic, clinician and patients."""
    result = ops.seed_demo()
    print(f"demo clinic: {result.clinic_name} (slug {result.clinic_slug}, id {result.clinic_id})")
    print(f"demo patients: {result.patients_total} ({result.patients_created} created now)")
    print(f"sign in as: {result.email}")
    if result.password is not None:
        print(f"password: {result.password}")
        print("(shown once: store it now; it cannot be recovered)")
    else:
        print("password: unchanged (it was printed when the demo user was created)")
    return 0


def cmd_audit_export(args: argparse.Namespace) -> int:
    """Write audit events since a time as NDJSON."""
    since = ops.parse_since(args.since)
    if args.out in (None, "-"):
        count = ops.export_audit(since, sys.stdout.buffer)
    else:
        with open(args.out, "wb") as fh:
            count = ops.export_audit(since, fh)
        print(f"{count} audit events written to {args.out}", file=sys.stderr)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """Copy the SQLite database to a file."""
    dest = ops.backup(args.file)
    print(f"database backed up to {dest}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Replace the SQLite database with a backup."""
    db = ops.restore(args.file)
    print(f"database {db} restored from {args.file}")
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the operations sub-commands on the `palpa` command's subparsers (handler in `func`)."""
    db = sub.add_parser("db", help="database administration (upgrade)")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    p = db_sub.add_parser("upgrade", help="create or migrate the database to the latest schema")
    p.set_defaults(func=_guarded(cmd_db_upgrade))

    clinic = sub.add_parser("clinic", help="clinic administration (add)")
    clinic_sub = clinic.add_subparsers(dest="clinic_command", required=True)
    p = clinic_sub.add_parser("add", help="create a clinic")
    p.add_argument("name", help="the clinic's name, e.g. 'Main Street Physio'")
    p.add_argument("--slug", default=None,
                   help="its unique short name, used to sign in (default: the name slugified, "
                        "'main-street-physio')")
    p.add_argument("--phone", help="contact phone, printed on patient handouts")
    p.add_argument("--email", help="contact email, printed on patient handouts")
    p.add_argument("--address", help="postal address, printed on patient handouts")
    p.set_defaults(func=_guarded(cmd_clinic_add))

    user = sub.add_parser("user", help="user administration (add)")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    p = user_sub.add_parser("add", help="create a user; prints a generated password once")
    p.add_argument("email")
    p.add_argument("--clinic", required=True, metavar="SLUG", help="the clinic's slug (or id)")
    p.add_argument("--role", choices=("clinician", "admin"), default="clinician")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password from the first line of standard input instead of generating one")
    p.set_defaults(func=_guarded(cmd_user_add))

    p = sub.add_parser("demo", help="create a demo clinic, clinician and patients (idempotent)")
    p.set_defaults(func=_guarded(cmd_demo))

    audit = sub.add_parser("audit", help="audit trail (export)")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    p = audit_sub.add_parser("export", help="write audit events as NDJSON, oldest first")
    p.add_argument("--since", required=True, metavar="ISO8601",
                   help="events at or after this date or date-time (naive times are UTC)")
    p.add_argument("--out", default=None, metavar="FILE", help="output file (default: standard output)")
    p.set_defaults(func=_guarded(cmd_audit_export))

    p = sub.add_parser("backup", help="copy the embedded SQLite database to FILE (safe while serving)")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func=_guarded(cmd_backup))

    p = sub.add_parser("restore", help="replace the embedded SQLite database with the backup FILE")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func=_guarded(cmd_restore))
