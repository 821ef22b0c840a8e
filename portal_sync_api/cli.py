"""``portal-sync-api`` command line (docs/design.md §5): a thin layer over the data functions.

Exit codes: 0 done, 1 data error (message on stderr), 2 usage error.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from portal_sync_api import cli_tariffs as tariff_commands
from portal_sync_api.core.config import Settings
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.accounts import (
    DEFAULT_USER_TOKEN_DAYS,
    ROLES,
    create_station,
    create_user,
    revoke_station,
    revoke_user,
    rotate_station,
)
from portal_sync_api.crud.bookings import BookingRefused, close_day
from portal_sync_api.crud.refs import family_by_ref
from portal_sync_api.crud.roster import transfer_child
from portal_sync_api.crud.schools import parse_window, require_school, set_school
from portal_sync_api.errors import DataError
from portal_sync_api.imports import KINDS, LOADERS, ImportFailed

if TYPE_CHECKING:
    import uvicorn


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="portal-sync-api",
        description="Portail cantine: API des stations, imports, comptes.",
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help="base de données (défaut: $PORTAL_DATABASE_URL ou sqlite:///portal.db)",
    )
    # ``--db`` is also accepted after the command (``portal-sync-api migrate --db URL``).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", parents=[common], help="lancer l'API (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processus uvicorn (production : 1 à 2 par cœur, docs/operations.md §13)",
    )

    commands.add_parser(
        "migrate", parents=[common], help="créer ou mettre à jour le schéma (Alembic)"
    )

    imp = commands.add_parser(
        "import",
        parents=[common],
        help="importer un fichier CSV (tout ou rien), ou un export signé d'un poste (meals)",
    )
    imp.add_argument("kind", choices=(*KINDS, "meals"))
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument(
        "--school",
        metavar="CODE",
        help="l'école du fichier : chaque ligne doit être de cette école (les ids d'un "
        "fichier de réservations ou de crédits présents dans plusieurs écoles l'exigent)",
    )

    school = commands.add_parser("school", help="écoles").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    school_set = school.add_parser("set", parents=[common], help="créer ou modifier une école")
    school_set.add_argument("code")
    school_set.add_argument("--name")
    school_set.add_argument("--timezone", metavar="TZ")
    school_set.add_argument(
        "--service",
        action="append",
        default=[],
        metavar="CODE=HH:MM-HH:MM",
        help="fenêtre d'un service (répétable); CODE= le supprime",
    )
    school_set.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="réglage de l'école (répétable)",
    )

    school_close = school.add_parser(
        "close",
        parents=[common],
        help="fermer la cantine un jour (grève, sortie, examens) : réservations annulées",
    )
    school_close.add_argument("code")
    school_close.add_argument("--day", required=True, metavar="AAAA-MM-JJ")
    school_close.add_argument("--reason", required=True, help="motif affiché aux familles")
    tariff_commands.add_parsers(commands, school, common)

    station = commands.add_parser("station", help="stations").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    station_create = station.add_parser(
        "create", parents=[common], help="créer une station; affiche son jeton"
    )
    station_create.add_argument("--school", required=True, metavar="CODE")
    station_create.add_argument("--name", required=True)
    station_rotate = station.add_parser(
        "rotate", parents=[common], help="donner un nouveau jeton à une station (l'ancien cesse)"
    )
    station_revoke = station.add_parser(
        "revoke", parents=[common], help="révoquer le jeton d'une station (perdue, volée)"
    )
    for sub in (station_rotate, station_revoke):
        sub.add_argument("--school", required=True, metavar="CODE")
        sub.add_argument("--name", required=True)

    child = commands.add_parser("child", help="élèves").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    transfer = child.add_parser(
        "transfer",
        parents=[common],
        help="changer un élève d'école (ses repas restent; cartes et réservations retirées)",
    )
    transfer.add_argument("--school", required=True, metavar="CODE", help="école actuelle")
    transfer.add_argument("--child", required=True, metavar="ID", help="id de l'élève")
    transfer.add_argument("--to", required=True, metavar="CODE", help="nouvelle école")
    transfer.add_argument("--as", dest="new_id", metavar="ID", help="id dans la nouvelle école")
    transfer.add_argument("--family", metavar="ID", help="famille de la nouvelle école")

    mail = commands.add_parser("mail", help="e-mails").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    mail_send = mail.add_parser(
        "send",
        parents=[common],
        help="envoyer les e-mails en attente (code 1 si un envoi a échoué)",
    )
    mail_send.add_argument(
        "--loop", action="store_true", help="continuer à envoyer jusqu'à Ctrl-C ou SIGTERM"
    )

    user = commands.add_parser("user", help="utilisateurs").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    user_create = user.add_parser(
        "create", parents=[common], help="créer un utilisateur; affiche son jeton"
    )
    user_create.add_argument("--role", required=True, choices=ROLES)
    user_create.add_argument("--email", required=True)
    user_create.add_argument(
        "--school",
        metavar="CODE",
        action="append",
        dest="schools",
        default=[],
        help="école (à répéter pour le rôle collectivite)",
    )
    user_create.add_argument(
        "--schools", metavar="A,B", dest="school_list", help="écoles du rôle collectivite"
    )
    user_create.add_argument("--family", metavar="ID")
    user_create.add_argument(
        "--expires-days",
        type=int,
        default=DEFAULT_USER_TOKEN_DAYS,
        metavar="N",
        help=f"validité du jeton en jours (défaut {DEFAULT_USER_TOKEN_DAYS})",
    )
    user_revoke = user.add_parser(
        "revoke", parents=[common], help="révoquer le jeton d'API d'un utilisateur"
    )
    user_revoke.add_argument("--email", required=True)
    user_password = user.add_parser(
        "password",
        parents=[common],
        help="afficher un lien à usage unique (48 h) pour choisir le mot de passe web",
    )
    user_password.add_argument("--email", required=True)
    return parser


def _pairs(values: list[str], option: str, parser: argparse.ArgumentParser) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            parser.error(f"{option} attend KEY=VALUE, reçu {value!r}")
        pairs[key.strip()] = rest.strip()
    return pairs


def _serve(url: str, host: str, port: int, workers: int = 1) -> int:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from portal_sync_api.core.access_log import uvicorn_log_config
    from portal_sync_api.core.pool_budget import background_pool, check_connection_budget

    if workers < 1:
        raise DataError("--workers", f"au moins 1 processus, reçu {workers}")
    log_config = uvicorn_log_config()
    settings = Settings.from_env(url)
    check_connection_budget(settings, workers)
    if workers == 1:
        from portal_sync_api.api.main import create_app

        uvicorn.run(create_app(url), host=host, port=port, log_level="info", log_config=log_config)
        return 0
    # uvicorn's own process manager: it binds the socket once, starts the workers (spawned,
    # each building its app from the import string), restarts one that dies and stops them
    # all on SIGTERM — what systemd needs, with no second server package (gunicorn) to
    # install and configure. The workers find the database through the environment and
    # leave the background work to this process, which runs it once for the portal.
    os.environ["PORTAL_DATABASE_URL"] = url
    os.environ["PORTAL_BACKGROUND_TASKS"] = "off"
    from portal_sync_api import background

    config = uvicorn.Config(
        "portal_sync_api.api.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        log_config=log_config,  # applied here too, before the background work logs its start
        # A worker busy through a lunch rush on a small machine answers the supervisor's
        # ping late; at the default 5 s it was killed with its clients' connections.
        timeout_worker_healthcheck=30,
    )
    sock = listening_socket(config)
    engine = make_engine(url, background_pool(settings))
    with background.running(engine, settings) if settings.background_tasks else nullcontext():
        Multiprocess(config, sockets=[sock]).run()
    engine.dispose()
    return 0


def listening_socket(config: uvicorn.Config) -> socket.socket:
    """The port the workers share, with Nagle's algorithm off for every connection.

    uvicorn binds it without naming TCP as its protocol, so asyncio in the workers does not
    set ``TCP_NODELAY`` on the connections they accept: an answer written in two sends
    (headers, then body) then waits for the client's delayed acknowledgement, 40 ms on
    Linux, which made one station's pull ten times slower with ``--workers 2`` than with
    one. Linux gives each accepted connection the listening socket's ``TCP_NODELAY``.
    """
    sock = config.bind_socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _mail_send(engine: Engine, url: str, *, loop: bool) -> int:
    import logging
    import signal

    from portal_sync_api.mail.sender import Sender, SenderThread
    from portal_sync_api.mail.transports import transport_from_settings

    settings = Settings.from_env(url)
    transport = transport_from_settings(settings)
    if transport is None:
        raise DataError("PORTAL_SMTP_HOST", "aucun envoi configuré (ni SMTP ni PORTAL_MAIL_DIR)")
    sender = Sender(engine, transport, mail_from=settings.mail_from)
    if loop:
        # One line per mail sent or retried (row ids only), as serve's log has.
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        # Ctrl-C or SIGTERM stops the sender after the mail it is sending has its outcome
        # recorded (a mail sent but still marked as sending would be sent again later).
        # The signals are blocked in both threads and awaited here, never raised mid-send.
        signals = {signal.SIGINT, signal.SIGTERM}
        signal.pthread_sigmask(signal.SIG_BLOCK, signals)
        thread = SenderThread(sender)
        thread.start()
        signal.sigwait(signals)
        thread.stop()
        return 0
    report = sender.deliver_due()
    print(
        f"e-mails: {report.sent} envoyé(s), {report.retrying} à réessayer plus tard, "
        f"{report.failed} abandonné(s)",
        file=sys.stderr,
    )
    return 0 if report.ok else 1


def _password_link(engine: Engine, email: str) -> str:
    """A link for an existing user (the first intendance login, a parent without the
    e-mail) to choose a web password; their sessions end once it is used."""
    from portal_sync_api.crud.logins import NotFound, password_link

    try:
        with session_scope(engine) as session:
            return password_link(session, email=email, public_url=Settings.from_env().public_url)
    except NotFound as exc:
        raise DataError("email", str(exc)) from None


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser, url: str) -> int:
    if args.command == "serve":
        return _serve(url, args.host, args.port, args.workers)
    if args.command == "migrate":
        from portal_sync_api.migrate import upgrade

        upgrade(url)
        print("schéma à jour", file=sys.stderr)
        return 0
    engine = make_engine(url)
    try:
        if tariff_commands.run(args, engine):
            return 0
        if args.command == "import" and args.kind == "meals":
            from portal_sync_api.offline_import import import_meals

            with session_scope(engine) as session:
                summary = import_meals(session, args.file)
            for line in summary.lines():
                print(line, file=sys.stderr)
        elif args.command == "import":
            if not args.file.is_file():
                raise DataError("file", f"fichier introuvable: {args.file}")
            with session_scope(engine) as session:
                changed = LOADERS[args.kind](session, args.file, args.school)
            print(f"import {args.kind}: {changed} changement(s)", file=sys.stderr)
        elif args.command == "school" and args.action == "close":
            try:
                day = date.fromisoformat(args.day)
            except ValueError:
                raise DataError("day", f"date AAAA-MM-JJ attendue, reçu {args.day!r}") from None
            with session_scope(engine) as session:
                try:
                    cancelled = close_day(
                        session,
                        school=require_school(session, code=args.code),
                        day=day,
                        reason=args.reason,
                        actor="cli",
                    )
                except BookingRefused as refused:
                    raise DataError("reason", refused.message) from None
            print(
                f"cantine {args.code} fermée le {args.day} : {cancelled} réservation(s) annulée(s)",
                file=sys.stderr,
            )
        elif args.command == "school":
            services = {
                code: (parse_window(window) if window else None)
                for code, window in _pairs(args.service, "--service", parser).items()
            }
            settings: dict[str, str | int | bool | None] = dict(
                _pairs(args.setting, "--setting", parser)
            )
            with session_scope(engine) as session:
                set_school(
                    session,
                    code=args.code,
                    name=args.name,
                    timezone=args.timezone,
                    services=services,
                    settings=settings,
                )
            print(f"école {args.code} enregistrée", file=sys.stderr)
        elif args.command == "station" and args.action == "revoke":
            with session_scope(engine) as session:
                revoke_station(session, school_code=args.school, name=args.name)
            print(f"jeton de la station {args.name} ({args.school}) révoqué", file=sys.stderr)
        elif args.command == "station" and args.action == "rotate":
            with session_scope(engine) as session:
                token = rotate_station(session, school_code=args.school, name=args.name)
            print(token)
        elif args.command == "station":
            with session_scope(engine) as session:
                token = create_station(session, school_code=args.school, name=args.name)
            print(token)
        elif args.command == "child":
            with session_scope(engine) as session:
                moved = transfer_child(
                    session,
                    school=require_school(session, code=args.school),
                    child_id=args.child,
                    to=require_school(session, code=args.to),
                    new_id=args.new_id,
                    family_id=args.family,
                )
                print(
                    f"élève {args.child} ({args.school}) transféré : {moved.ref} ({args.to})",
                    file=sys.stderr,
                )
        elif args.command == "mail":
            return _mail_send(engine, url, loop=args.loop)
        elif args.command == "user" and args.action == "password":
            print(_password_link(engine, args.email))
        elif args.command == "user" and args.action == "revoke":
            with session_scope(engine) as session:
                count = revoke_user(session, email=args.email)
            print(f"jeton d'API de {args.email} révoqué ({count} compte(s))", file=sys.stderr)
        elif args.command == "user":
            codes = [*args.schools, *(args.school_list or "").split(",")]
            codes = [c.strip() for c in codes if c.strip()]
            if args.role != "collectivite" and len(codes) > 1:
                raise DataError("school", "une seule école, sauf pour le rôle collectivite")
            school = codes[0] if codes else None
            with session_scope(engine) as session:
                family = (
                    family_by_ref(session, ref=args.family, school_code=school)
                    if args.family
                    else None
                )
                token = create_user(
                    session,
                    role=args.role,
                    email=args.email,
                    school_code=school,
                    family_key=family.id if family else None,
                    token_days=args.expires_days,
                    school_codes=codes if args.role == "collectivite" else (),
                )
            print(token)
    finally:
        engine.dispose()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``portal-sync-api``."""
    parser = _parser()
    args = parser.parse_args(argv)
    url = Settings.from_env(args.db).database_url
    try:
        return _run(args, parser, url)
    except ImportFailed as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print("erreur: fichier refusé, rien n'a été importé", file=sys.stderr)
        return 1
    except DataError as exc:
        print(f"erreur: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(
            f"erreur: base de données: {type(exc).__name__}: {str(exc).splitlines()[0]}\n"
            "(schéma absent ? lancez `portal-sync-api migrate`)",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
