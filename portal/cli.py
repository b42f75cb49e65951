"""The `portal` command: run the server and worker, migrate, create admins and sites, set up the demo."""

from __future__ import annotations

import argparse
import asyncio
import copy
import dataclasses
import getpass
import logging
import os
import secrets
import signal
import sys
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from portal.db import in_session, make_engine, make_sessionmaker
from portal.domain.redact import hash_address, redact_path
from portal.domain.sites import OriginError
from portal.settings import Settings

if TYPE_CHECKING:
    from litestar import Litestar


def web_app() -> Litestar:
    """The app as each process of `portal run --workers N` builds it, without a worker (uvicorn calls this
    in every process it starts: `uvicorn --factory portal.cli:web_app` does the same)."""
    from portal.app import create_app

    return create_app(Settings.from_env())


class PrivateAccessLog(logging.Filter):
    """uvicorn's access line without anything personal: the client's address as a short keyed hash, the path
    without its query (a searched email) and without a customer's link token."""

    def __init__(self, secret_key: str) -> None:
        super().__init__()
        self.secret_key = secret_key

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the line's (client, method, path, version, status) arguments; never drop the line."""
        if isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, version, status = record.args
            host = str(client).rpartition(":")[0]
            address = hash_address(self.secret_key, host) if host else "-"
            record.args = (address, method, redact_path(str(path)), version, status)
        return True


def _log_config(settings: Settings, *, with_pids: bool) -> dict[str, Any]:
    """uvicorn's logging with a private access log and, for several processes, each line saying which wrote it."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"private": {"()": PrivateAccessLog, "secret_key": settings.secret_key}}
    config["handlers"]["access"]["filters"] = ["private"]
    if with_pids:
        for formatter in config["formatters"].values():
            formatter["fmt"] = "[%(process)d] " + formatter["fmt"]
    return config


def cmd_run(settings: Settings, args: argparse.Namespace) -> None:
    """Serve the portal: in one process with the mail worker, or in `--workers N` processes without it."""
    import uvicorn

    from portal.app import create_app

    base = urlsplit(settings.base_url)
    if base.hostname in ("127.0.0.1", "localhost") and (base.port or 80) != args.port:
        # Pages load the widget and link mail from the base URL: on another port they silently point nowhere.
        logging.getLogger(__name__).warning(
            "PORTAL_BASE_URL is %s but the server listens on port %s: the widget will not appear. "
            "Use `make run PORT=%s`, or set PORTAL_BASE_URL to match and run `portal demo` again.",
            settings.base_url,
            args.port,
            args.port,
        )
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "log_level": os.environ.get("PORTAL_LOG_LEVEL", "info"),
        "access_log": args.access_log,
        # uvicorn would take X-Forwarded-For from any local peer; the app believes it only from
        # PORTAL_TRUSTED_PROXIES (portal/routes/clients.py), so it must see the real peer.
        "proxy_headers": False,
    }
    if args.workers > 1:
        # Each process imports the factory and builds its own app, engine and pool from the environment.
        uvicorn.run(
            "portal.cli:web_app",
            factory=True,
            workers=args.workers,
            log_config=_log_config(settings, with_pids=True),
            **options,
        )
    else:
        uvicorn.run(
            create_app(dataclasses.replace(settings, run_worker=args.worker)),
            log_config=_log_config(settings, with_pids=False),
            **options,
        )


def cmd_worker(settings: Settings, _: argparse.Namespace) -> None:
    """Run only the worker: clocks and mail (any number may run beside the web process)."""
    from portal.mail import Mail
    from portal.worker import Worker

    async def main() -> None:
        # Stopped (SIGTERM from a process manager, or Ctrl-C), it records what it already sent before it exits.
        main_task = asyncio.current_task()
        assert main_task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
        engine = make_engine(settings)
        try:
            await Worker(settings, make_sessionmaker(engine), Mail.from_settings(settings)).run_forever()
        except asyncio.CancelledError:
            logging.getLogger(__name__).info("worker stopped")
        finally:
            await engine.dispose()

    asyncio.run(main())


def cmd_db_upgrade(settings: Settings, args: argparse.Namespace) -> None:
    """Apply migrations."""
    from portal.migrate import upgrade

    upgrade(settings, args.revision)
    print(f"Database is at {args.revision}.")


def cmd_db_revision(settings: Settings, args: argparse.Namespace) -> None:
    """Autogenerate a migration from the models against the current database (for developers)."""
    from portal.migrate import make_revision

    make_revision(settings, args.message)


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """The password from --password, $PORTAL_ADMIN_PASSWORD, a prompt, or a generated one."""
    given = args.password or os.environ.get("PORTAL_ADMIN_PASSWORD")
    if given:
        return given, False
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Again: "):
            sys.exit("The passwords differ.")
        return first, False
    return secrets.token_urlsafe(12), True


def cmd_create_admin(settings: Settings, args: argparse.Namespace) -> None:
    """Create (or reset) an admin account."""
    from portal.services.staff import upsert_staff

    password, generated = _password(args)
    if len(password) < 10:
        sys.exit("Use a password of at least 10 characters.")
    asyncio.run(
        in_session(
            settings, lambda s: upsert_staff(s, email=args.email, password=password, role="admin", name=args.name or "")
        )
    )
    print(f"Admin {args.email} is ready." + (f" Password: {password}" if generated else ""))


def cmd_create_site(settings: Settings, args: argparse.Namespace) -> None:
    """Create a site and print its key, secret and embed snippet."""
    from portal.services.sites import create_site, embed_snippet

    try:
        site = asyncio.run(
            in_session(
                settings,
                lambda s: create_site(
                    s, name=args.name, origins=args.origin, signer_name=args.signer, signer_role=args.signer_role
                ),
            )
        )
    except OriginError as exc:
        sys.exit(str(exc))
    print(
        f"Site:   {site.name}\nKey:    {site.key}\nSecret: {site.secret}  (keep it on your server: it signs customer ids)\n"
    )
    print("Paste this where the widget should appear:\n")
    print(embed_snippet(settings.base_url, site))


def cmd_create_token(settings: Settings, args: argparse.Namespace) -> None:
    """Create a staff member's API token and print it, the only time it is shown."""
    from portal.domain.api_tokens import TokenRefused
    from portal.services.api_tokens import create_token_for_email

    try:
        issued = asyncio.run(
            in_session(
                settings,
                lambda s: create_token_for_email(
                    s, args.email, name=args.name, scopes=args.scope, expires_on=args.expires
                ),
            )
        )
    except TokenRefused as exc:
        sys.exit(str(exc))
    print(issued.secret)


