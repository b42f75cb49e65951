"""TEMPORARY scratch: dump pages for inspection (deleted before handing back)."""

from pathlib import Path

from sqlalchemy import select

from portal.models import Report
from tests.conftest import add_staff, csrf_token, login, report_body

OUT = Path("/tmp/pages")


async def test_dump(client, session, site, other_site):
    await add_staff(session, "agent@shop.example", "agent", [site])
    await add_staff(session, "lee@shop.example", "lead", [site])
    for d in ("ours", "second"):
        await client.post("/api/v1/reports", json=report_body(site, description=d, email="k@example.com"))
    await client.post("/api/v1/reports", json=report_body(other_site, description="theirs"))
    await login(client, "agent@shop.example")
    OUT.joinpath("queue.html").write_text((await client.get("/staff")).text)
    OUT.joinpath("queue_rows.html").write_text(
        (await client.get("/staff?assignee=me", headers={"HX-Request": "true", "HX-Target": "queue-rows"})).text
    )
    report = await session.scalar(select(Report))
    page = (await client.get(f"/staff/reports/{report.id}")).text
    OUT.joinpath("report.html").write_text(page)
    token = csrf_token(page)
    OUT.joinpath("mail.html").write_text((await client.get("/staff/mail?state=dead")).text)
    OUT.joinpath("grant_noreason.html").write_text(
        (await client.post(f"/staff/reports/{report.id}/gestures", data={"gesture_id": 1, "reason": " ", "_csrf_token": token})).text
    )
    client.cookies.clear()
    form = {"category": "website", "description": "Checkout hung"}
    h = {"HX-Request": "true", "HX-Target": "panel", "origin": "http://testserver.local"}
    for _ in range(6):
        r = await client.post(f"/w/{site.key}", data=form, headers=h)
    OUT.joinpath("panel_flood.html").write_text(r.text)
    OUT.joinpath("status.html").write_text((await client.get(f"/s/{report.status_token}")).text)
