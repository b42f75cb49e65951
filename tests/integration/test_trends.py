"""The trends page, hotspot call-outs and the streamed exports, on generated reports."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from portal.domain import tokens
from portal.models import CorrectiveAction, Report, utcnow
from tests.conftest import add_staff, csrf_token, login
from tests.html import every, one, text, text_of, texts

NOW = utcnow()


def generated_report(site, at: datetime, rng: random.Random, **fields) -> Report:
    """A report row built directly, thousands at a time, with the time and context a test needs."""
    values = {
        "ref": tokens.report_ref(),
        "status_token": tokens.status_token(),
        "site_id": site.id,
        "state": "new",
        "category": rng.choice(["delivery", "website", "order"]),
        "description": "It went wrong.",
        "apology_text": "Sorry.",
        "apology_signed_by": "Dana",
        "client_hash": "x",
        "created_at": at,
        "local_weekday": at.weekday(),
        "local_hour": at.hour,
        "location": rng.choice(["North", "South", "East"]),
        "busy": rng.randint(0, 80),
        "page_path": "/orders/:id",
        "page_url": "https://shop.example/orders/1",
    }
    values.update(fields)
    return Report(**values)


async def seed(session, site, *, planted: int = 0, seed: int = 1) -> None:
    """Ten weeks of steady reports, plus `planted` extra in the last 30 days on Wednesdays at 15:00 in the West store."""
    rng = random.Random(seed)
    for _ in range(700):
        at = NOW - timedelta(days=rng.uniform(0, 70))
        session.add(generated_report(site, at, rng))
    for i in range(planted):
        day = NOW - timedelta(days=2 + 7 * (i % 4))
        at = (day - timedelta(days=(day.weekday() - 2) % 7)).replace(hour=15, minute=rng.randint(0, 59))
        session.add(
            generated_report(site, at, rng, location="West", description=f"The card reader froze at the till ({i}).")
        )
    await session.commit()


async def signed_in(client, session, site):
    await add_staff(session, "lee@shop.example", "lead", [site])
    await login(client, "lee@shop.example")


async def test_the_trends_page_shows_each_chart_with_its_table_and_keeps_filters_in_the_url(client, session, site):
    await seed(session, site)
    await signed_in(client, session, site)
    first, last = (NOW - timedelta(days=29)).date().isoformat(), NOW.date().isoformat()
    page = (await client.get(f"/staff/trends?site={site.id}&from={first}&to={last}")).text
    for name in ("categories", "locations", "pages", "busy", "rate", "levels", "gestures", "clocks"):
        assert f'data-testid="table-{name}"' in page, name
    assert 'data-testid="heatmap"' in page
    assert 'canvas data-chart="categories-data"' in page
    assert (one(page, "#from")["value"], one(page, "#to")["value"]) == (first, last)
    assert one(page, "#site option[selected]")["value"] == str(site.id)
    in_range = await session.scalar(
        select(func.count())
        .select_from(Report)
        .where(Report.created_at >= datetime.fromisoformat(first).replace(tzinfo=UTC))
    )
    assert int(text_of(page, '[data-testid="total"]')) == in_range
    assert in_range > 0
    assert every(page, '[data-testid="hotspot"]') == []  # steady noise: nothing stands out
    assert text_of(page, '[data-testid="no-hotspots"]') == "Nothing stands out beyond chance."


async def test_a_planted_pattern_becomes_a_hotspot_that_links_to_its_reports_and_a_corrective_action(
    client, session, site
):
    await seed(session, site, planted=24)
    await signed_in(client, session, site)
    page = (await client.get(f"/staff/trends?site={site.id}")).text
    labels = texts(page, '[data-testid="hotspot"] strong')
    assert "Wednesdays 15:00–16:00" in labels
    assert "West" in labels
    wednesdays = next(
        h for h in every(page, '[data-testid="hotspot"]') if text_of(h, "strong") == "Wednesdays 15:00–16:00"
    )
    cell = (await client.get(str(one(wednesdays, "a")["href"]))).text
    rows = every(cell, '[data-testid="hotspot-report"]')
    assert len(rows) >= 24
    assert sum("The card reader froze" in text(row) for row in rows) == 24  # every planted report is listed
    token = csrf_token(cell)
    ids = [int(str(field["value"])) for field in every(cell, 'input[name="report_ids"]')]
    assert len(ids) == len(rows)
    response = await client.post(
        "/staff/cas",
        data={
            "site_id": site.id,
            "title": "Till freezes on Wednesday afternoons",
            "report_ids": ids,
            "_csrf_token": token,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    ca = await session.scalar(select(CorrectiveAction))
    assert len((await session.scalars(select(Report.id).where(Report.ca_id == ca.id))).all()) == len(ids)


async def test_exports_stream_every_row_with_the_filters_in_csv_and_json(client, session, site, other_site):
    rng = random.Random(3)
    session.add_all(
        generated_report(site, NOW - timedelta(hours=i), rng, category="delivery" if i % 2 else "website")
        for i in range(2500)
    )
    session.add(
        generated_report(
            site, NOW - timedelta(minutes=1), rng, category="delivery", description='=HYPERLINK("http://evil")'
        )
    )
    session.add(generated_report(other_site, NOW, rng, category="delivery"))
    await session.commit()
    await signed_in(client, session, site)

    response = await client.get(
        f"/staff/export/reports.csv?category=delivery&from={(NOW - timedelta(days=200)).date()}"
    )
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 1251
    assert {r["category"] for r in rows} == {"delivery"}
    assert {r["site"] for r in rows} == {"Shop"}
    assert '\'=HYPERLINK("http://evil")' in [r["description"] for r in rows]  # never a live formula in a spreadsheet

    data = json.loads((await client.get(f"/staff/export/reports.json?from={(NOW - timedelta(days=200)).date()}")).text)
    assert len(data) == 2501
    assert data[0]["ref"]
    first = await session.scalar(select(Report).where(Report.ref == data[0]["ref"]))
    assert datetime.fromisoformat(data[0]["created_at"]) == first.created_at
    assert (await client.get("/staff/export/reports.xml")).status_code == 404
    cas = await client.get("/staff/export/cas.json")
    assert cas.status_code == 200
    assert json.loads(cas.text) == []


async def test_a_staff_member_cannot_export_another_sites_reports(client, session, site, other_site):
    await signed_in(client, session, site)
    assert (await client.get(f"/staff/export/reports.csv?site={other_site.id}")).status_code == 404
    assert (await client.get(f"/staff/trends?site={other_site.id}")).status_code == 404


async def test_rolled_up_days_give_the_same_trends_and_hotspots_as_live_counting_and_are_counted_once(
    session, sessionmaker, settings, site
):
    from portal.db import make_engine, make_sessionmaker
    from portal.services import rollups, trends

    rng = random.Random(5)
    for i in range(900):
        at = NOW - timedelta(days=rng.uniform(0, 90))
        due = at + timedelta(minutes=20)
        session.add(
            generated_report(
                site,
                at,
                rng,
                first_response_due_at=due,
                recovery_due_at=at + timedelta(hours=24),
                first_response_at=at + timedelta(minutes=rng.choice([5, 40])) if i % 3 else None,
                recovered_at=at + timedelta(hours=rng.choice([3, 30])) if i % 4 else None,
                repeat_level=1 + i % 4,
                site_reports_last_hour=i % 25,
            )
        )
    await session.commit()
    period = trends.Period.parse((NOW - timedelta(days=60)).date().isoformat(), NOW.date().isoformat())
    live = await trends.trends(session, [site], period, now=NOW)
    live_cells = await trends.hotspot_cells(session, [site.id], period, period.before(), now=NOW)

    engines = [make_engine(settings), make_engine(settings)]
    while sum(await asyncio.gather(*(rollups.roll_up(make_sessionmaker(e), now=NOW) for e in engines))):
        pass  # two workers racing until the rollups are caught up
    for engine in engines:
        await engine.dispose()
    assert await rollups.rolled_until(session) == rollups.midnight(NOW - rollups.LAG)
    rolled = await trends.trends(session, [site], period, now=NOW)
    assert rolled == live
    assert rolled.total > 500
    assert await trends.hotspot_cells(session, [site.id], period, period.before(), now=NOW) == live_cells