def cmd_demo(settings: Settings, _: argparse.Namespace) -> None:
    """Set up the demo site and a demo admin (idempotent; resets the demo admin's password; the demo site
    follows PORTAL_BASE_URL)."""
    from portal.services.demo import DEMO_ADMIN, set_up_demo

    password = os.environ.get("PORTAL_DEMO_PASSWORD") or secrets.token_urlsafe(9)
    asyncio.run(in_session(settings, lambda s: set_up_demo(s, base_url=settings.base_url, admin_password=password)))
    print(
        f"\n  Demo shop:   {settings.base_url}/demo\n"
        f"  Staff login: {settings.base_url}/staff  ({DEMO_ADMIN} / {password})\n"
        f"  Dev mailbox: {settings.base_url}/staff/mail\n"
    )


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(prog="portal", description="Mend: recover customers from small failures.")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="serve the portal (and, in one process, the mail worker)")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument(
        "--workers",
        type=int,
        default=1,
        help="web processes; with more than one, none runs the mail worker: run `portal worker` beside them",
    )
    run.add_argument(
        "--worker",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="in one process, run the mail worker inside it too (--no-worker: run `portal worker` beside it)",
    )
    run.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=True)
    run.set_defaults(func=cmd_run)
    sub.add_parser(
        "worker", help="run the background work only: mail, clocks, rollups (any number, on any machine)"
    ).set_defaults(func=cmd_worker)
    db = sub.add_parser("db", help="database maintenance").add_subparsers(dest="db_command", required=True)
    up = db.add_parser("upgrade", help="apply migrations")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=cmd_db_upgrade)
    rev = db.add_parser("revision", help="autogenerate a migration from the models (developers)")
    rev.add_argument("message")
    rev.set_defaults(func=cmd_db_revision)
    admin = sub.add_parser("create-admin", help="create or reset an admin account")
    admin.add_argument("email")
    admin.add_argument("--name")
    admin.add_argument("--password", help="prefer $PORTAL_ADMIN_PASSWORD or the prompt: arguments show in `ps`")
    admin.set_defaults(func=cmd_create_admin)
    site = sub.add_parser("create-site", help="create a site and print its embed snippet")
    site.add_argument("name")
    site.add_argument(
        "--origin", action="append", required=True, help="an origin allowed to embed the widget (repeatable)"
    )
    site.add_argument("--signer", default="Sam Rivera", help="the person who signs apologies")
    site.add_argument("--signer-role", default="Customer Care Lead")
    site.set_defaults(func=cmd_create_site)
    token = sub.add_parser("create-token", help="create a staff member's API token and print it once")
    token.add_argument("email")
    token.add_argument("--name", required=True)
    token.add_argument("--scope", action="append", required=True, help="reports:read, cas:write... (repeatable)")
    token.add_argument("--expires", type=date.fromisoformat, help="the last day it works, YYYY-MM-DD")
    token.set_defaults(func=cmd_create_token)
    sub.add_parser("demo", help="set up the demo site and admin").set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `portal` console script."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    args.func(Settings.from_env(), args)
