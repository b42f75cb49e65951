"""Intake throughput and latency against a bare Litestar hello-world, measured in the same run.

    python bench/intake.py [--seconds 5] [--connections 32] [--skip-postgres] [--processes 2]

Each server runs alone in its own process (uvicorn, one worker, no access log) while a
keep-alive load generator in this process drives it; the generator is a few lines of asyncio
so that it, not the server, is never the bottleneck the way a full HTTP client would be.
Prints, per target (hello-world; a bare Core INSERT + COMMIT endpoint and intake, on SQLite and
PostgreSQL, and intake on PostgreSQL from `portal run --workers N`): requests per second, p50/p99
latency, the server's CPU time per request, the ratios to hello-world and to the Core insert on the
same database, how busy the whole machine was and the CPU a request cost elsewhere (PostgreSQL); and
the widget's gzipped size. Each intake run reports to a new site, so none starts with repeat customers.
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
import gzip
import json
import os
import random
import re
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Sequence

POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SECRET = "bench-secret-0123456789"
POSTGRES_BENCH_DB = "mend_bench"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- servers -----------------------------------------------------------------------------------


def serve(kind: str, port: int, database_url: str | None) -> None:
    """Run one server in this process (called in a child process)."""
    import uvicorn
    from litestar import Litestar, get

    if kind == "hello":

        @get("/")
        async def hello() -> dict[str, str]:
            return {"hello": "world"}

        app = Litestar([hello])
    elif kind == "core":
        app = core_insert_app(database_url or "")
    else:
        from portal.app import create_app
        from portal.settings import Settings

        # As in production (PORTAL_ENV=production): templates are read once, not checked on every use.
        settings = Settings(
            database_url=database_url or "", secret_key=SECRET, reports_per_minute=10**9, environment="production"
        )
        app = create_app(settings)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def core_insert_app(database_url: str):  # type: ignore[no-untyped-def]
    """The ceiling under intake: one SQLAlchemy Core INSERT and COMMIT per request, nothing else."""
    import sqlalchemy as sa
    from litestar import Litestar, post

    from portal.db import make_engine
    from portal.settings import Settings

    engine = make_engine(Settings(database_url=database_url, secret_key=SECRET))
    rows = sa.Table(
        "bench_row", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), sa.Column("body", sa.Text)
    )

    async def create_table() -> None:
        async with engine.begin() as conn:
            await conn.run_sync(rows.metadata.create_all)

    @post("/api/v1/reports", status_code=201)
    async def insert_row(data: dict[str, object]) -> dict[str, int]:
        async with engine.begin() as conn:
            new_id = (await conn.execute(sa.insert(rows).values(body=str(data)).returning(rows.c.id))).scalar_one()
        return {"id": new_id}

    return Litestar([insert_row], on_startup=[create_table])


def machine_cpu_seconds() -> tuple[float, float]:
    """CPU time all CPUs have spent so far, and how much of it busy (Linux /proc/stat, less idle and iowait)."""
    ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    hz = os.sysconf("SC_CLK_TCK")
    return sum(ticks) / hz, (sum(ticks) - ticks[3] - ticks[4]) / hz


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(kind: str, database_url: str | None = None, processes: int = 1) -> tuple[subprocess.Popen, int]:
    """Start a server; with `processes` > 1, intake as `portal run --workers N` serves it (no mail worker)."""
    port = free_port()
    env = None
    if processes > 1:
        args = [sys.executable, "-m", "portal", "run", "--workers", str(processes), "--port", str(port)]
        args += ["--no-access-log"]
        env = {
            **os.environ,
            "PORTAL_DATABASE_URL": database_url or "",
            "PORTAL_SECRET_KEY": SECRET,
            "PORTAL_ENV": "production",
            "PORTAL_REPORTS_PER_MINUTE": str(10**9),
            "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
            "PORTAL_LOG_LEVEL": "warning",
        }
    else:
        args = [sys.executable, __file__, "--serve", kind, "--port", str(port)]
        if database_url:
            args += ["--database-url", database_url]
    process = subprocess.Popen(args, env=env, cwd=ROOT)
    deadline = time.monotonic() + 120  # importing the portal takes seconds, more on a busy machine
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, port
        except OSError:
            time.sleep(0.05)  # nothing to wait on but the port opening
    process.kill()
    raise RuntimeError(f"{kind} server did not start")


async def migrated(database_url: str):  # type: ignore[no-untyped-def]
    """Settings for a bench database, migrated from scratch (the benches import the portal late, after their path fix)."""
    from portal import migrate
    from portal.settings import Settings

    settings = Settings(database_url=database_url, secret_key=SECRET)
    await asyncio.to_thread(migrate.upgrade, settings)
    return settings


async def bench_site(settings) -> str:  # type: ignore[no-untyped-def]
    """A new site on a migrated bench database; returns its key. Each run gets its own, so none starts
    where another left off (customers who already reported are repeats, with follow-ups to write)."""
    from portal.db import in_session
    from portal.services.sites import create_site

    async def unlimited_site(session):  # type: ignore[no-untyped-def]
        site = await create_site(session, name="Bench", origins=["https://bench.example"])
        site.max_reports_per_minute = 10**9  # the bench measures intake, not the flood ceiling's 429
        return site

    site = await in_session(settings, unlimited_site)
    return site.key


async def fresh_postgres(name: str = POSTGRES_BENCH_DB) -> str:
    """Drop and create a bench database on the local PostgreSQL; returns its SQLAlchemy URL."""
    import asyncpg

    conn = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


# --- staff pages ----------------------------------------------------------------------------------


def sign_in(client, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    """Sign in through the staff form with an httpx client (the page benches)."""
    page = client.get("/staff/login").text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post("/staff/login", data={"email": email, "password": password, "_csrf_token": token})
    assert response.status_code in (200, 303), response.status_code


def timed(client, path: str, requests: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Median and p95 wall time of a page in ms, over sequential requests after one warm-up."""
    client.get(path)
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(samples), statistics.quantiles(samples, n=20)[18]


