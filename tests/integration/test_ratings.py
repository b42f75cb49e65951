""" "Did we make it right?": asked by the wrap-up, answered once by an explicit POST (changeable for 7 days),
a poor answer reopens the report, one reminder at most, and praise for the agent."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from portal.db import make_engine, make_sessionmaker
from portal.domain.decoys import Decoy, decoy_token
from portal.domain.ratings import Answer
from portal.mail import Mail
from portal.models import OutboxMail, Rating, Report, ReportEvent, Site, Task, Unsubscribe
from portal.services import ratings
from tests.conftest import BASE_URL, TEST_SECRET, add_staff, as_admin, csrf_token, login
from tests.html import every, one, text_of, texts


async def fixed_report(client, session, site, make_report, **fields) -> Report:
    """A report from Ana, taken by an agent and moved to fixed through the staff page (the wrap-up asks)."""
    await add_staff(session, "agent@shop.example", "agent", [site])
    report = await make_report(site, **({"email": "ana@example.com", "name": "Ana Lima"} | fields))
    await login(client, "agent@shop.example")
    token = csrf_token((await client.get(f"/staff/reports/{report.id}")).text)
    await client.post(f"/staff/reports/{report.id}/assign", data={"_csrf_token": token})
    moved = await client.post(
        f"/staff/reports/{report.id}/state", data={"state": "fixed", "_csrf_token": token}, follow_redirects=False
    )
    assert moved.status_code == 303
    return await fresh(session, report)


async def fresh(session, report: Report) -> Report:
    return await session.scalar(select(Report).where(Report.id == report.id).execution_options(populate_existing=True))


async def stored_ratings(session) -> list[Rating]:
    return list((await session.scalars(select(Rating).execution_options(populate_existing=True))).all())


async def mails(session, prefix: str) -> list[OutboxMail]:
    query = select(OutboxMail).where(OutboxMail.dedupe_key.like(f"{prefix}%")).order_by(OutboxMail.id)
    return list((await session.scalars(query.execution_options(populate_existing=True))).all())


async def test_the_wrap_up_asks_with_a_link_and_opening_it_records_nothing(client, session, site, make_report):
    report = await fixed_report(client, session, site, make_report)
    assert report.rating_asked_at is not None
    [wrapup] = await mails(session, "wrapup:")
    link = f"{BASE_URL}/s/{report.status_token}/rating"
    assert link in wrapup.text_body
    assert f'href="{link}"' in wrapup.html_body
    page = await client.get(f"/s/{report.status_token}/rating")
    assert page.status_code == 200
    assert texts(page.text, "fieldset.scores label") == [
        "1 Not at all",
        "2 Not really",
        "3 Partly",
        "4 Mostly",
        "5 Completely",
    ]
    assert one(page.text, "textarea#rating-comment")["maxlength"] == "2000"
    assert await stored_ratings(session) == []
    status = (await client.get(f"/s/{report.status_token}")).text
    assert one(status, '#rating [data-testid="rating-form"]')


async def test_an_answer_is_recorded_once_and_shown_on_the_status_page(client, session, site, make_report):
    report = await fixed_report(client, session, site, make_report)
    answer = {"score": "5", "surprised": "yes", "comment": "Fixed before I <b>asked</b> twice!"}
    sent = await client.post(f"/s/{report.status_token}/rating", data=answer, follow_redirects=False)
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/s/{report.status_token}#rating"
    [rating] = await stored_ratings(session)
    assert (rating.score, rating.surprised, rating.comment) == (5, "yes", "Fixed before I <b>asked</b> twice!")
    assert rating.agent_id == report.assignee_id is not None
    status = (await client.get(f"/s/{report.status_token}")).text
    shown = text_of(status, '#rating [data-testid="rating-answer"]')
    assert "You told us: Completely (5 of 5) · Surprised: Yes" in shown
    assert "Fixed before I <b>asked</b> twice!" in shown  # escaped text, not markup
    assert "You told us:" in text_of(status, '[data-testid="event-rating"]')
    assert (await fresh(session, report)).state == "fixed"  # a good answer leaves it recovered


async def test_a_second_post_changes_the_answer_within_seven_days_then_it_is_final(client, session, site, make_report):
    report = await fixed_report(client, session, site, make_report)
    await client.post(f"/s/{report.status_token}/rating", data={"score": "3"})
    changed = await client.post(
        f"/s/{report.status_token}/rating", data={"score": "4", "comment": "They called me back."}
    )
    assert changed.status_code == 200  # followed to the status page
    [rating] = await stored_ratings(session)
    assert (rating.score, rating.comment) == (4, "They called me back.")
    events = (await session.scalars(select(ReportEvent.score).where(ReportEvent.kind == "rating"))).all()
    assert sorted(events) == [3, 4]  # each answer on the timeline as given
    await session.execute(update(Rating).values(created_at=rating.created_at - timedelta(days=7, seconds=1)))
    await session.commit()
    final = await client.post(f"/s/{report.status_token}/rating", data={"score": "5"})
    assert final.status_code == 409
    assert "Your answer is final now" in text_of(final.text, '[data-testid="rating-final"]')
    assert every(final.text, '[data-testid="rating-form"]') == []
    assert (await stored_ratings(session))[0].score == 4
    page = await client.get(f"/s/{report.status_token}/rating")
    assert page.status_code == 200
    assert one(page.text, '[data-testid="rating-final"]')


async def test_a_bad_answer_is_a_400_naming_the_field_and_keeping_what_was_typed(client, session, site, make_report):
    report = await fixed_report(client, session, site, make_report)
    typed = "The courier was rude, but the refund was quick."
    no_score = await client.post(f"/s/{report.status_token}/rating", data={"surprised": "little", "comment": typed})
    assert no_score.status_code == 400
    assert text_of(no_score.text, '[data-testid="rating-error"]') == "Pick how well we made it right, from 1 to 5."
    assert one(no_score.text, "fieldset.scores")["aria-invalid"] == "true"
    assert text_of(no_score.text, "textarea#rating-comment") == typed
    assert one(no_score.text, 'input[name="surprised"][value="little"]').has_attr("checked")
    too_long = await client.post(f"/s/{report.status_token}/rating", data={"score": "2", "comment": "x" * 2001})
    assert too_long.status_code == 400
    assert one(too_long.text, "textarea#rating-comment")["aria-invalid"] == "true"
    assert await stored_ratings(session) == []


async def test_unknown_and_decoy_links_are_404_and_an_unfixed_report_is_409(client, session, site, make_report):
    assert (await client.get("/s/no-such-token/rating")).status_code == 404
    assert (await client.post("/s/no-such-token/rating", data={"score": "5"})).status_code == 404
    decoy = decoy_token(TEST_SECRET, Decoy(site.id, datetime(2026, 11, 23, 9, 0, tzinfo=UTC), 0, 0, None))
    assert (await client.get(f"/s/{decoy}")).status_code == 200  # the decoy pretends to be a report
    assert (await client.get(f"/s/{decoy}/rating")).status_code == 404
    assert (await client.post(f"/s/{decoy}/rating", data={"score": "1"})).status_code == 404
    report = await make_report(site, email="ana@example.com")
    early = await client.post(f"/s/{report.status_token}/rating", data={"score": "5"})
    assert early.status_code == 409
    assert "Once it's sorted, we'll ask you here." in text_of(early.text, '[data-testid="rating-not-yet"]')
    assert await stored_ratings(session) == []


async def test_a_poor_answer_reopens_with_fresh_clocks_a_task_and_an_alert_to_assignee_and_lead(
    client, session, site, make_report
):
    lead = await add_staff(session, "lead@shop.example", "lead", [site])
    report = await fixed_report(client, session, site, make_report)
    flags = ("first_response_warned", "first_response_breached", "recovery_warned", "recovery_breached")
    await session.execute(update(Report).where(Report.id == report.id).values(dict.fromkeys(flags, True)))
    await session.commit()  # the first time round, every clock had warned and run out
    before = datetime.now(UTC)
    sent = await client.post(
        f"/s/{report.status_token}/rating",
        data={"score": "1", "surprised": "no", "comment": "Still no parcel."},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    report = await fresh(session, report)
    assert report.state == "in_progress"
    assert report.recovered_at is None
    assert report.first_response_at is None
    assert before + timedelta(minutes=20) <= report.first_response_due_at <= datetime.now(UTC) + timedelta(minutes=20)
    assert report.recovery_due_at - report.first_response_due_at == timedelta(hours=24) - timedelta(minutes=20)
    assert report.next_due_at == report.first_response_due_at
    assert not any(
        (report.first_response_warned, report.first_response_breached, report.recovery_warned, report.recovery_breached)
    )
    assert report.priority >= 1
    # The figures still compare the first recovery: the answer keeps how its clocks went.
    rating = await session.scalar(select(Rating).where(Rating.report_id == report.id))
    assert (rating.first_response_breached, rating.recovery_breached) == (True, True)
    [task] = (await session.scalars(select(Task).where(Task.report_id == report.id))).all()
    assert (task.kind, task.assignee_id, task.due_at) == ("rating", report.assignee_id, report.first_response_due_at)
    assert task.title.startswith("Reply personally to Ana Lima")
    alerts = await mails(session, "poor_rating:")
    assert sorted(m.to_addr for m in alerts) == ["agent@shop.example", lead.email]
    assert "1 of 5 (Not at all)" in alerts[0].text_body
    assert "Still no parcel." in alerts[0].text_body
    page = (await client.get(f"/staff/reports/{report.id}")).text  # still signed in as the agent
    assert "the customer says it isn't right yet" in text_of(page, '[data-testid="event-state"]:last-of-type')
    rating_event = text_of(page, '[data-testid="event-rating"]')
    assert "Not at all (1 of 5)" in rating_event
    assert "Surprised: No" in rating_event
    assert "Still no parcel." in rating_event
    queue = (await client.get("/staff")).text
    assert report.ref in text_of(queue, '[data-testid="queue-row"]')


async def test_a_change_down_into_poor_reopens_but_poorer_still_does_not_reopen_again(
    client, session, site, make_report
):
    report = await fixed_report(client, session, site, make_report)
    await client.post(f"/s/{report.status_token}/rating", data={"score": "4"})
    assert (await fresh(session, report)).state == "fixed"
    await client.post(f"/s/{report.status_token}/rating", data={"score": "2"})
    assert (await fresh(session, report)).state == "in_progress"
    # Changing it while we work on it again is allowed; poorer still is no second reopen.
    again = await client.post(f"/s/{report.status_token}/rating", data={"score": "1"}, follow_redirects=False)
    assert again.status_code == 303
    assert len((await session.scalars(select(Task).where(Task.kind == "rating"))).all()) == 1
    # Fixed again: the wrap-up is not sent a second time.
    token = csrf_token((await client.get(f"/staff/reports/{report.id}")).text)
    refixed = await client.post(
        f"/staff/reports/{report.id}/state", data={"state": "fixed", "_csrf_token": token}, follow_redirects=False
    )
    assert refixed.status_code == 303
    assert len(await mails(session, "wrapup:")) == 1


async def test_two_racing_first_answers_keep_one_and_the_loser_becomes_a_change(
    client, session, sessionmaker, site, make_report, settings, monkeypatch
):
    report = await fixed_report(client, session, site, make_report)
    mail = Mail.from_settings(settings)
    async with sessionmaker() as winner:
        won = await winner.get(Report, report.id)
        await ratings.rate(winner, report=won, answer=Answer(4, None, "first"), mail=mail)
    real = ratings.rating_of
    calls = 0

    async def looked_before_the_winner_committed(s, r):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return None if calls == 1 else await real(s, r)

    monkeypatch.setattr(ratings, "rating_of", looked_before_the_winner_committed)
    async with sessionmaker() as loser:
        lost = await loser.get(Report, report.id)
        await ratings.rate(loser, report=lost, answer=Answer(5, "yes", "second"), mail=mail)
    [rating] = await stored_ratings(session)
    assert (rating.score, rating.comment) == (5, "second")
    assert calls == 2  # the loser really hit the unique answer and read it back


async def test_one_reminder_after_the_sites_days_and_never_more(
    client, session, sessionmaker, site, make_report, settings
):
    report = await fixed_report(client, session, site, make_report)
    mail = Mail.from_settings(settings)
    asked = report.rating_asked_at
    assert (
        await ratings.send_reminders(sessionmaker, mail=mail, now=asked + timedelta(days=3) - timedelta(minutes=1)) == 0
    )
    assert await ratings.send_reminders(sessionmaker, mail=mail, now=asked + timedelta(days=3)) == 1
    assert await ratings.send_reminders(sessionmaker, mail=mail, now=asked + timedelta(days=9)) == 0
    [reminder] = await mails(session, "rating_reminder:")
    assert reminder.to_addr == "ana@example.com"
    assert f"{BASE_URL}/s/{report.status_token}/rating" in reminder.text_body
    assert (await fresh(session, report)).rating_reminded_at == asked + timedelta(days=3)


async def test_two_workers_at_once_send_one_reminder(client, session, site, make_report, settings):
    report = await fixed_report(client, session, site, make_report)
    engines = [make_engine(settings), make_engine(settings)]
    try:
        mail = Mail.from_settings(settings)
        due = report.rating_asked_at + timedelta(days=4)
        sent = await asyncio.gather(
            *(ratings.send_reminders(make_sessionmaker(e), mail=mail, now=due) for e in engines)
        )
    finally:
        for engine in engines:
            await engine.dispose()
    assert sorted(sent) == [0, 1]
    assert len(await mails(session, "rating_reminder:")) == 1


async def test_no_reminder_when_answered_unsubscribed_without_email_or_the_site_sends_none(
    client, session, sessionmaker, site, other_site, make_report, settings
):
    mail = Mail.from_settings(settings)
    answered = await fixed_report(client, session, site, make_report, email="answered@example.com")
    await client.post(f"/s/{answered.status_token}/rating", data={"score": "5"})
    await fixed_report(client, session, site, make_report, email="Gone@Example.com")
    session.add(Unsubscribe(site_id=site.id, email="gone@example.com"))
    anonymous = await fixed_report(client, session, site, make_report, email=None, name=None)
    await session.commit()
    later = datetime.now(UTC) + timedelta(days=4)
    assert await ratings.send_reminders(sessionmaker, mail=mail, now=later) == 0
    await session.execute(update(Site).where(Site.id == site.id).values(rating_reminder_days=0))
    await session.execute(update(Report).where(Report.id == anonymous.id).values(customer_email="late@example.com"))
    await session.commit()
    assert await ratings.send_reminders(sessionmaker, mail=mail, now=later + timedelta(days=30)) == 0
    assert (
        await session.scalar(
            select(func.count()).select_from(OutboxMail).where(OutboxMail.dedupe_key.like("rating_reminder:%"))
        )
        == 0
    )
    await session.execute(update(Site).where(Site.id == site.id).values(rating_reminder_days=3))
    await session.commit()
    assert await ratings.send_reminders(sessionmaker, mail=mail, now=later) == 1  # the one left: now it has an email
    [reminder] = await mails(session, "rating_reminder:")
    assert reminder.to_addr == "late@example.com"


async def test_praise_shows_on_the_report_and_on_the_agents_own_page(client, session, site, make_report):
    report = await fixed_report(client, session, site, make_report)
    await client.post(f"/s/{report.status_token}/rating", data={"score": "3", "comment": "Took a while."})
    assert every((await client.get(f"/staff/reports/{report.id}")).text, '[data-testid="praise"]') == []
    await client.post(
        f"/s/{report.status_token}/rating", data={"score": "5", "comment": "Dana went <i>above</i> and beyond."}
    )
    praise = text_of((await client.get(f"/staff/reports/{report.id}")).text, '[data-testid="praise"]')
    assert "Dana went <i>above</i> and beyond." in praise
    mine = (await client.get("/staff/praise")).text
    assert "Dana went <i>above</i> and beyond." in text_of(mine, '[data-testid="praise"]')
    assert report.ref in text_of(mine, '[data-testid="praise"]')


async def test_the_site_admin_sets_the_rating_settings(client, session, site):
    token = await as_admin(client, session)
    form = (await client.get(f"/staff/sites/{site.id}")).text
    assert one(form, "input#rating_reminder_days")["value"] == "3"
    fields = {
        "name": "Shop",
        "allowed_origins": "https://shop.example",
        "categories": "delivery: Late delivery",
        "signer_name": "Dana Whitfield",
        "repeat_window_days": "90",
        "first_response_minutes": "20",
        "recovery_hours": "24",
        "follow_up_hours": "4",
        "max_reports_per_minute": "120",
        "default_language": "en",
        "rating_reminder_days": "5",
        "poor_rating_max": "3",
        "silent_after_days": "90",
        "_csrf_token": token,
    }
    refused = await client.post(f"/staff/sites/{site.id}", data={**fields, "poor_rating_max": "5"})
    assert refused.status_code == 400
    assert "from 1 to 4" in text_of(refused.text, "#poor_rating_max-error")
    saved = await client.post(f"/staff/sites/{site.id}", data=fields, follow_redirects=False)
    assert saved.status_code == 303
    stored = await session.scalar(select(Site).where(Site.id == site.id).execution_options(populate_existing=True))
    assert (stored.rating_reminder_days, stored.poor_rating_max, stored.silent_after_days) == (5, 3, 90)
