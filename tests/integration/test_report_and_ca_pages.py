"""The staff report page and the CA page as people work in them: the linter's findings beside the kept text,
line breaks kept, one similarity per report and CA, and a CA opened from a report that can move at once."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.models import CorrectiveAction, ReportEvent
from tests.conftest import add_staff, csrf_token, login
from tests.html import every, one, soup, text_of

DEFENSIVE = "As stated before, our policy is to ship within five days.\nSorry for any inconvenience."
EGGS = "Half the eggs were broken when the bag arrived. The box was packed under two bottles of milk and a melon."
ORDER = {"category": "order", "page_url": "https://shop.example/orders/1234"}


async def as_lead(client, session, site) -> str:
    await add_staff(session, "lee@shop.example", "lead", [site])
    await login(client, "lee@shop.example")
    return csrf_token((await client.get("/staff/cas")).text)


async def test_findings_without_javascript_come_back_in_the_form_focused_with_the_text_kept(
    client, session, site, make_report
):
    token = await as_lead(client, session, site)
    report = await make_report(site, email="ana@example.com")
    held = await client.post(f"/staff/reports/{report.id}/updates", data={"body": DEFENSIVE, "_csrf_token": token})
    assert held.status_code == 422
    assert "<html" in held.text  # the whole page, for a browser without JavaScript
    form = one(held.text, "form#update")
    findings = one(form, '[data-testid="findings"]')
    assert (findings["role"], findings["tabindex"], findings.has_attr("autofocus")) == ("alert", "-1", True)
    # the only autofocus on the page, and no URL fragment that would stop the browser from using it
    assert every(held.text, "[autofocus]") == [findings]
    assert "#" not in form["action"]
    assert one(form, "textarea#body").get_text() == DEFENSIVE
    # the findings sit right above the text they are about, before the page's other sections
    assert form.find_next("textarea") == one(form, "textarea#body")
    assert held.text.index('data-testid="findings"') < held.text.index('id="timeline"')


async def test_findings_with_htmx_swap_only_the_form_and_a_sent_update_refreshes_the_timeline(
    client, session, site, make_report
):
    token = await as_lead(client, session, site)
    report = await make_report(site, email="ana@example.com")
    page = (await client.get(f"/staff/reports/{report.id}")).text
    form = one(page, "form#update")
    assert (form["data-hx-target"], form["data-hx-swap"]) == ("this", "outerHTML")
    headers = {"HX-Request": "true", "x-csrftoken": token}
    held = await client.post(f"/staff/reports/{report.id}/updates", data={"body": DEFENSIVE}, headers=headers)
    assert held.status_code == 422  # base.html's htmx config swaps 422 answers
    assert "<html" not in held.text
    assert [e.name for e in soup(held.text).find_all(recursive=False)] == ["form"]
    assert one(held.text, "form#update textarea#body").get_text() == DEFENSIVE
    assert one(held.text, '[data-testid="findings"]').has_attr("autofocus")

    sent = await client.post(
        f"/staff/reports/{report.id}/updates",
        data={"body": DEFENSIVE, "override_reason": "They asked for the policy wording."},
        headers=headers,
    )
    assert sent.status_code == 200
    assert one(sent.text, "form#update textarea#body").get_text() == ""
    assert text_of(sent.text, '[data-testid="update-sent"]')
    timeline = one(sent.text, "#timeline")
    assert timeline["data-hx-swap-oob"] == "true"
    assert one(timeline, '[data-testid="message"]').get_text() == DEFENSIVE
    assert one(sent.text, "#report-next")["data-hx-swap-oob"] == "true"
    assert await session.scalar(select(ReportEvent.body).where(ReportEvent.kind == "update")) == DEFENSIVE


async def test_multi_line_descriptions_and_replies_keep_their_line_breaks(client, session, site, make_report):
    await as_lead(client, session, site)
    report = await make_report(site, description="line one\nline two")
    await client.post(f"/s/{report.status_token}/replies", data={"body": "reply one\nreply two"})
    css = (await client.get("/static/css/mend.css")).text
    assert re.search(r"\.keep-lines\s*\{[^}]*white-space:\s*pre-line", css)
    staff_page = (await client.get(f"/staff/reports/{report.id}")).text
    status_page = (await client.get(f"/s/{report.status_token}")).text
    for page in (staff_page, status_page):
        description = one(page, '[data-testid="description"]')
        assert description.get_text() == "line one\nline two"
        assert "keep-lines" in description["class"]
        assert not description.has_attr("style")  # the CSP blocks inline styles
        reply = one(page, '[data-testid="event-reply"] [data-testid="message"]')
        assert reply.get_text() == "reply one\nreply two"
        assert "keep-lines" in reply["class"]
    assert "style=" not in staff_page
    assert "style=" not in status_page


async def test_a_report_and_a_ca_show_the_same_similarity_on_both_pages(client, session, site, make_report):
    token = await as_lead(client, session, site)
    first = await make_report(site, **ORDER, description=EGGS)
    await client.post("/staff/cas", data={"report_id": first.id, "title": "Eggs arrive broken", "_csrf_token": token})
    ca = await session.scalar(select(CorrectiveAction))
    # a second CA and more reports change the term weights the scores are computed with
    other = await make_report(site, category="website", description="Search finds nothing for bread or milk.")
    await client.post("/staff/cas", data={"report_id": other.id, "title": "Search is broken", "_csrf_token": token})
    await make_report(site, **ORDER, description="The milk bottles leaked onto the bread.")
    again = await make_report(site, **ORDER, description="Eggs broken again, the box was under the milk bottles.")

    prevention = (await client.get(f"/staff/reports/{again.id}/prevention", headers={"HX-Request": "true"})).text
    [on_report] = [
        li for li in every(prevention, '[data-testid="suggested-cas"] li') if text_of(li, "a") == "Eggs arrive broken"
    ]
    ca_page = (await client.get(f"/staff/cas/{ca.id}")).text
    [on_ca] = [label for label in every(ca_page, "label.option") if one(label, "input")["value"] == str(again.id)]
    report_match, ca_match = one(on_report, '[data-testid="match"]'), one(on_ca, '[data-testid="match"]')
    assert report_match["data-score"] == ca_match["data-score"]
    assert report_match.get_text() == ca_match.get_text() == f"{report_match['data-score']}% alike"
    assert 0 < int(report_match["data-score"]) <= 100


async def test_a_ca_opened_from_a_report_has_a_whole_title_and_the_customers_words_and_moves_at_once(
    client, session, site, make_report
):
    token = await as_lead(client, session, site)
    report = await make_report(site, **ORDER, description=EGGS)
    prevention = (await client.get(f"/staff/reports/{report.id}/prevention")).text
    title = one(prevention, "input#ca-title")["value"]
    assert title == "Wrong or damaged item: Half the eggs were broken when the bag arrived."  # its first sentence
    opened = await client.post(
        "/staff/cas", data={"report_id": report.id, "title": title, "_csrf_token": token}, follow_redirects=False
    )
    ca = await session.scalar(select(CorrectiveAction))
    assert ca.title == title
    assert ca.problem == f"“{EGGS}” (report {report.ref})"  # quoted in full, with its reference
    page = (await client.get(opened.headers["location"])).text
    assert one(page, "textarea#problem").get_text() == ca.problem
    moved = await client.post(
        f"/staff/cas/{ca.id}/state", data={"state": "investigating", "_csrf_token": token}, follow_redirects=False
    )
    assert moved.headers["location"] == f"/staff/cas/{ca.id}"
    await session.refresh(ca)
    assert ca.state == "investigating"


async def test_a_move_asks_for_what_it_needs_and_a_refused_move_comes_back_to_the_ca_page(
    client, session, site, make_report
):
    token = await as_lead(client, session, site)
    report = await make_report(site, **ORDER, description=EGGS)
    await client.post("/staff/cas", data={"report_id": report.id, "title": "Eggs arrive broken", "_csrf_token": token})
    ca = await session.scalar(select(CorrectiveAction))
    await client.post(f"/staff/cas/{ca.id}/state", data={"state": "investigating", "_csrf_token": token})

    # The move form, set for the next state, asks for the root cause and the corrective action in itself.
    page = (await client.get(f"/staff/cas/{ca.id}")).text
    move = one(page, "form#move")
    assert one(move, "select#state option[selected]")["value"] == "action_planned"
    needs = one(move, '[data-testid="move-needs"]')
    assert [i["name"] for i in every(needs, "input, textarea, select")] == ["whys"] * 3 + ["corrective_action"]
    # Picking another state asks again (htmx swaps this part in).
    implemented = (await client.get(f"/staff/cas/{ca.id}/needs?state=implemented")).text
    assert [i["name"] for i in every(implemented, "input, textarea, select")] == ["whys"] * 3 + [
        "corrective_action",
        "preventive_action",
    ]

    # Refused (the corrective action is still missing): what was typed is kept, the URL is a page again.
    refused = await client.post(
        f"/staff/cas/{ca.id}/state",
        data={"state": "action_planned", "whys": ["Packed under bottles", ""], "_csrf_token": token},
        follow_redirects=False,
    )
    assert refused.status_code == 303
    assert refused.headers["location"] == f"/staff/cas/{ca.id}?move=action_planned#move"
    page = (await client.get(refused.headers["location"])).text
    error = one(page, '[data-testid="state-error"]')
    assert "the corrective action" in error.get_text()
    assert "root cause" not in error.get_text()
    assert error.find_parent("form")["id"] == "move"  # beside the fields it asks for, where #move lands
    assert [i["name"] for i in every(page, 'form#move [data-testid="move-needs"] textarea')] == ["corrective_action"]
    await session.refresh(ca)
    assert (ca.whys, ca.state) == (["Packed under bottles"], "investigating")

    moved = await client.post(
        f"/staff/cas/{ca.id}/state",
        data={"state": "action_planned", "corrective_action": "Repack eggs on top.", "_csrf_token": token},
        follow_redirects=False,
    )
    assert moved.headers["location"] == f"/staff/cas/{ca.id}"
    await session.refresh(ca)
    assert (ca.state, ca.corrective_action, ca.whys) == (
        "action_planned",
        "Repack eggs on top.",
        ["Packed under bottles"],
    )


async def test_a_refused_card_on_the_board_asks_for_what_it_needs_and_then_moves(client, session, site, make_report):
    await add_staff(session, "ada@shop.example", "agent", [site])
    await login(client, "ada@shop.example")
    token = csrf_token((await client.get("/staff/cas")).text)
    report = await make_report(site, **ORDER, description=EGGS)
    await client.post("/staff/cas", data={"report_id": report.id, "title": "Eggs arrive broken", "_csrf_token": token})
    ca = await session.scalar(select(CorrectiveAction))
    assert ca.owner_id is None  # an agent's proposal: no owner yet
    client.cookies.clear()
    token = await as_lead(client, session, site)
    headers = {"HX-Request": "true", "x-csrftoken": token}

    refused = await client.post(f"/staff/cas/{ca.id}/state", data={"state": "investigating"}, headers=headers)
    assert refused.status_code == 400
    card = one(refused.text, '[data-testid="ca-card"]')
    assert "an owner" in text_of(card, '[data-testid="board-error"]')
    owner = one(card, '[data-testid="move-needs"] select[name="owner_id"]')
    lee = [o["value"] for o in every(owner, "option") if "lee" in o.get_text()]
    moved = await client.post(
        f"/staff/cas/{ca.id}/state", data={"state": "investigating", "owner_id": lee[0]}, headers=headers
    )
    assert moved.status_code == 200
    assert text_of(moved.text, '[data-testid="column-investigating"] [data-testid="ca-card"] strong') == (
        "Eggs arrive broken"
    )


async def test_saving_a_ca_says_so(client, session, site, make_report):
    token = await as_lead(client, session, site)
    report = await make_report(site, **ORDER, description=EGGS)
    await client.post("/staff/cas", data={"report_id": report.id, "title": "Eggs arrive broken", "_csrf_token": token})
    ca = await session.scalar(select(CorrectiveAction))
    assert not every((await client.get(f"/staff/cas/{ca.id}")).text, '[data-testid="ca-saved"]')
    saved = await client.post(
        f"/staff/cas/{ca.id}",
        data={"title": "Eggs arrive broken", "problem": ca.problem, "owner_id": ca.owner_id, "_csrf_token": token},
        follow_redirects=False,
    )
    assert saved.headers["location"] == f"/staff/cas/{ca.id}?saved=true#ca-form"
    assert text_of((await client.get(saved.headers["location"])).text, '[data-testid="ca-saved"]') == "Saved."
