"""Erasure and retention: nothing personal left in any table, the counts and charts unchanged, and an audit
trail that holds nothing erased."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import JSON, String, Text, cast, func, select

from portal.models import (
    Base,
    CorrectiveAction,
    CustomerEvent,
    CustomerNote,
    CustomerProfile,
    GestureGrant,
    MeToo,
    OutboxMail,
    PrivacyAudit,
    Rating,
    Report,
    ReportEvent,
    Unsubscribe,
)
from portal.services import monthly, privacy, trends
from tests.conftest import signed_as

NOW = datetime(2026, 3, 15, 12, tzinfo=UTC)
OLD = NOW - timedelta(days=700)  # well past the default 18 months
KEY = "id:cust-8841"
PERSONAL = {
    "name": "Zelda Quill",
    "email": "zelda.quill@mail.example",
    "customer_id": "cust-8841",
    "description": "periwinkle teapot shattered",
    "suggestion": "wrap it in marmalade paper",
    "page_url": "https://shop.example/orders/77?coupon=ZQ77",
    "referrer": "https://search.example/?q=refzq",
}
EXTRA = ["tangerine reply", "aubergine comment", "gooseberry wish", "quokka note"]


async def leftovers(session, values: list[str], skip: tuple[str, ...] = ()) -> list[str]:
    """Every table.column (of String, Text or JSON type) that still holds one of `values`, with the value."""
    found = []
    for table in Base.metadata.sorted_tables:
        if table.name in skip:
            continue
        for column in table.columns:
            if not isinstance(column.type, (String, Text, JSON)):
                continue
            for value in values:
                pattern = f"%{value.lower()}%"
                hits = await session.scalar(
                    select(func.count()).select_from(table).where(func.lower(cast(column, Text)).like(pattern))
                )
                if hits:
                    found.append(f"{table.name}.{column.name}: {value}")
    return found


async def customer_with_everything(session, site, make_report, at: datetime) -> tuple[list[Report], list[str]]:
    """Two reports from one verified customer with a reply, a rating, a wish, a note, a profile, events, a me-too,
    an unsubscription; returns them and every personal value they hold."""
    reports = [
        await make_report(site, at=at + timedelta(hours=i), **{**PERSONAL, **signed_as(site, "cust-8841")})
        for i in range(2)
    ]
    first = reports[0]
    ca = CorrectiveAction(site_id=site.id, title="Broken parcels")
    session.add(ca)
    await session.flush()
    session.add_all(
        [
            ReportEvent(report_id=first.id, kind="reply", body=EXTRA[0]),
            Rating(report_id=first.id, site_id=site.id, score=2, comment=EXTRA[1]),
            GestureGrant(
                site_id=site.id, report_id=first.id, customer_choice_for=first.id, choice="wish", wish=EXTRA[2]
            ),
            CustomerNote(site_id=site.id, customer_key=KEY, body=EXTRA[3], created_at=at),
            CustomerProfile(site_id=site.id, customer_key=KEY, tier=3, updated_at=at),
            CustomerEvent(site_id=site.id, event_id="ev-1", customer_key=KEY, type="order", at=at),
            MeToo(ca_id=ca.id, email=PERSONAL["email"], client_hash=first.client_hash, created_at=at),
            Unsubscribe(site_id=site.id, email=PERSONAL["email"]),
        ]
    )
    await session.commit()
    values = [*PERSONAL.values(), *EXTRA, first.client_hash, "coupon=ZQ77"]
    values.remove(PERSONAL["page_url"])  # its path stays (as the folded pattern): the query string must not
    values.remove("https://search.example/?q=refzq")
    return reports, [*values, "refzq"]


async def test_erasure_removes_everything_personal_and_cancels_mail(session, site, other_site, make_report):
    reports, values = await customer_with_everything(session, site, make_report, NOW - timedelta(days=3))
    bystander = await make_report(site, description="A stranger's broken kettle", email="someone@mail.example")
    assert await leftovers(session, values)  # the scan sees them before
    pending = select(OutboxMail).where(OutboxMail.to_addr == PERSONAL["email"], OutboxMail.state == "pending")
    assert (await session.scalars(pending)).all()  # the acknowledgements are still waiting

    assert await privacy.erase_customer(session, other_site, KEY, actor="staff", staff=None, reason="x") == {}
    counts = await privacy.erase_customer(session, site, KEY, actor="staff", staff=None, reason="Asked by phone")
    await session.commit()

    assert await leftovers(session, values) == []
    assert counts["reports"] == 2
    assert counts["me_too"] == 1
    assert counts["customer_event"] == 1
    assert counts["mail_cancelled"] >= 1
    mails = (await session.scalars(select(OutboxMail).where(OutboxMail.report_id.in_([r.id for r in reports])))).all()
    assert mails
    assert {m.state for m in mails} <= {"cancelled"}
    for report in reports:
        await session.refresh(report)
        assert report.anonymised_at
        assert report.category == "delivery"
        assert report.description.startswith("[")
        assert report.page_url == report.page_path
    await session.refresh(bystander)
    assert bystander.description == "A stranger's broken kettle"
    assert bystander.anonymised_at is None

    again = await privacy.erase_customer(session, site, KEY, actor="customer", staff=None, reason=None)
    await session.commit()
    assert again == {}
    audits = (await session.scalars(select(PrivacyAudit).order_by(PrivacyAudit.id))).all()
    assert [a.action for a in audits] == ["erase", "erase", "erase"]
    assert audits[1].customer_hash == audits[2].customer_hash != audits[0].customer_hash  # per site
    assert audits[1].counts == counts
    assert audits[1].reason == "Asked by phone"


async def test_export_holds_everything_the_customer_told_us(session, site, make_report):
    await customer_with_everything(session, site, make_report, NOW - timedelta(days=3))
    data = await privacy.export_customer(session, site, KEY)
    assert [r["description"] for r in data["reports"]] == [PERSONAL["description"]] * 2
    first = data["reports"][0]
    assert first["email"] == PERSONAL["email"]
    assert first["page_url"] == PERSONAL["page_url"]
    assert first["rating"]["comment"] == EXTRA[1]
    assert first["gesture"]["wish"] == EXTRA[2]
    assert EXTRA[0] in [e["text"] for e in first["timeline"]]
    assert data["events"][0]["type"] == "order"
    assert data["me_too"] == []
    assert (await privacy.export_customer(session, site, "email:" + PERSONAL["email"]))["me_too"]
    assert (await privacy.export_customer(session, site, "id:nobody"))["reports"] == []


async def test_retention_keeps_the_charts_and_removes_the_rest(session, sessionmaker, site, make_report):
    old, values = await customer_with_everything(session, site, make_report, OLD)
    recent = await make_report(
        site, at=NOW - timedelta(days=10), name="Ola Recent", email="ola@mail.example", description="kettle whistles"
    )
    period = trends.Period.from_dates(OLD.date() - timedelta(days=1), NOW.date())
    month = date(OLD.year, OLD.month, 1)
    before = (await trends.trends(session, [site], period, now=NOW), await monthly.results_data(session, site, month))

    assert await privacy.anonymise_expired(sessionmaker, now=NOW) == 2
    assert await privacy.anonymise_expired(sessionmaker, now=NOW) == 0  # nothing left to do

    after = (await trends.trends(session, [site], period, now=NOW), await monthly.results_data(session, site, month))
    assert after == before
    old_only = [v for v in values if v != recent.client_hash]  # the same test client sent both
    assert await leftovers(session, old_only, skip=("unsubscribe",)) == []  # an opt-out is kept, to be honoured
    for report in old:
        await session.refresh(report)
        assert report.description == "[removed after 18 months]"
        assert report.customer_email is None
    await session.refresh(recent)
    assert recent.description == "kettle whistles"
    assert recent.anonymised_at is None
    audits = (await session.scalars(select(PrivacyAudit))).all()
    assert [(a.action, a.actor, a.counts["reports"]) for a in audits] == [("retention", "worker", 2)]
    assert await session.scalar(select(func.count()).select_from(CustomerEvent)) == 0