# --- load --------------------------------------------------------------------------------------


def http_request(method: str, path: str, body: bytes = b"") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: mend-bench\r\n"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


async def _connection(
    port: int, requests: Sequence[bytes], stop_at: float, latencies: list[float], errors: list[int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    turn = random.randrange(len(requests))
    try:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            turn += 1
            writer.write(requests[turn % len(requests)])
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = next(
                int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
            )
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if status >= 400:
                errors.append(status)
    finally:
        writer.close()


async def load(
    port: int, requests: Sequence[bytes], seconds: float, connections: int, pids: Sequence[int] = ()
) -> dict[str, float]:
    """Drive the server for `seconds` after a short warm-up; returns rate, latency percentiles and, given
    the server's `pids`, its CPU time per request over the measured part."""
    await asyncio.gather(*[_connection(port, requests, time.perf_counter() + 0.5, [], []) for _ in range(connections)])
    latencies: list[float] = []
    errors: list[int] = []
    cpu_before, machine_before, generator_before = (
        sum(cpu_seconds(pid) for pid in pids),
        machine_cpu_seconds(),
        time.process_time(),
    )
    started = time.perf_counter()
    await asyncio.gather(
        *[_connection(port, requests, started + seconds, latencies, errors) for _ in range(connections)]
    )
    elapsed = time.perf_counter() - started
    cpu = sum(cpu_seconds(pid) for pid in pids) - cpu_before
    machine_after, generator = machine_cpu_seconds(), time.process_time() - generator_before
    busy = machine_after[1] - machine_before[1]
    if errors:
        raise RuntimeError(f"{len(errors)} error responses, e.g. {errors[0]}")
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": cuts[49] * 1000,
        "p99_ms": cuts[98] * 1000,
        "requests": len(latencies),
        "cpu_ms": cpu * 1000 / len(latencies),
        # The whole machine: how busy, and the CPU a request cost outside the server and the load generator
        # (PostgreSQL's, and the kernel's for the loopback traffic).
        "busy": busy / (machine_after[0] - machine_before[0]),
        "rest_ms": (busy - cpu - generator) * 1000 / len(latencies),
    }


async def measure(
    kind: str,
    requests: Sequence[bytes],
    seconds: float,
    connections: int,
    database_url: str | None = None,
    processes: int = 1,
) -> dict[str, float]:
    process, port = start(kind, database_url, processes)
    try:
        await load(port, requests, 1, connections)  # every process up and warm before measuring
        if database_url:
            await analyze(database_url)
        return await load(port, requests, seconds, connections, pids=[process.pid, *children(process.pid)])
    finally:
        process.terminate()
        process.wait(10)


async def analyze(database_url: str) -> None:
    """Refresh the planner's statistics, as autovacuum does within a minute on a live database: a bench
    database is seconds old, and on PostgreSQL a plan made for an empty report table scans it whole."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()


def children(pid: int) -> list[int]:
    """The processes `pid` started (uvicorn's workers), from Linux /proc."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def report_requests(site_key: str, customers: int = 5000) -> list[bytes]:
    """An incident: many customers report the same failure, each once or twice, some without an email."""
    bodies = []
    for n in range(customers):
        body = {
            "site_key": site_key,
            "category": "delivery",
            "description": "The parcel came two days late and nobody told me.",
            "name": "Bench Customer",
            "page_url": f"https://bench.example/orders/{n}",
            "busy": 70,
            "tz_offset_min": 60,
        }
        if n % 5:
            body["email"] = f"customer-{n}@example.com"
        bodies.append(http_request("POST", "/api/v1/reports", json.dumps(body).encode()))
    return bodies


async def main(args: argparse.Namespace) -> None:
    widget = (ROOT / "widget" / "widget.js").read_bytes()
    print(f"widget.js: {len(widget)} bytes, {len(gzip.compress(widget, 9))} bytes gzipped (budget 2048)")
    print(f"load: {args.connections} keep-alive connections, {args.seconds:.0f} s per target, {os.cpu_count()} CPUs\n")

    seconds, connections = args.seconds, args.connections
    hello = await measure("hello", [http_request("GET", "/")], seconds, connections)
    rows: list[tuple[str, dict[str, float], dict[str, float] | None]] = [("hello-world (baseline)", hello, None)]
    databases: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        databases.append(("SQLite", f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"))
        if not args.skip_postgres:
            databases.append(("PostgreSQL", await fresh_postgres()))
        for name, url in databases:
            settings = await migrated(url)
            core = await measure("core", report_requests(await bench_site(settings)), seconds, connections, url)
            rows.append((f"core insert, {name}", core, None))
            alone = await measure("intake", report_requests(await bench_site(settings)), seconds, connections, url)
            rows.append((f"intake, {name}", alone, core))
            if name == "PostgreSQL":  # SQLite has one writer whatever the processes
                several = await measure(
                    "intake", report_requests(await bench_site(settings)), seconds, connections, url, args.processes
                )
                rows.append((f"intake, {name}, {args.processes} proc", several, core))

    print(
        f"{'target':<26}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms/req':>12}{'vs hello':>10}{'vs core':>9}"
        f"{'busy':>7}{'other ms/req':>14}"
    )
    for name, result, core in rows:
        versus_core = f"{result['rps'] / core['rps']:>9.0%}" if core else f"{'':>9}"
        print(
            f"{name:<26}{result['rps']:>9.0f}{result['p50_ms']:>9.1f}{result['p99_ms']:>9.1f}"
            f"{result['cpu_ms']:>12.2f}{result['rps'] / hello['rps']:>10.0%}{versus_core}"
            f"{result['busy']:>7.0%}{result['rest_ms']:>14.2f}"
        )
    single = {name: result for name, result, _ in rows}
    if "intake, PostgreSQL" in single:
        scaled = single[f"intake, PostgreSQL, {args.processes} proc"]["rps"] / single["intake, PostgreSQL"]["rps"]
        print(f"\n{args.processes} processes / 1 process on PostgreSQL: {scaled:.2f}x (target >= 1.7x for 2)")
    print("targets: intake >= 25% of hello-world on each database, p99 < 50 ms at 32 connections, < 1 ms CPU a report")
    print(
        "busy: the whole machine's CPUs over the run; other ms/req: CPU a request cost outside the server and the\n"
        "load generator: PostgreSQL's and the kernel's (on SQLite the database runs inside the server)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--processes", type=int, default=2, help="web processes for the several-process row")
    parser.add_argument("--serve", choices=["hello", "core", "intake"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    cli = parser.parse_args()
    if cli.serve:
        serve(cli.serve, cli.port, cli.database_url)
    else:
        asyncio.run(main(cli))
