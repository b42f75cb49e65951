"""Staff queue and report page with a million reports on PostgreSQL.

    python bench/queue.py [--reports 1000000] [--requests 30]

Fills a fresh database (`mend_bench_queue`) with generated reports across five sites, starts
the portal in its own process (as bench/intake.py does), signs in as an agent of two sites and times each page over
sequential requests: median and p95 wall time on loopback, next to /health (one trivial query)
measured in the same run as the baseline.
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
import re
import time

import httpx

from bench.intake import fresh_postgres, migrated, sign_in, start, timed

DB = "mend_bench_queue"
DATABASE_URL = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{DB}"
PASSWORD = "bench password 1"

FILL = """
INSERT INTO report (ref, status_token, site_id, state, category, description, identity_verified, customer_key,
                    repeat_level, priority, apology_text, apology_signed_by, site_reports_last_hour, client_hash,
                    created_at, local_weekday, local_hour, busy, first_response_due_at, recovery_due_at, next_due_at)
SELECT 'B' || lpad(i::text, 9, '0'),
       md5(i::text) || md5((i + 1)::text),
       1 + i % 5,
       (ARRAY['new','acknowledged','in_progress','fixed','closed'])[1 + (i / 7) % 5],
       (ARRAY['delivery','website','billing','order','service','other'])[1 + (i / 3) % 6],
       'Generated report number ' || i || ': the parcel was late and the page hung at checkout.',
       false,
       'email:customer' || (i % 200000) || '@example.com',
       CASE WHEN i % 97 = 0 THEN 4 WHEN i % 31 = 0 THEN 3 WHEN i % 11 = 0 THEN 2 ELSE 1 END,
       CASE WHEN (i / 7) % 5 >= 3 THEN 0 WHEN i % 97 = 0 THEN 2 WHEN i % 31 = 0 THEN 1 ELSE 0 END,
       'I''m sorry we let you down.', 'Sam Rivera, Customer Care Lead', 0, '',
       now() - (i || ' seconds')::interval, i % 7, (i / 3600) % 24, i % 101,
       now() - (i || ' seconds')::interval + interval '20 minutes',
       now() - (i || ' seconds')::interval + interval '24 hours',
       CASE WHEN (i / 7) % 5 >= 3 THEN timestamptz '9999-12-31 00:00:00+00'
            ELSE now() - (i || ' seconds')::interval + interval '20 minutes' END
FROM generate_series(1, $1) AS i
"""


async def prepare(reports: int) -> None:
    import asyncpg

    from portal.db import in_session
    from portal.services.sites import create_site
    from portal.services.staff import upsert_staff

    settings = await migrated(await fresh_postgres(DB))

    async def sites_and_agent(session):  # type: ignore[no-untyped-def]
        sites = [
            await create_site(session, name=f"Site {n}", origins=[f"https://site{n}.example"]) for n in range(1, 6)
        ]
        await upsert_staff(session, email="agent@bench.example", password=PASSWORD, role="agent", sites=sites[:2])

    await in_session(settings, sites_and_agent)
    conn = await asyncpg.connect(DATABASE_URL.replace("+asyncpg", ""))
    started = time.perf_counter()
    await conn.execute(FILL, reports)
    await conn.execute("ANALYZE report")
    print(f"generated {reports:,} reports in {time.perf_counter() - started:.0f} s")
    await conn.close()


def main(args: argparse.Namespace) -> None:
    asyncio.run(prepare(args.reports))
    server, port = start("intake", DATABASE_URL)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=True, timeout=30) as client:
            sign_in(client, "agent@bench.example", PASSWORD)
            first = client.get("/staff").text
            report_id = re.search(r"/staff/reports/(\d+)", first).group(1)
            cursor = None
            for _ in range(10):  # ten pages deep
                page = client.get("/staff" + (f"?after={cursor}" if cursor else "")).text
                cursor = re.search(r"after=([^\"&]+)", page).group(1)
            pages = [
                ("/health (baseline)", "/health"),
                ("queue, first page", "/staff"),
                ("queue, category + state", "/staff?category=billing&state=new"),
                ("queue, churn risk only", "/staff?level=4"),
                ("queue, overdue clocks", "/staff?due=overdue"),
                ("queue, 11th page", f"/staff?after={cursor}"),
                ("report page", f"/staff/reports/{report_id}"),
                ("its CA suggestions (htmx)", f"/staff/reports/{report_id}/prevention"),
            ]
            results = [(name, *timed(client, path, args.requests)) for name, path in pages]
    finally:
        server.terminate()
        server.wait(10)
    baseline = results[0][1]
    print(f"\n{'page':<28}{'median ms':>11}{'p95 ms':>9}{'vs health':>11}")
    for name, median, p95 in results:
        print(f"{name:<28}{median:>11.1f}{p95:>9.1f}{median / baseline:>10.1f}x")
    print("\ntarget: < 150 ms server time per page")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30)
    main(parser.parse_args())
