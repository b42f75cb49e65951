"""The staff portal's frame: grouped navigation marking where you are, the signed-in person and their duty,
busy states loaded on every page, and charts whose counts tick in whole numbers over a folded table."""

from __future__ import annotations

import json

from tests.conftest import add_staff, login
from tests.html import every, one, text, text_of, texts


async def test_the_navigation_is_grouped_and_marks_the_current_section(client, session, site, make_report):
    report = await make_report(site)
    await add_staff(session, "lead@shop.example", "lead", [site])
    await login(client, "lead@shop.example")
    queue = (await client.get("/staff")).text
    nav = one(queue, 'header nav[aria-label="Staff"]')
    groups = {text_of(group, ".nav-label"): texts(group, "a") for group in every(nav, '[role="group"]')}
    assert groups == {
        "Work": ["Queue", "Tasks", "Corrective actions", "Mail"],
        "Insight": ["Trends", "Results", "Loyalty", "Clocks"],
    }
    assert text_of(nav, '[aria-current="page"]') == "Queue"

    # A report belongs to the queue: its link says "you are under here", not "this is the page".
    on_report = (await client.get(f"/staff/reports/{report.id}")).text
    assert not every(on_report, 'nav [aria-current="page"]')
    assert text_of(on_report, 'nav [aria-current="true"]') == "Queue"
    assert text_of((await client.get("/staff/trends")).text, "nav [aria-current]") == "Trends"
    assert len(every(queue, "main")) == 1
    assert one(queue, "a.skip-link")["href"] == "#" + one(queue, "main")["id"]


async def test_admins_also_get_the_admin_group(client, session, site):
    await add_staff(session, "admin@shop.example", "admin", [site])
    await login(client, "admin@shop.example")
    page = (await client.get("/staff/people")).text
    admin = one(page, 'nav [role="group"][aria-labelledby="nav-admin"]')
    assert texts(admin, "a") == ["Sites", "People"]
    assert text_of(admin, '[aria-current="page"]') == "People"


async def test_the_bar_shows_who_is_signed_in_their_duty_and_a_person_menu(client, session, site):
    staff = await add_staff(session, "agent@shop.example", "agent", [site])
    staff.name = "Robin Agent"
    await session.commit()
    await login(client, "agent@shop.example")
    page = (await client.get("/staff")).text
    duty = one(page, 'header [data-testid="duty"]')
    assert (text(duty), duty["class"]) == ("Off duty: start shift", ["duty", "off"])
    menu = one(page, "header details.person-menu")
    assert text_of(menu, "summary") == "Your account: R Robin Agent"
    assert "agent@shop.example" in text_of(menu, ".person-card")
    assert text_of(menu, ".person-card .badge") == "agent"
    assert texts(menu, "form button") == ["Change", "Sign out", "Sign out everywhere"]
    assert one(menu, "label[for=portal-language]").text == "Language"


async def test_every_page_loads_the_busy_script_with_its_translated_words(client, session, site):
    await add_staff(session, "agent@shop.example", "agent", [site])
    for path in ("/staff/login", f"/w/{site.key}"):
        page = (await client.get(path)).text
        assert one(page, 'script[src="/static/js/busy.js"]').has_attr("defer"), path
        html = one(page, "html")
        assert (html["data-busy-text"], html["data-preparing-text"]) == ("Working…", "Preparing…"), path


async def test_charts_count_in_whole_numbers_and_fold_their_table_under_the_chart(client, session, site, make_report):
    for location in ("North", "North", "South"):
        await make_report(site, location=location)
    await add_staff(session, "lead@shop.example", "lead", [site])
    await login(client, "lead@shop.example")
    page = (await client.get(f"/staff/trends?site={site.id}")).text
    for name, value_axis in (("locations", "x"), ("busy", "y"), ("categories", "y")):
        config = json.loads(one(page, f"#{name}-data").text)
        assert config["options"]["scales"][value_axis]["ticks"]["precision"] == 0, name
        assert config["options"]["scales"][value_axis]["beginAtZero"], name
        figure = one(page, f'figure:has(canvas[data-chart="{name}-data"])')
        numbers = one(figure, "details.numbers")
        assert [child.name for child in figure.find_all(recursive=False)][-1] == "details"
        assert text_of(numbers, "summary") == "Show the numbers"
        assert one(numbers, f'table[data-testid="table-{name}"]')
    assert "North" in text_of(page, '[data-testid="table-locations"]')
    # The export links are downloads, which busy.js marks "Preparing…" while the file is made.
    assert {a["href"].split("?")[0] for a in every(page, "a[download]")} == {
        "/staff/export/reports.csv",
        "/staff/export/reports.json",
        "/staff/export/cas.csv",
        "/staff/export/cas.json",
    }


async def test_an_empty_chart_says_so_instead_of_drawing_empty_axes(client, session, site):
    await add_staff(session, "lead@shop.example", "lead", [site])
    await login(client, "lead@shop.example")
    page = (await client.get(f"/staff/trends?site={site.id}")).text
    figure = one(page, 'figure[aria-labelledby="gestures-caption"]')
    assert not every(figure, "canvas")
    assert text_of(figure, ".chart-empty") == "No reports in this range."
