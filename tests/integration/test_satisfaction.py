"""Did we make it right? The shares, counts and breakdowns on the trends page, in monthly results and in the export."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, datetime, time, timedelta

from portal.models import GestureGrant, MonthlyResult, Rating, Report, Site, Staff
from portal.services import monthly, satisfaction
from portal.services.trends import Period
from tests.conftest import add_staff, csrf_token, login
from tests.html import one, soup, text, text_of, texts
from tests.integration.test_trends import generated_report

NOW = datetime.now(UTC)
ASKED = NOW - timedelta(days=5)
LAST_30_DAYS = Period.from_dates((NOW - timedelta(days=29)).date(), NOW.date())
rng = random.Random(14)


async def asked(
    session,
    site: Site,
    *,
    at: datetime = ASKED,
    agent: Staff | None = None,
    score: int | None = None,
    surprised: str | None = None,
    comment: str | None = None,
    **fields,
) -> Report:
    """A fixed report whose customer was asked at `at`, with their answer when `score` is given."""
    fields = {"category": "delivery", "lang": "en"} | fields
    report = generated_report(
        site,
        at - timedelta(days=1),
        rng,
        state="fixed",
        rating_asked_at=at,
        assignee_id=agent.id if agent else None,
        **fields,
    )
    session.add(report)
    await session.flush()
    if score is not None:
        when = at + timedelta(hours=2)
        session.add(
            Rating(
                report_id=report.id,
                site_id=site.id,
                score=score,
                surprised=surprised,
                comment=comment,
                agent_id=agent.id if agent else None,
                first_response_breached=report.first_response_breached,
                recovery_breached=report.recovery_breached,
                created_at=when,
                updated_at=when,
            )
        )
    return report


async def two_agents(session, site, other_site) -> tuple[Staff, Staff]:
    """Ann's customers are pleased, Ben's are not; both get answers from 40 of 50 asked.

    Around them: answers outside the period, a report never asked, and another site's poor answers,
    none of which may count."""
    ann = await add_staff(session, "ann@shop.example", "agent", [site])
    ben = await add_staff(session, "ben@shop.example", "agent", [site])
    for i in range(40):
        category, lang = ("delivery", "website")[i % 2], ("en", "fr")[i % 2]
        await asked(
            session,
            site,
            agent=ann,
            score=5 if i < 36 else 2,
            surprised=("yes" if i < 20 else "no") if i < 36 else None,
            category=category,
            lang=lang,
        )
        await asked(
            session,
            site,
            agent=ben,
            score=4 if i < 8 else 1,
            surprised="little" if i < 10 else None,
            category=category,
            lang=lang,
        )
    for i in range(10):
        await asked(session, site, agent=ann, category=("delivery", "website")[i % 2])
        await asked(session, site, agent=ben, category=("delivery", "website")[i % 2])
    for _ in range(5):
        await asked(session, site, agent=ann, score=5, at=NOW - timedelta(days=60))
        session.add(generated_report(site, ASKED, rng, state="fixed"))  # never asked
    other_agent = await add_staff(session, "otto@other.example", "lead", [other_site])
    for _ in range(10):
        await asked(session, other_site, agent=other_agent, score=1, surprised="no")
    await session.commit()
    return ann, ben


def rows_of(data, dimension: str) -> dict[str, dict]:
    return next({row["label"]: row for row in by["rows"]} for by in data["by"] if by["dimension"] == dimension)


async def test_shares_and_counts_cover_only_the_periods_asked_reports_at_the_chosen_sites(session, site, other_site):
    await two_agents(session, site, other_site)
    data = await satisfaction.satisfaction(session, [site], LAST_30_DAYS)
    assert data["asked"] == 100
    overall = data["overall"]
    assert (overall["satisfied"]["s"], overall["satisfied"]["n"]) == (44, 80)
    assert (overall["response"]["s"], overall["response"]["n"]) == (80, 100)
    # 36 of Ann's answered the surprise question (20 yes), 10 of Ben's (all "a little").
    assert (overall["surprised"]["s"], overall["surprised"]["n"]) == (20, 46)
    low, high = overall["satisfied"]["low"], overall["satisfied"]["high"]
    assert low < 44 / 80 < high


async def test_by_agent_marks_only_the_difference_that_holds_after_the_correction(session, site, other_site):
    await two_agents(session, site, other_site)
    agents = rows_of(await satisfaction.satisfaction(session, [site], LAST_30_DAYS), "agent")
    ann, ben = agents["ann"], agents["ben"]
    assert (ann["satisfied"]["s"], ann["satisfied"]["n"], ann["satisfied"]["mark"]) == (36, 40, 1)
    assert (ben["satisfied"]["s"], ben["satisfied"]["n"], ben["satisfied"]["mark"]) == (8, 40, -1)
    # The same response rate for both: nothing to claim.
    assert (ann["response"]["s"], ann["response"]["n"], ann["response"]["mark"]) == (40, 50, 0)
    assert ben["response"]["mark"] == 0
    assert not ann["translate"]


async def test_breakdowns_by_category_language_gesture_clock_and_level(session, site, other_site):
    await two_agents(session, site, other_site)
    data = await satisfaction.satisfaction(session, [site], LAST_30_DAYS)
    categories = rows_of(data, "category")
    assert {label: row["satisfied"]["n"] for label, row in categories.items()} == {
        "Late or missing delivery": 40,
        "Page slow or broken": 40,
    }
    assert all(row["satisfied"]["mark"] == 0 for row in categories.values())
    langs = rows_of(data, "lang")
    assert {label: row["response"]["n"] for label, row in langs.items()} == {"English": 60, "Français": 40}
    # Every report here is a first report with its clocks kept and no gesture offered.
    assert list(rows_of(data, "first_clock")) == ["On time"]
    assert list(rows_of(data, "level")) == ["first"]
    assert list(rows_of(data, "gesture")) == ["None offered"]
    assert rows_of(data, "gesture")["None offered"]["translate"]


async def test_gesture_choices_clocks_and_levels_each_make_their_group(session, site):
    groups = {
        "gesture": ("Chose a gesture", {"offered_gesture_ids": [1]}),
        "declined": ("No thanks, just fix it", {"offered_gesture_ids": [1]}),
        "wish": ("Their own words", {"offered_gesture_ids": [1]}),
        None: ("Offered one, picked none", {"offered_gesture_ids": [1]}),
        "none": ("None offered", {"offered_gesture_ids": []}),
    }
    for i, (choice, (_label, fields)) in enumerate(groups.items()):
        for j in range(i + 1):
            report = await asked(
                session,
                site,
                score=5 if j % 2 == 0 else 1,
                first_response_breached=choice == "wish",
                recovery_breached=choice in ("wish", "declined"),
                repeat_level=i + 1,
                **fields,
            )
            if choice in ("gesture", "declined", "wish"):
                session.add(
                    GestureGrant(site_id=site.id, report_id=report.id, customer_choice_for=report.id, choice=choice)
                )
    await session.commit()
    data = await satisfaction.satisfaction(session, [site], LAST_30_DAYS)
    gestures = rows_of(data, "gesture")
    assert list(gestures) == [label for label, _fields in groups.values()]
    assert [row["response"]["n"] for row in gestures.values()] == [1, 2, 3, 4, 5]
    assert [row["satisfied"]["s"] for row in gestures.values()] == [1, 1, 2, 2, 3]
    assert {label: row["response"]["n"] for label, row in rows_of(data, "first_clock").items()} == {
        "On time": 12,
        "Late": 3,
    }
    assert {label: row["response"]["n"] for label, row in rows_of(data, "recovery_clock").items()} == {
        "On time": 10,
        "Late": 5,
    }
    # Levels 4 and 5 are both "churn risk".
    assert {label: row["response"]["n"] for label, row in rows_of(data, "level").items()} == {
        "first": 1,
        "watch": 2,
        "at risk": 3,
        "churn risk": 9,
    }
    assert list(rows_of(data, "agent")) == ["Nobody assigned"]


async def test_the_trends_page_shows_the_section_and_never_another_sites_answers(client, session, site, other_site):
    await two_agents(session, site, other_site)
    await add_staff(session, "lee@shop.example", "lead", [site])
    await login(client, "lee@shop.example")
    page = (await client.get("/staff/trends")).text
    assert text_of(page, "#sat-heading") == "Did we make it right?"
    assert "44 of 80" in text_of(page, '[data-testid="sat-satisfied"]')
    assert "80 of 100" in text_of(page, '[data-testid="sat-response"]')
    assert "Holm-corrected, 5 %" in text_of(page, '[data-testid="sat-test"]')
    agents = one(page, '[data-testid="sat-by-agent"]')
    assert texts(agents, "tbody th") == ["ann", "ben"]
    # Satisfied and surprised differ; who answered does not.
    assert texts(agents, ".badge") == ["higher", "higher", "lower", "lower"]
    assert "36 of 40" in text(agents)

    client.cookies.clear()
    await login(client, "otto@other.example")
    page = (await client.get("/staff/trends")).text
    assert "0 of 10" in text_of(page, '[data-testid="sat-satisfied"]')
    assert "ann" not in text_of(page, '[data-testid="satisfaction"]')


async def test_the_section_says_when_nobody_was_asked(client, session, site):
    await add_staff(session, "lee@shop.example", "lead", [site])
    await login(client, "lee@shop.example")
    page = (await client.get("/staff/trends")).text
    assert text_of(page, '[data-testid="sat-empty"]') == "No customer was asked in this range yet."


async def test_the_export_adds_the_answer_after_the_existing_columns(client, session, site):
    rated = await asked(session, site, score=2, surprised="no", comment="=HYPERLINK(1) Cold food.")
    unrated = await asked(session, site)
    await session.commit()
    await add_staff(session, "lee@shop.example", "lead", [site])
    await login(client, "lee@shop.example")
    body = (await client.get(f"/staff/export/reports.csv?from={(NOW - timedelta(days=10)).date()}")).text
    header, *rows = list(csv.reader(io.StringIO(body)))
    assert header[:2] == ["ref", "site"]
    assert header[-5:] == ["corrective_action_id", "rating_score", "rating_surprised", "rating_comment", "rated_at"]
    by_ref = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    answer = by_ref[rated.ref]
    assert (answer["rating_score"], answer["rating_surprised"]) == ("2", "no")
    assert answer["rating_comment"] == "'=HYPERLINK(1) Cold food."
    assert answer["rated_at"].startswith((ASKED + timedelta(hours=2)).date().isoformat())
    assert [by_ref[unrated.ref][c] for c in header[-4:]] == ["", "", "", ""]


async def test_monthly_results_show_the_answers_and_old_results_still_render(client, session, site, other_site):
    month = monthly.previous_month(NOW.date())
    in_month = datetime.combine(month + timedelta(days=9), time(12), UTC)
    ann = await add_staff(session, "ann@shop.example", "agent", [site])
    for score in (5, 4, 1):
        await asked(session, site, at=in_month, agent=ann, score=score)
    await asked(session, site, at=in_month)
    await asked(session, other_site, at=in_month, score=1)
    await session.commit()
    data = await monthly.results_data(session, site, month)
    assert (data["satisfaction"]["overall"]["satisfied"]["s"], data["satisfaction"]["overall"]["satisfied"]["n"]) == (
        2,
        3,
    )
    assert data["satisfaction"]["overall"]["response"]["n"] == 4
    empty = await monthly.results_data(session, other_site, monthly.previous_month(month))
    assert empty["satisfaction"]["asked"] == 0

    old = {key: value for key, value in data.items() if key != "satisfaction"}
    results = [
        MonthlyResult(site_id=site.id, month=month, data=data),
        MonthlyResult(site_id=site.id, month=monthly.previous_month(month), data=old),
        MonthlyResult(site_id=other_site.id, month=monthly.previous_month(month), data=empty),
    ]
    session.add_all(results)
    await session.commit()
    await add_staff(session, "lee@shop.example", "admin", [])
    await login(client, "lee@shop.example")
    new_page, old_page, empty_page = [(await client.get(f"/staff/results/{r.id}")) for r in results]
    assert new_page.status_code == old_page.status_code == empty_page.status_code == 200
    assert "2 of 3" in text_of(new_page.text, '[data-testid="sat-satisfied"]')
    assert "3 of 4" in text_of(new_page.text, '[data-testid="sat-response"]')
    assert 'data-testid="satisfaction"' not in old_page.text
    assert text_of(old_page.text, '[data-testid="result-reports"]') == str(data["reports"])
    assert 'data-testid="sat-empty"' in empty_page.text
    assert "ann" in text_of(new_page.text, '[data-testid="sat-by-agent"]')

    # A shared link is read by anyone who has it: the figures, but no staff names.
    token = csrf_token((await client.get("/staff/results")).text)
    shared = await client.post(f"/staff/results/{results[0].id}/share", data={"_csrf_token": token})
    url = text_of(shared.text, '[data-testid="share-url"]')
    client.cookies.clear()
    public = await client.get(url.removeprefix("http://testserver.local"))
    assert "2 of 3" in text_of(public.text, '[data-testid="sat-satisfied"]')
    assert soup(public.text).select_one('[data-testid="sat-by-category"]') is not None
    assert soup(public.text).select_one('[data-testid="sat-by-agent"]') is None
    assert "ann" not in text_of(public.text, "main")
