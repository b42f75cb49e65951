"""Loyalty after recovery and the churn check: the worker's rollups from seeded reports and host events, and the page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from sqlalchemy import select

from portal.domain import tokens
from portal.models import CustomerEvent, GestureGrant, InsightRollup, Rating, Report, utcnow
from portal.services import loyalty
from tests.conftest import add_staff, csrf_token, login
from tests.html import every, one, text, text_of

NOW = utcnow().replace(microsecond=0)
DAY = timedelta(days=1)
_ids = count(1)


def report(site, key: str | None, at: datetime, *, level: int = 1, recovered_after: timedelta | None = None) -> Report:
    """A report row built directly, dated and recovered as the test needs."""
    return Report(
        ref=tokens.report_ref(),
        status_token=tokens.status_token(),
        site_id=site.id,
        state="closed" if recovered_after is not None else "new",
        category="delivery",
        description="It went wrong.",
        apology_text="Sorry.",
        apology_signed_by="Dana",
        client_hash="x",
        customer_key=key,
        repeat_level=level,
        created_at=at,
        recovered_at=at + recovered_after if recovered_after is not None else None,
    )


def event(site, key: str, kind: str, at: datetime) -> CustomerEvent:
    return CustomerEvent(site_id=site.id, event_id=f"e{next(_ids)}", customer_key=key, type=kind, at=at)


async def seed(session, site) -> None:
    """Customers A (recovered in 2 h, rated 5, chose a gesture, came back), B (recovered after 2 days, rated 1,
    said no thanks, cancelled 40 days on), C (four failures, never recovered, ordered then cancelled), D (identified,
    no activity sent), E (email only), F (too recent for any window), and G, who never reported and orders every
    10 days."""
    fail = NOW - 200 * DAY
    a = report(site, "id:A", fail, recovered_after=timedelta(hours=2))
    b = report(site, "id:B", fail, recovered_after=timedelta(hours=48))
    c_reports = [report(site, "id:C", NOW - (230 - 10 * i) * DAY, level=1 + i) for i in range(4)]
    rows = [a, b, *c_reports, report(site, "id:D", fail), report(site, "email:e@example.com", fail)]
    rows += [report(site, "id:F", NOW - 20 * DAY, recovered_after=timedelta(hours=1)), report(site, None, fail)]
    session.add_all(rows)
    await session.flush()
    session.add_all(
        [
            Rating(report_id=a.id, site_id=site.id, score=5),
            Rating(report_id=b.id, site_id=site.id, score=1),
            GestureGrant(site_id=site.id, report_id=a.id, customer_choice_for=a.id, choice="gesture"),
            GestureGrant(site_id=site.id, report_id=b.id, customer_choice_for=b.id, choice="declined"),
            event(site, "id:A", "order", fail - 10 * DAY),
            event(site, "id:A", "order", fail + 5 * DAY),
            event(site, "id:A", "visit", NOW - 10 * DAY),
            event(site, "id:B", "visit", fail - 60 * DAY),
            event(site, "id:B", "cancellation", fail + 42 * DAY),
            event(site, "id:C", "order", NOW - 199 * DAY),
            event(site, "id:C", "cancellation", NOW - 195 * DAY),
            event(site, "id:F", "order", NOW - 5 * DAY),
            *(event(site, "id:G", "order", NOW - (400 - 10 * i) * DAY) for i in range(40)),
        ]
    )
    await session.commit()


def months_with_ended_window(days: int) -> int:
    """The first days of months in the last year whose `days`-day window has ended."""
    first = datetime(NOW.year - 1, NOW.month, 1, tzinfo=UTC)
    n = 0
    while first <= NOW:
        n += NOW - loyalty.LOOKBACK <= first <= NOW - days * DAY
        first = datetime(first.year + first.month // 12, first.month % 12 + 1, 1, tzinfo=UTC)
    return n


def figures(row: dict) -> tuple[int, int]:
    return row["s"], row["n"]


async def test_the_rollup_counts_each_matched_customer_once_at_their_highest_level(session, sessionmaker, site):
    await seed(session, site)
    assert await loyalty.refresh_due(sessionmaker, now=NOW) == 1
    stored = await loyalty.rollups(session, site.id)
    data, churn = stored["loyalty"].data, stored["churn"].data
    assert data["matching"] == {"customers": 6, "identified": 5, "matched": 4, "events": 48}

    w30, w90 = data["windows"]["30"], data["windows"]["90"]
    assert w30["customers"] == 3
    assert w90["customers"] == 3
    o30, o90 = w30["overview"], w90["overview"]
    assert figures(o30["after"]["returned"]) == (2, 3)
    assert figures(o30["after"]["cancelled"]) == (1, 3)
    assert figures(o30["before"]["returned"]) == (1, 3)
    assert figures(o30["before"]["cancelled"]) == (0, 3)
    assert figures(o90["after"]["cancelled"]) == (2, 3)
    assert figures(o90["before"]["returned"]) == (2, 3)
    assert figures(o90["reporters_active_before"]["cancelled"]) == (1, 2)  # B, active 60 days before
    months = months_with_ended_window(30)
    assert figures(o30["others"]["returned"]) == (months, months)
    assert figures(o30["others"]["cancelled"]) == (0, months)

    recovery = {row["group"]: row for row in w30["splits"]["recovery"]}
    assert [figures(recovery[g]["returned"]) for g in ("within", "later", "never")] == [(1, 1), (0, 1), (1, 1)]
    assert recovery["within"]["returned_test"] is None
    assert recovery["later"]["returned_test"]["holds"] is False
    rating = {row["group"]: row["n"] for row in w30["splits"]["rating"]}
    assert rating == {"good": 1, "neutral": 0, "poor": 1, "unrated": 1}
    gesture = {row["group"]: row["n"] for row in w30["splits"]["gesture"]}
    assert gesture == {"none": 1, "chosen": 1, "declined": 1, "wish": 0}
    levels = {row["group"]: row["n"] for row in w30["splits"]["level"]}
    assert levels == {"1": 2, "2": 0, "3": 0, "4": 1}

    by_level = {row["level"]: row for row in churn["levels"]}
    assert figures(by_level["1"]["lost"]) == (1, 2)
    assert (by_level["1"]["cancelled"], by_level["1"]["silent"]) == (1, 1)
    assert figures(by_level["4"]["lost"]) == (1, 1)
    assert churn["silent_after_days"] == 60


async def test_the_worker_recomputes_one_site_a_pass_the_stalest_first_and_at_most_every_ten_minutes(
    session, sessionmaker, site, other_site
):
    await seed(session, site)
    assert await loyalty.refresh_due(sessionmaker, now=NOW) == 1
    assert await loyalty.refresh_due(sessionmaker, now=NOW + timedelta(minutes=1)) == 1
    assert await loyalty.refresh_due(sessionmaker, now=NOW + timedelta(minutes=9)) == 0
    assert await loyalty.refresh_due(sessionmaker, now=NOW + timedelta(minutes=11)) == 1
    computed = dict(
        (
            await session.execute(
                select(InsightRollup.site_id, InsightRollup.computed_at).where(InsightRollup.name == "churn")
            )
        ).all()
    )
    assert computed == {site.id: NOW + timedelta(minutes=11), other_site.id: NOW + timedelta(minutes=1)}


async def test_the_page_shows_each_share_with_its_counts_for_the_chosen_window(client, session, sessionmaker, site):
    await seed(session, site)
    await loyalty.recompute(session, site, NOW)
    await add_staff(session, "lead@shop.example", "lead", [site])
    await login(client, "lead@shop.example")

    page = (await client.get("/staff/loyalty")).text
    assert "4 of the 6 customers who reported" in text_of(page, "[data-testid=matching]")
    headings = [text(h) for h in every(page, "h2")]
    for question in (
        "Do customers come back after we recover?",
        "Does recovering within 24 hours keep customers?",
        "Does the fourth failure lose them?",
    ):
        assert question in headings
    within = one(page, "[data-testid=split-recovery] tr[data-group=within]")
    assert "1 of 1" in text(within)
    assert "compared with this row" in text(within)
    cancelled_after = "[data-testid=after] td:nth-of-type(2)"
    assert "1 of 3" in text_of(page, cancelled_after)  # C cancelled within 30 days of the failure
    assert "1 of 2" in text_of(page, "[data-testid=churn] tr[data-level='1']")
    assert one(page, "a[aria-current=page][href='/staff/loyalty']")

    page90 = (await client.get(f"/staff/loyalty?site={site.id}&window=90")).text
    assert "2 of 3" in text_of(page90, cancelled_after)  # and B within 90 days of recovery
    assert one(page90, "#window option[selected]")["value"] == "90"


async def test_staff_see_only_their_own_sites_figures(client, session, site, other_site):
    await seed(session, other_site)
    await loyalty.recompute(session, other_site, NOW)
    await add_staff(session, "agent@shop.example", "agent", [site])
    await login(client, "agent@shop.example")

    assert (await client.get(f"/staff/loyalty?site={other_site.id}")).status_code == 404
    page = (await client.get("/staff/loyalty")).text
    assert one(page, "#site option[selected]")["value"] == str(site.id)
    assert one(page, "[data-testid=loyalty-empty]")
    assert not every(page, "[data-testid=matching]")
    assert one(page, "[data-testid=loyalty-empty] a[href='/schema']")


async def test_only_admins_recompute_and_only_sites_they_may_see(client, session, site, other_site):
    await seed(session, site)
    await add_staff(session, "lead@shop.example", "lead", [site])
    await login(client, "lead@shop.example")
    token = csrf_token((await client.get("/staff/loyalty")).text)
    refused = await client.post("/staff/loyalty/recompute", data={"site": str(site.id), "_csrf_token": token})
    assert refused.status_code == 403
    assert await loyalty.rollups(session, site.id) == {}

    await add_staff(session, "admin@mend.example", "admin", [])
    await login(client, "admin@mend.example")
    token = csrf_token((await client.get("/staff/loyalty")).text)
    done = await client.post(
        "/staff/loyalty/recompute", data={"site": str(site.id), "_csrf_token": token}, follow_redirects=False
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/staff/loyalty?site={site.id}"
    assert set(await loyalty.rollups(session, site.id)) == {"loyalty", "churn"}
    page = (await client.get(done.headers["location"])).text
    assert "4 of the 6" in text_of(page, "[data-testid=matching]")
    assert one(page, "[data-testid=computed] button")
