"""Gestures from the customer's side: what is offered, their choice, its confirmation and fulfilment."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from portal.domain.gestures import Tier
from portal.domain.identity import sign_customer
from portal.mail import Mail
from portal.models import Gesture, GestureCode, GestureGrant, OutboxMail, Report, Task, utcnow
from portal.services import tasks
from tests.conftest import add_staff, report_body
from tests.html import every, one, text_of

CHOICE_ERROR = '[data-testid="gesture-error"]'


async def test_a_first_report_is_offered_two_or_three_standard_gestures_that_fit(client, site, make_report):
    offered = (await make_report(site, category="website")).receipt["gestures"]
    assert 2 <= len(offered) <= 3
    assert {g["tier"] for g in offered} == {"standard"}


async def test_choosing_a_gesture_records_it_confirms_it_and_gives_a_person_a_24_hour_task(
    client, session, site, make_report
):
    report = await make_report(site, email="ana@example.com", name="Ana Ruiz")
    token, gesture = report.status_token, report.receipt["gestures"][0]
    chosen = await client.post(
        f"/s/{token}/gesture", data={"choice": f"gesture:{gesture['id']}"}, follow_redirects=False
    )
    assert chosen.status_code == 303

    grant = await session.scalar(select(GestureGrant))
    assert (grant.choice, grant.gesture_name) == ("gesture", gesture["name"])
    task = await session.scalar(select(Task))
    assert task.kind == "gesture"
    assert gesture["name"] in task.title
    assert task.due_at - grant.created_at == timedelta(hours=24)
    mail = await session.scalar(select(OutboxMail).where(OutboxMail.dedupe_key.like("gesture:%")))
    assert mail.to_addr == "ana@example.com"
    assert gesture["name"] in mail.subject
    assert gesture["name"] in mail.text_body

    page = (await client.get(f"/s/{token}")).text
    assert "You chose: " + gesture["name"] in text_of(page, '[data-testid="gesture-confirmation"]')
    assert every(page, '[name="choice"]') == []


async def test_no_thanks_and_own_words_are_recorded_too(client, session, site, make_report):
    declined = (await make_report(site, email="a@example.com")).status_token
    wished = (await make_report(site)).status_token
    await client.post(f"/s/{declined}/gesture", data={"choice": "declined"})
    await client.post(f"/s/{wished}/gesture", data={"choice": "wish", "wish": "Just call me <b>back</b>"})

    grants = (await session.scalars(select(GestureGrant).order_by(GestureGrant.id))).all()
    assert [(g.choice, g.wish) for g in grants] == [("declined", None), ("wish", "Just call me <b>back</b>")]
    assert [t.kind for t in (await session.scalars(select(Task))).all()] == ["wish"]  # a person answers the wish
    page = (await client.get(f"/s/{wished}")).text
    assert "Just call me &lt;b&gt;back&lt;/b&gt;" in page


async def test_a_wish_without_words_is_refused_and_the_choice_kept(client, session, site, make_report):
    token = (await make_report(site)).status_token
    response = await client.post(
        f"/s/{token}/gesture", data={"choice": "wish", "wish": "  "}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400
    assert "what would make it right" in text_of(response.text, CHOICE_ERROR)
    assert one(response.text, 'input[value="wish"]').has_attr("checked")
    assert await session.scalar(select(func.count()).select_from(GestureGrant)) == 0


async def test_the_customer_can_only_pick_what_was_offered_to_them(client, session, site, make_report):
    report = await make_report(site, category="website")
    premium = await session.scalar(select(Gesture.id).where(Gesture.site_id == site.id, Gesture.tier == Tier.PREMIUM))
    refused = await client.post(f"/s/{report.status_token}/gesture", data={"choice": f"gesture:{premium}"})
    assert refused.status_code == 400
    assert "Pick one of the gestures offered" in text_of(refused.text, CHOICE_ERROR)
    assert await session.scalar(select(func.count()).select_from(GestureGrant)) == 0


async def test_answering_twice_keeps_the_first_answer(client, session, site, make_report):
    report = await make_report(site)
    token, first = report.status_token, report.receipt["gestures"][0]
    await client.post(f"/s/{token}/gesture", data={"choice": f"gesture:{first['id']}"})
    again = await client.post(f"/s/{token}/gesture", data={"choice": "declined"}, headers={"HX-Request": "true"})
    assert again.status_code == 200
    assert first["name"] in text_of(again.text, '[data-testid="gesture-confirmation"]')
    assert await session.scalar(select(func.count()).select_from(GestureGrant)) == 1


async def test_an_unknown_status_token_cannot_choose(client):
    response = await client.post("/s/not-a-token/gesture", data={"choice": "declined"})
    assert response.status_code == 404


async def test_a_capped_gesture_that_runs_out_is_replaced_by_the_next_relevant_one(client, session, site, make_report):
    gestures = (
        await session.scalars(select(Gesture).where(Gesture.site_id == site.id, Gesture.tier == Tier.STANDARD))
    ).all()
    for g in gestures:
        g.daily_cap = 1
    await session.commit()
    first, second = await make_report(site), await make_report(site)
    target = first.receipt["gestures"][0]
    assert target in second.receipt["gestures"]  # both were offered it while it had room
    await client.post(f"/s/{first.status_token}/gesture", data={"choice": f"gesture:{target['id']}"})

    gone = await client.post(
        f"/s/{second.status_token}/gesture", data={"choice": f"gesture:{target['id']}"}, headers={"HX-Request": "true"}
    )
    assert gone.status_code == 409
    assert "has just run out" in text_of(gone.text, CHOICE_ERROR)
    assert target["name"] in text_of(gone.text, CHOICE_ERROR)
    assert every(gone.text, f'input[value="gesture:{target["id"]}"]') == []
    other = next(g for g in second.receipt["gestures"] if g["id"] != target["id"])
    assert one(gone.text, f'input[value="gesture:{other["id"]}"]')
    ok = await client.post(
        f"/s/{second.status_token}/gesture", data={"choice": f"gesture:{other['id']}"}, follow_redirects=False
    )
    assert ok.status_code == 303
    third = await make_report(site)
    assert target["id"] not in [g["id"] for g in third.receipt["gestures"]]


async def test_a_code_gesture_delivers_a_code_at_once_and_never_the_same_one_twice(client, session, site, make_report):
    gesture = Gesture(
        site_id=site.id,
        name="Free express shipping code",
        description="Your next parcel goes express.",
        tier=Tier.STANDARD,
        categories=[],
        fulfilment="code",
        position=-1,
    )
    session.add(gesture)
    await session.flush()
    session.add_all(
        [GestureCode(gesture_id=gesture.id, code="EXP-111"), GestureCode(gesture_id=gesture.id, code="EXP-222")]
    )
    await session.commit()

    codes = []
    for i in range(3):
        report = await make_report(site, email=f"c{i}@example.com")
        offered = [g["id"] for g in report.receipt["gestures"]]
        if gesture.id in offered:
            await client.post(f"/s/{report.status_token}/gesture", data={"choice": f"gesture:{gesture.id}"})
            grant = await session.scalar(select(GestureGrant).order_by(GestureGrant.id.desc()).limit(1))
            codes.append(grant.code)
            page = (await client.get(f"/s/{report.status_token}")).text
            assert f"Your code: {grant.code}" in page
    assert sorted(codes) == ["EXP-111", "EXP-222"]  # the third customer was not offered an empty pool
    assert await session.scalar(select(func.count()).select_from(Task)) == 0  # automatic: nobody has a task
    mails = (await session.scalars(select(OutboxMail.text_body).where(OutboxMail.dedupe_key.like("gesture:%")))).all()
    assert any("EXP-111" in body for body in mails)
    assert any("EXP-222" in body for body in mails)


async def test_an_at_risk_customer_is_offered_a_higher_tier_and_a_named_lead_must_follow_up(
    client, session, site, make_report
):
    lead = await add_staff(session, "lee@shop.example", "lead", [site])
    await add_staff(session, "agent@shop.example", "agent", [site])
    body = {"customer_id": "c-7", "customer_sig": sign_customer(site.secret, "c-7"), "category": "website"}
    tiers = []
    for _ in range(3):
        tiers.append({g["tier"] for g in (await make_report(site, **body)).receipt["gestures"]})
    assert tiers[0] == tiers[1] == {"standard"}
    assert "elevated" in tiers[2]
    tasks = (await session.scalars(select(Task).where(Task.kind == "follow_up"))).all()
    assert len(tasks) == 1
    assert tasks[0].assignee_id == lead.id
    third = await session.scalar(select(Report).order_by(Report.id.desc()).limit(1))
    assert tasks[0].report_id == third.id
    assert tasks[0].due_at - third.created_at == timedelta(hours=site.follow_up_hours)
    told = (await session.scalars(select(OutboxMail).where(OutboxMail.dedupe_key.like("follow_up:%")))).all()
    assert [m.to_addr for m in told] == ["lee@shop.example"]
    assert "follow up personally" in told[0].subject
    await make_report(site, **body)  # a fourth report while the follow-up is open: still one task
    assert await session.scalar(select(func.count()).select_from(Task).where(Task.kind == "follow_up")) == 1


async def test_at_risk_customers_in_one_group_get_one_follow_up_each_spread_over_the_leads(
    session, site, settings, make_report
):
    leads = [await add_staff(session, f"lead{n}@shop.example", "lead", [site]) for n in (1, 2)]
    reports = [
        await make_report(site, at=utcnow() - timedelta(minutes=n), customer_id=customer, email=f"{customer}@x.example")
        for n, customer in enumerate(("c-1", "c-1", "c-2", "c-2"))
    ]
    # As intake's writer hands over a group's at-risk reports: two customers, two reports each.
    created = await tasks.follow_ups_for(session, reports, mail=Mail.from_settings(settings))
    await session.commit()
    assert [task.report_id for task in created] == [reports[0].id, reports[2].id]  # one per customer
    assert {task.assignee_id for task in created} == {lead.id for lead in leads}  # the load spread
    told = (await session.scalars(select(OutboxMail.to_addr).where(OutboxMail.dedupe_key.like("follow_up:%")))).all()
    assert sorted(told) == ["lead1@shop.example", "lead2@shop.example"]


async def test_a_tier_the_host_signs_is_trusted_and_an_unsigned_one_is_not(client, session, site, make_report):
    signed = {
        "customer_id": "vip-1",
        "customer_tier": "premium",
        "customer_sig": sign_customer(site.secret, "vip-1", "premium"),
    }
    offered = (await make_report(site, category="website", **signed)).receipt["gestures"]
    assert "premium" in {g["tier"] for g in offered}

    forged = {"customer_id": "vip-2", "customer_tier": "premium", "customer_sig": sign_customer(site.secret, "vip-2")}
    offered = (await make_report(site, category="website", **forged)).receipt["gestures"]
    assert {g["tier"] for g in offered} == {"standard"}
    assert (await session.scalars(select(Report.customer_tier).order_by(Report.id))).all() == [3, 1]
    assert (await session.scalars(select(Report.identity_verified).order_by(Report.id))).all() == [True, True]


async def test_an_unknown_tier_name_is_a_clear_400(client, site):
    response = await client.post("/api/v1/reports", json=report_body(site, customer_tier="platinum"))
    assert response.status_code == 400
    assert "standard, elevated or premium" in response.text


async def test_when_the_last_code_goes_to_someone_else_first_the_customer_is_offered_the_rest(
    client, session, site, monkeypatch, make_report
):
    gesture = Gesture(
        site_id=site.id,
        name="Free express shipping code",
        description="Your next parcel goes express.",
        tier=Tier.STANDARD,
        categories=[],
        fulfilment="code",
        position=-1,
    )
    session.add(gesture)
    await session.flush()
    session.add(GestureCode(gesture_id=gesture.id, code="EXP-ONLY"))
    await session.commit()
    first, second = await make_report(site), await make_report(site)
    assert gesture.id in [g["id"] for g in second.receipt["gestures"]]
    await client.post(f"/s/{first.status_token}/gesture", data={"choice": f"gesture:{gesture.id}"})

    # As if both customers passed the "codes left" check at the same moment: the second finds the pool empty on claiming.
    monkeypatch.setattr("portal.services.gesture_grants.has_room", lambda gesture, used: True)
    gone = await client.post(
        f"/s/{second.status_token}/gesture", data={"choice": f"gesture:{gesture.id}"}, headers={"HX-Request": "true"}
    )
    assert gone.status_code == 409
    assert "has just run out" in gone.text
    assert f'value="gesture:{gesture.id}"' not in gone.text
    assert 'value="declined"' in gone.text
    assert await session.scalar(select(func.count()).select_from(GestureGrant)) == 1
