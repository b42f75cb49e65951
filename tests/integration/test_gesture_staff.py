"""Gestures from the staff side: the catalog admins keep, grants within budget, tasks, and customer tiers."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.domain.default_gestures import DEFAULT_CATALOG
from portal.domain.gestures import Tier
from portal.models import Gesture, GestureCode, GestureGrant, OutboxMail, Task
from tests.conftest import add_staff, as_admin, csrf_token, login
from tests.html import every, one, text, text_of

KIM = {"email": "kim@example.com", "name": "Kim Lee"}


async def gesture_named(session, site, name: str) -> Gesture:
    return await session.scalar(select(Gesture).where(Gesture.site_id == site.id, Gesture.name == name))


async def test_a_new_site_starts_with_the_default_catalog(session, site):
    names = (
        await session.scalars(select(Gesture.name).where(Gesture.site_id == site.id).order_by(Gesture.position))
    ).all()
    assert names == [g.name for g in DEFAULT_CATALOG]


async def test_an_admin_adds_a_gesture_and_money_is_refused_with_the_reason(client, session, site):
    token = await as_admin(client, session)
    form = {
        "name": "Coffee with the founder",
        "description": "A video call with our founder.",
        "tier": "premium",
        "categories": ["service", "other"],
        "daily_cap": "2",
        "monthly_cap": "",
        "fulfilment": "task",
        "_csrf_token": token,
    }
    assert (await client.post(f"/staff/sites/{site.id}/gestures", data=form, follow_redirects=False)).status_code == 303
    added = await gesture_named(session, site, "Coffee with the founder")
    assert (added.tier, added.categories, added.daily_cap, added.monthly_cap) == (
        Tier.PREMIUM,
        ["service", "other"],
        2,
        None,
    )

    refused = await client.post(
        f"/staff/sites/{site.id}/gestures",
        data={**form, "name": "Sorry voucher", "description": "A €10 voucher for next time."},
    )
    assert refused.status_code == 400
    error = text_of(refused.text, '[data-testid="description-error"]')
    assert "never money" in error
    assert "refund process" in error
    assert one(refused.text, "#name")["value"] == "Sorry voucher"  # what was typed is kept
    assert await gesture_named(session, site, "Sorry voucher") is None
    for wording in ("Full refund of the order", "20% off your next order", "$5 store credit"):
        response = await client.post(
            f"/staff/sites/{site.id}/gestures", data={**form, "name": "Make good", "description": wording}
        )
        assert response.status_code == 400, wording


async def test_only_admins_keep_the_catalog(client, session, site):
    await add_staff(session, "lee@shop.example", "lead", [site])
    await login(client, "lee@shop.example")
    assert (await client.get(f"/staff/sites/{site.id}/gestures")).status_code == 403


async def test_codes_are_added_to_a_pool_once_each_and_retiring_a_gesture_stops_offering_it(
    client, session, site, make_report
):
    token = await as_admin(client, session)
    form = {
        "name": "Express shipping code",
        "description": "Your next parcel goes express.",
        "tier": "standard",
        "fulfilment": "code",
        "_csrf_token": token,
    }
    await client.post(f"/staff/sites/{site.id}/gestures", data=form)
    gesture = await gesture_named(session, site, "Express shipping code")
    many = "\n".join(f"EXP-{i:06d}" for i in range(2000))  # larger than the 16 KB form limit elsewhere
    added = await client.post(
        f"/staff/sites/{site.id}/gestures/{gesture.id}/codes",
        data={"codes": many + "\nEXP-000001", "_csrf_token": token},
    )
    assert added.status_code == 200
    assert "2000 new codes added." in added.text
    again = await client.post(
        f"/staff/sites/{site.id}/gestures/{gesture.id}/codes",
        data={"codes": "EXP-000001\nEXP-NEW", "_csrf_token": token},
    )
    assert "1 new codes added." in again.text
    assert await session.scalar(select(func.count()).select_from(GestureCode)) == 2001

    retire = {**form, "active": ""}
    await client.post(f"/staff/sites/{site.id}/gestures/{gesture.id}", data=retire)
    offered = (await make_report(site)).receipt["gestures"]
    assert gesture.id not in [g["id"] for g in offered]


async def test_an_agent_grants_within_budget_and_going_over_names_who_can(client, session, site, make_report):
    await add_staff(session, "agent@shop.example", "agent", [site])
    lead = await add_staff(session, "lee@shop.example", "lead", [site])
    report = await make_report(site, **KIM)
    await login(client, "agent@shop.example")
    token = csrf_token((await client.get(f"/staff/reports/{report.id}")).text)
    elevated = await gesture_named(session, site, "Early access to something new")
    for _ in range(2):  # agents may grant two elevated gestures a month by default
        response = await client.post(
            f"/staff/reports/{report.id}/gestures",
            data={"gesture_id": elevated.id, "reason": "Second late parcel.", "_csrf_token": token},
            follow_redirects=False,
        )
        assert response.status_code == 303
    over = await client.post(
        f"/staff/reports/{report.id}/gestures",
        data={"gesture_id": elevated.id, "reason": "Third.", "_csrf_token": token},
    )
    assert over.status_code == 403
    assert "over your monthly budget for elevated gestures (2 of 2 used)" in over.text
    assert f"Who can grant it: {lead.name}." in over.text
    page = (await client.get(f"/staff/reports/{report.id}")).text
    assert "elevated 2 of 2" in text_of(page, '[data-testid="budget"]')
    assert len(every(page, '[data-testid="event-gesture"]')) == 2

    grants = (await session.scalars(select(GestureGrant))).all()
    assert len(grants) == 2
    assert all(g.reason == "Second late parcel." for g in grants)
    assert await session.scalar(select(func.count()).select_from(Task).where(Task.kind == "gesture")) == 2
    mails = (await session.scalars(select(OutboxMail.text_body).where(OutboxMail.dedupe_key.like("gesture:%")))).all()
    assert len(mails) == 2
    assert "We would like to offer you: Early access to something new" in mails[0]


async def test_an_empty_reason_or_a_foreign_gesture_is_refused(client, session, site, other_site, make_report):
    await add_staff(session, "lee@shop.example", "lead", [site])
    report = await make_report(site, **KIM)
    await login(client, "lee@shop.example")
    token = csrf_token((await client.get(f"/staff/reports/{report.id}")).text)
    ours = await gesture_named(session, site, "A handwritten note")
    theirs = await gesture_named(session, other_site, "A handwritten note")
    no_reason = await client.post(
        f"/staff/reports/{report.id}/gestures", data={"gesture_id": ours.id, "reason": " ", "_csrf_token": token}
    )
    assert no_reason.status_code == 400
    assert "why" in text_of(no_reason.text, '[data-testid="grant-error"]')
    foreign = await client.post(
        f"/staff/reports/{report.id}/gestures", data={"gesture_id": theirs.id, "reason": "x", "_csrf_token": token}
    )
    assert foreign.status_code == 400
    assert await session.scalar(select(func.count()).select_from(GestureGrant)) == 0


async def test_tasks_are_listed_by_deadline_and_done_once(client, session, site, make_report):
    await add_staff(session, "agent@shop.example", "agent", [site])
    first = await make_report(site, **KIM)
    await client.post(f"/s/{first.status_token}/gesture", data={"choice": f"gesture:{first.offered_gesture_ids[0]}"})
    second = await make_report(site, **KIM)
    await client.post(f"/s/{second.status_token}/gesture", data={"choice": "wish", "wish": "A call from a human."})
    await login(client, "agent@shop.example")
    page = (await client.get("/staff/tasks")).text
    rows = every(page, '[data-testid="task-row"]')
    assert [text_of(row, "td:nth-of-type(2)") for row in rows] == [first.ref, second.ref]  # by deadline
    assert "gesture to fulfil" in text(rows[0])
    assert "wish to answer" in text(rows[1])

    task = await session.scalar(select(Task).where(Task.report_id == first.id))
    token = csrf_token(page)
    await client.post(f"/staff/tasks/{task.id}/done", data={"_csrf_token": token})
    await client.post(f"/staff/tasks/{task.id}/done", data={"_csrf_token": token})
    assert first.ref not in (await client.get("/staff/tasks")).text
    report_page = (await client.get(f"/staff/reports/{first.id}")).text
    assert len(every(report_page, '[data-testid="event-task"]')) == 1
    assert " did: " not in (await client.get(f"/s/{first.status_token}")).text  # internal


async def test_a_lead_sets_a_customers_tier_and_their_next_report_is_offered_more(client, session, site, make_report):
    await add_staff(session, "lee@shop.example", "lead", [site])
    await make_report(site, **KIM, category="website")
    await login(client, "lee@shop.example")
    token = csrf_token((await client.get("/staff")).text)
    response = await client.post(
        f"/staff/customers/{site.id}/tier",
        data={"key": "email:kim@example.com", "tier": "premium", "_csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    file = (await client.get(f"/staff/customers/{site.id}?key=email:kim@example.com")).text
    assert text_of(file, '[data-testid="customer-tier"]').startswith("Premium, set by staff.")
    later = await make_report(site, **KIM, category="website")
    assert later.customer_tier == Tier.PREMIUM
    tiers = set((await session.scalars(select(Gesture.tier).where(Gesture.id.in_(later.offered_gesture_ids)))).all())
    assert Tier.PREMIUM in tiers

    bad = await client.post(
        f"/staff/customers/{site.id}/tier", data={"key": "email:kim@example.com", "tier": "gold", "_csrf_token": token}
    )
    assert bad.status_code == 400
    assert "standard, elevated or premium" in bad.text


async def test_a_staff_grant_of_a_code_gesture_whose_pool_just_emptied_is_refused_cleanly(
    client, session, site, monkeypatch, make_report
):
    await add_staff(session, "lee@shop.example", "lead", [site])
    gesture = Gesture(
        site_id=site.id,
        name="Express code",
        description="Next parcel goes express.",
        tier=Tier.STANDARD,
        categories=[],
        fulfilment="code",
        position=9,
    )
    session.add(gesture)
    await session.commit()
    report = await make_report(site, **KIM)
    await login(client, "lee@shop.example")
    token = csrf_token((await client.get(f"/staff/reports/{report.id}")).text)
    monkeypatch.setattr(
        "portal.services.gesture_grants.has_room", lambda gesture, used: True
    )  # as if a code was left when checked
    refused = await client.post(
        f"/staff/reports/{report.id}/gestures",
        data={"gesture_id": gesture.id, "reason": "Late twice.", "_csrf_token": token},
    )
    assert refused.status_code == 400
    assert "has no codes left" in text_of(refused.text, '[data-testid="grant-error"]')
    assert one(refused.text, "#reason")["value"] == "Late twice."
    assert await session.scalar(select(func.count()).select_from(GestureGrant)) == 0


async def test_the_catalog_shows_how_often_each_gesture_was_given_today_and_this_month(
    client, session, site, make_report
):
    first = await make_report(site, **KIM, category="website")
    note = await gesture_named(session, site, "A handwritten note")
    await client.post(f"/s/{first.status_token}/gesture", data={"choice": f"gesture:{note.id}"})
    await as_admin(client, session)
    page = (await client.get(f"/staff/sites/{site.id}/gestures")).text
    [row] = [r for r in every(page, '[data-testid="gesture-row"]') if text_of(r, "strong") == "A handwritten note"]
    assert text_of(row, "td:nth-of-type(5)") == "1 / 1"  # used today / this month
