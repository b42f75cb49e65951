"""Trends page and hotspot computation with a million reports on PostgreSQL.

    python bench/trends.py [--reports 1000000] [--events 10000000] [--requests 10]

Fills a fresh database (`mend_bench_trends`) with a year of generated reports across five sites
(locations, pages, load, local times, repeat levels, a planted Wednesday-afternoon pattern),
starts the portal in its own process, signs in as an admin, and times the trends page for one
site's month, one site's year and all sites' year, next to /health measured in the same run.
It also times the hotspot computation alone, in process, for the largest view. With the reports come
customer events from the host (orders, visits, renewals, cancellations; three customers in four
identified by id, and 50,000 more who never reported): the loyalty rollup the worker computes per
site is timed in process, and the loyalty page that reads it next to the trends pages.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # as in bench/queue.py: the project root, not this folder, first on the path

import argparse
import asyncio
import statistics
import time
from datetime import date, timedelta

import httpx

from bench.intake import SECRET, fresh_postgres, migrated, sign_in, start, timed

DB = "mend_bench_trends"
DATABASE_URL = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{DB}"
PASSWORD = "bench password 1"

# One report every 30 s over a year, then a planted pattern: in the last 4 weeks, 300 more reports each
# Wednesday between 15:00 and 16:00 from the Eastgate store (PLANT).
FILL = """
INSERT INTO report (ref, status_token, site_id, state, category, description, identity_verified, customer_key,
                    repeat_level, priority, apology_text, apology_signed_by, site_reports_last_hour, client_hash,
                    created_at, local_weekday, local_hour, busy, location, page_path, page_url,
                    first_response_due_at, recovery_due_at, first_response_at, recovered_at, next_due_at)
SELECT 'T' || lpad(i::text, 9, '0'), md5(i::text) || md5((i + 1)::text), 1 + i % 5,
       (ARRAY['new','acknowledged','in_progress','fixed','closed'])[1 + (i / 7) % 5],
       (ARRAY['delivery','website','billing','order','service','other'])[1 + (i / 3) % 6],
       'Generated report ' || i, false,
       CASE WHEN i % 200000 % 4 = 0 THEN 'email:customer' || (i % 200000) || '@example.com' ELSE 'id:' || (i % 200000) END,
       CASE WHEN i % 97 = 0 THEN 4 WHEN i % 31 = 0 THEN 3 WHEN i % 11 = 0 THEN 2 ELSE 1 END, 0,
       'Sorry.', 'Sam Rivera', (i * 7) % 30, '',
       t, extract(isodow FROM t)::int - 1, extract(hour FROM t)::int, (i * 37) % 101,
       (ARRAY['North','South','East','West','Eastgate','Harbour','Airport'])[1 + (i / 5) % 7],
       (ARRAY['/orders/:id','/checkout/payment','/search','/account','/help/chat'])[1 + (i / 11) % 5],
       'https://shop.example/page',
       t + interval '20 minutes', t + interval '24 hours',
       CASE WHEN i % 4 > 0 THEN t + interval '12 minutes' END, CASE WHEN i % 5 > 0 THEN t + interval '20 hours' END,
       timestamptz '9999-12-31 00:00:00+00'
FROM generate_series(1, $1) AS i, LATERAL (SELECT now() - (i * 30 || ' seconds')::interval AS t) AS at
"""


PLANT = """
INSERT INTO report (ref, status_token, site_id, state, category, description, identity_verified, repeat_level, priority,
                    apology_text, apology_signed_by, site_reports_last_hour, client_hash, created_at, local_weekday, local_hour,
                    location, next_due_at)
SELECT 'P' || lpad(i::text, 9, '0'), md5('p' || i), 1, 'new', 'service', 'The till froze', false, 1, 0, 'Sorry.', 'Sam Rivera', 0, '',
       w + interval '15 hours' + (i % 60 || ' minutes')::interval, 2, 15, 'Eastgate', timestamptz '9999-12-31 00:00:00+00'
FROM generate_series(1, 1200) AS i,
     LATERAL (SELECT date_trunc('week', now()) - ((i % 4) || ' weeks')::interval + interval '2 days' AS w) AS wednesday
WHERE w + interval '16 hours' < now()
"""


# Events for customers 0–249,999 (the first 200,000 are the reports' customers, each at one site), spread
# over 400 days; one customer in nine has been silent for the last 90 days.
EVENTS = """
INSERT INTO customer_event (site_id, event_id, customer_key, type, at, created_at)
SELECT 1 + c % 5, 'ev' || i, 'id:' || c,
       CASE WHEN i % 53 = 0 THEN 'cancellation' WHEN i % 7 = 0 THEN 'renewal' WHEN i % 3 = 0 THEN 'order' ELSE 'visit' END,
       now() - ((i::bigint * 7919) % (400 * 86400) || ' seconds')::interval
             - CASE WHEN c % 9 = 0 THEN interval '90 days' ELSE interval '0 days' END,
       now()
