"""Outbox drain rate: mails per second that `portal worker` delivers to a local SMTP sink, with 1 and 2 workers.

    python bench/outbox.py [--mails 3000] [--skip-postgres] [--skip-sqlite] [--before DIR]

The sink (just enough SMTP to accept and count mail, so that the figures are the worker's) runs in its own process, and each
`portal worker` in its own. The baseline, measured in the same run, is this process handing the
same number of ready-made messages to the same sink over as many SMTP connections as a worker
opens: the rate a worker would reach if the database and message building cost nothing. Prints mails/s, worker CPU per mail
(from the worker processes' CPU time), the ratio to that baseline and the ratio of 2 workers to 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder would come first on the path and bench/queue.py would hide the
# standard library's queue module: put the project root there instead, before anything imports it.
ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

import argparse
import asyncio
import multiprocessing
import os
import subprocess
import tempfile
import threading
import time
from multiprocessing.sharedctypes import Synchronized
from typing import IO

from bench.intake import SECRET, fresh_postgres, migrated

TEXT = "We're sorry: the parcel came two days late and nobody told you.\n\n" * 8
HTML = "<p>We're sorry: the parcel came two days late and nobody told you.</p>\n" * 16


# --- the SMTP sink (its own process) ---------------------------------------------------------------


async def _session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, count: Synchronized) -> None:  # type: ignore[type-arg]
    """Just enough SMTP to accept and count mail: the bench measures the worker, not a mail server."""
    writer.write(b"220 sink ESMTP\r\n")
    while line := await reader.readline():
        verb = line[:4].upper()
        if verb == b"EHLO":
            writer.write(b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
        elif verb == b"DATA":
            writer.write(b"354 go ahead\r\n")
            await reader.readuntil(b"\r\n.\r\n")
            with count.get_lock():
                count.value += 1
            writer.write(b"250 OK\r\n")
        elif verb == b"QUIT":
            writer.write(b"221 bye\r\n")
            break
        else:
            writer.write(b"250 OK\r\n")
    await writer.drain()
    writer.close()


def _sink(port: int, count: Synchronized) -> None:  # type: ignore[type-arg]
    async def serve() -> None:
        server = await asyncio.start_server(lambda r, w: _session(r, w, count), "127.0.0.1", port)
        await server.serve_forever()

    asyncio.run(serve())


def start_sink() -> tuple[multiprocessing.Process, int, Synchronized]:  # type: ignore[type-arg]
    from tests.smtp import free_port

    context = multiprocessing.get_context("spawn")
    count = context.Value("q", 0)
    port = free_port()
    process = context.Process(target=_sink, args=(port, count), daemon=True)
    process.start()
    return process, port, count


# --- the run ---------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def fill(database_url: str, mails: int, run: int) -> None:
    """Queue `mails` mails in one transaction, as many reports would."""
    from sqlalchemy import insert

    from portal.db import make_engine
    from portal.models import OutboxMail, utcnow
    from portal.outbox import new_message_id
    from portal.settings import Settings

    engine = make_engine(Settings(database_url=database_url, secret_key=SECRET))
    now = utcnow()
    rows = [
        {
            "dedupe_key": f"bench:{run}:{n}",
            "to_addr": f"customer{n}@example.com",
            "to_name": f"Customer {n}",
            "subject": "Northwind Goods: about what you told us",
            "text_body": TEXT,
            "html_body": HTML,
            "message_id": new_message_id("https://mend.example"),
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": now,
        }
        for n in range(mails)
    ]
    async with engine.begin() as conn:
        await conn.execute(insert(OutboxMail), rows)
    await engine.dispose()


async def sent_count(database_url: str) -> int:
    from sqlalchemy import func, select

    from portal.db import make_engine
    from portal.models import OutboxMail
    from portal.settings import Settings

    engine = make_engine(Settings(database_url=database_url, secret_key=SECRET))
    async with engine.connect() as conn:
        sent = await conn.scalar(select(func.count()).where(OutboxMail.state == "sent"))
    await engine.dispose()
    return int(sent or 0)


def start_workers(n: int, database_url: str, smtp_port: int, code: str | None) -> list[subprocess.Popen[bytes]]:
    """`portal worker` processes (of the checkout at `code`, if given), returned once each has logged that it started."""
    env = {
        **os.environ,
        **({"PYTHONPATH": code} if code else {}),
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "PORTAL_SECRET_KEY": SECRET,
    }
    workers = [
        subprocess.Popen([sys.executable, "-m", "portal", "worker"], env=env, stderr=subprocess.PIPE) for _ in range(n)
    ]
    for worker in workers:
        assert worker.stderr is not None
        for line in worker.stderr:
            if b"worker started" in line:
                break
        else:
            raise RuntimeError("portal worker exited during start-up")
        threading.Thread(target=_pass_on_trouble, args=(worker.stderr,), daemon=True).start()
    return workers


def _pass_on_trouble(stream: IO[bytes]) -> None:
    """Keep reading a worker's log (a full pipe would stall it) and show only its warnings and errors."""
    for line in stream:
        if b" WARNING " in line or b" ERROR " in line:
            sys.stderr.buffer.write(line)