FROM generate_series(1, $1) AS i, LATERAL (SELECT i % 250000 AS c) AS customer
"""


async def prepare(reports: int, events: int) -> None:
    import asyncpg

    from portal.db import in_session
    from portal.services.sites import create_site
    from portal.services.staff import upsert_staff

    settings = await migrated(await fresh_postgres(DB))

    async def sites_and_admin(session):  # type: ignore[no-untyped-def]
        for n in range(1, 6):
            await create_site(session, name=f"Site {n}", origins=[f"https://site{n}.example"])
        await upsert_staff(session, email="admin@bench.example", password=PASSWORD, role="admin")

    await in_session(settings, sites_and_admin)
    conn = await asyncpg.connect(DATABASE_URL.replace("+asyncpg", ""))
    started = time.perf_counter()
    await conn.execute(FILL, reports)
    await conn.execute(PLANT)
    await conn.execute("ANALYZE report")
    print(f"generated {reports:,} reports in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    await conn.execute(EVENTS, events)
    await conn.execute("ANALYZE customer_event")
    print(f"generated {events:,} customer events in {time.perf_counter() - started:.0f} s")
    await conn.close()
    started = time.perf_counter()
    days = await catch_up(settings)
    print(f"rolled up {days} days in {time.perf_counter() - started:.0f} s (what the worker does a month per pass)")
    await loyalty_rollups(settings)


async def loyalty_rollups(settings) -> None:  # type: ignore[no-untyped-def]
    """The worker's loyalty pass, site by site (each site's figures in one transaction), timed."""
    from sqlalchemy import select

    from portal.db import make_engine, make_sessionmaker
    from portal.models import Site
    from portal.services import loyalty

    engine = make_engine(settings)
    async with make_sessionmaker(engine)() as session:
        seconds = []
        for site in (await session.scalars(select(Site).order_by(Site.id))).all():
            started = time.perf_counter()
            await loyalty.recompute(session, site)
            seconds.append(time.perf_counter() - started)
            stored = (await loyalty.rollups(session, site.id))["loyalty"].data["matching"]
            print(f"loyalty rollup, {site.name}: {seconds[-1]:.1f} s ({stored['matched']:,} customers matched)")
    await engine.dispose()
    print(f"loyalty rollups, all sites: {sum(seconds):.1f} s (the worker does this every 10 minutes)")


async def catch_up(settings) -> int:  # type: ignore[no-untyped-def]
    from portal.db import make_engine, make_sessionmaker
    from portal.services import rollups

    engine = make_engine(settings)
    total = 0
    while days := await rollups.roll_up(make_sessionmaker(engine)):
        total += days
    await engine.dispose()
    return total


async def hotspot_timing(repeats: int) -> list[float]:
    """The hotspot computation alone (five sites, the last year against the 8 weeks before), in milliseconds."""
    from sqlalchemy import select

    from portal.db import make_engine, make_sessionmaker
    from portal.models import Site, utcnow
    from portal.services import trends
    from portal.settings import Settings

    engine = make_engine(Settings(database_url=DATABASE_URL, secret_key=SECRET))
    samples = []
    async with make_sessionmaker(engine)() as session:
        sites = (await session.scalars(select(Site))).all()
        period = trends.Period.parse((utcnow() - timedelta(days=300)).date().isoformat(), None)
        for _ in range(repeats + 1):
            started = time.perf_counter()
            found = await trends.hotspots(session, sites, period)
            samples.append((time.perf_counter() - started) * 1000)
        recent = await trends.hotspots(session, sites, trends.Period.parse(None, None))
    await engine.dispose()
    print(
        f"hotspots over the year: {[h.cell.label for h in found][:5]}; over the last 30 days: {[h.cell.label for h in recent][:5]}"
    )
    return samples[1:]  # the first run warms the caches


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    line = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def exported(client: httpx.Client, pid: int, path: str) -> tuple[int, float, float, float]:
    """Stream an export: rows, seconds, and the server's peak memory before and after."""
    before = peak_rss_mb(pid)
    started, rows = time.perf_counter(), -1  # the header is not a row
    with client.stream("GET", path) as response:
        for line in response.iter_lines():
            rows += bool(line)
    return rows, time.perf_counter() - started, before, peak_rss_mb(pid)


def main(args: argparse.Namespace) -> None:
    asyncio.run(prepare(args.reports, args.events))
    server, port = start("intake", DATABASE_URL)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=True, timeout=60) as client:
            sign_in(client, "admin@bench.example", PASSWORD)
            a_year_ago = (date.today() - timedelta(days=365)).isoformat()
            pages = [
                ("/health (baseline)", "/health"),
                ("trends, one site, 30 days", "/staff/trends?site=1"),
                ("trends, one site, a year", f"/staff/trends?site=1&from={a_year_ago}"),
                ("trends, all sites, a year", f"/staff/trends?from={a_year_ago}"),
                ("loyalty, one site", "/staff/loyalty?site=1"),
            ]
            results = [(name, *timed(client, path, args.requests)) for name, path in pages]
            export = exported(client, server.pid, f"/staff/export/reports.csv?from={a_year_ago}")
    finally:
        server.terminate()
        server.wait(10)
    hotspots = asyncio.run(hotspot_timing(args.requests))
    results.append(("hotspots alone, all sites", statistics.median(hotspots), statistics.quantiles(hotspots, n=20)[18]))
    baseline = results[0][1]
    print(f"\n{'measure':<30}{'median ms':>11}{'p95 ms':>9}{'vs health':>11}")
    for name, median, p95 in results:
        print(f"{name:<30}{median:>11.1f}{p95:>9.1f}{median / baseline:>10.1f}x")
    print("\ntarget: < 1 s for the trends and loyalty pages and for the hotspot computation")
    rows, seconds, before, after = export
    print(
        f"export of {rows:,} reports as CSV: {seconds:.1f} s ({rows / seconds:,.0f} rows/s); "
        f"server peak memory {before:.0f} MB before, {after:.0f} MB after"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000, help="customer events (fewer for a quick run)")
    parser.add_argument("--requests", type=int, default=10)
    main(parser.parse_args())