def wait_for_count(count: Synchronized, target: int, timeout: float) -> float:  # type: ignore[type-arg]
    """Poll the sink's counter (another process's memory: nothing to wait on) until it reaches `target`."""
    deadline = time.perf_counter() + timeout
    while count.value < target and time.perf_counter() < deadline:
        time.sleep(0.002)
    return time.perf_counter()


async def drain(
    database_url: str,
    workers: int,
    mails: int,
    run: int,
    smtp_port: int,
    count: Synchronized,  # type: ignore[type-arg]
    code: str | None = None,
) -> dict[str, float]:
    """Start `workers` workers, queue `mails` mails, and time the sink receiving them all."""
    processes = start_workers(workers, database_url, smtp_port, code)
    try:
        cpu_before = sum(cpu_seconds(p.pid) for p in processes)
        start_count = count.value
        await fill(database_url, mails, run)
        queued = time.perf_counter()
        first = await asyncio.to_thread(wait_for_count, count, start_count + 1, 60)
        first_count = count.value
        done = await asyncio.to_thread(wait_for_count, count, start_count + mails, 600)
        await asyncio.sleep(0.5)  # anything sent twice would arrive now
        cpu = sum(cpu_seconds(p.pid) for p in processes) - cpu_before
    finally:
        for process in processes:
            process.terminate()
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
    received = count.value - start_count
    if received != mails:
        raise RuntimeError(f"the sink received {received} mails, expected {mails}")
    return {
        "mails_per_s": (start_count + mails - first_count) / max(done - first, 1e-9),
        "first_ms": (first - queued) * 1000,
        "cpu_ms_per_mail": cpu * 1000 / mails,
    }


async def smtp_baseline(smtp_port: int, mails: int) -> float:
    """Mails/s of one ready-made message over as many connections as a worker opens, to the same sink
    (no database, no building): the most a worker could reach here."""
    import aiosmtplib

    from portal.models import OutboxMail
    from portal.outbox import CONNECTIONS, build_message

    mail = OutboxMail(
        to_addr="customer@example.com", to_name="Customer", subject="Baseline", text_body=TEXT, html_body=HTML,
        message_id="<baseline@mend.example>",
    )  # fmt: skip
    raw = build_message(mail, "Mend <mend@localhost>")

    async def client(count: int) -> None:
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=smtp_port)
        await smtp.connect()
        for _ in range(count):
            await smtp.sendmail("mend@localhost", ["customer@example.com"], raw)
        await smtp.quit()

    started = time.perf_counter()
    await asyncio.gather(*(client(mails // CONNECTIONS) for _ in range(CONNECTIONS)))
    return mails // CONNECTIONS * CONNECTIONS / (time.perf_counter() - started)


async def main(args: argparse.Namespace, sink_port: int, count: Synchronized) -> None:  # type: ignore[type-arg]
    print(f"{args.mails} mails per run, {os.cpu_count()} CPUs\n")
    baseline = await smtp_baseline(sink_port, args.mails)
    databases = []
    if not args.skip_sqlite:
        databases.append(("SQLite", f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/outbox.sqlite3"))
    if not args.skip_postgres:
        databases.append(("PostgreSQL", await fresh_postgres("mend_bench_outbox")))
    rows: list[tuple[str, dict[str, float]]] = []
    run = 0
    for name, url in databases:
        await migrated(url)
        one: dict[str, float] | None = None
        if args.before:
            run += 1
            before = await drain(url, 1, args.mails, run, sink_port, count, args.before)
            rows.append((f"{name}, 1 worker, before", before))
        for workers in (1, 2):
            run += 1
            result = await drain(url, workers, args.mails, run, sink_port, count)
            one = one or result
            result["vs_one"] = result["mails_per_s"] / one["mails_per_s"]
            if args.before:
                result["vs_before"] = result["mails_per_s"] / before["mails_per_s"]
            rows.append((f"{name}, {workers} worker{'s' * (workers > 1)}", result))

    print(f"{'target':<32}{'mails/s':>10}{'first ms':>10}{'CPU ms':>9}{'vs SMTP':>9}{'vs 1':>7}{'vs before':>11}")
    print(f"{'SMTP clients (baseline)':<32}{baseline:>10.0f}")
    for name, r in rows:
        print(
            f"{name:<32}{r['mails_per_s']:>10.0f}{r['first_ms']:>10.0f}{r['cpu_ms_per_mail']:>9.2f}"
            f"{r['mails_per_s'] / baseline:>9.0%}{r.get('vs_one', 1):>7.2f}{r.get('vs_before', 1):>11.2f}"
        )
    print("\ntarget: one worker >= 1,000 mails/s; 'first ms' is from the commit that queued them to the first delivery")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mails", type=int, default=3000)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--before", metavar="DIR", help="also time one worker of another checkout (e.g. `git worktree add DIR HEAD`)"
    )
    cli = parser.parse_args()
    sink, port, received = start_sink()
    try:
        asyncio.run(main(cli, port, received))
    finally:
        sink.terminate()
