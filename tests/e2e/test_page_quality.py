"""Every staff page (as an admin, a lead and an agent) and every customer page, on a site with data in it:
no console errors (a CSP refusal is one), no axe-core WCAG 2.2 A/AA violation, no sideways scrolling on a
390 px phone for the pages agents work in, and HTML the W3C Nu checker accepts without an error."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.identity import sign_customer, unsubscribe_token
from portal.lexicon import load_lexicon
from portal.mail import Mail
from portal.models import MonthlyResult, OutboxMail, Report, Site, Staff
from portal.services import conversation, corrective_actions, customers, gesture_grants, invites, monthly
from tests.e2e.conftest import Portal
from tests.e2e.quality import Inspector, Visit, crawl_staff, nu_check, shape, tools_missing

# Some sixty pages, each checked by axe-core: a minute on an idle machine, more on a busy one.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

# The pages agents work in on a phone: the queue, a report, tasks, the CA board and a CA.
PHONE_PAGES = {"/staff", "/staff/reports/N", "/staff/tasks", "/staff/cas", "/staff/cas/N"}
STAFF = {"admin": "admin@quality.example", "lead": "lead@quality.example", "agent": "agent@quality.example"}
# (customer id, email, name, category, description, state it is moved to)
REPORTS = [
    (
        "cust-ana",
        "ana@example.com",
        "Ana Lopes",
        "delivery",
        "The parcel came two days late.\nThe box was soaked.",
        "acknowledged",
    ),
    ("cust-ana", "ana@example.com", "Ana Lopes", "order", "A glass arrived broken.", "in_progress"),
    (None, "bo@example.com", None, "billing", "I was charged twice for one order.", "fixed"),
    (None, "cy@example.com", None, "order", "Eggs cracked in the box.", "new"),
    (None, "dee@example.com", None, "order", "Eggs cracked in the box.", "new"),
    (None, None, None, "website", "The checkout button does nothing.", "closed"),
]


@dataclass(frozen=True)
class Data:
    site_key: str
    site_id: int
    report_ids: list[int]
    status_tokens: list[str]
    invite_token: str
    share_token: str
    unsubscribe_token: str


def _report(
    portal: Portal,
    site: Site,
    customer_id: str | None,
    email: str | None,
    name: str | None,
    category: str,
    description: str,
) -> str:
    body: dict[str, str] = {"site_key": site.key, "category": category, "description": description}
    body |= {"page_url": f"{portal.host_origin}/shop.html"} | ({"email": email} if email else {})
    if customer_id:
        body |= {
            "customer_id": customer_id,
            "customer_sig": sign_customer(site.secret, customer_id),
            "name": name or "",
        }
    created = httpx.post(f"{portal.url}/api/v1/reports", json=body)
    assert created.status_code == 201, created.text
    return created.json()["status_url"].rsplit("/s/", 1)[1]


def make_site_with_data(portal: Portal) -> Data:
    """A site in daily use: reports in every state, a conversation, a wish to answer (a task), a published CA,
    a customer note, last month's results shared, and an invitation waiting."""
    site = portal.new_site("Quality Crawl Goods")
    portal.new_admin(STAFF["admin"])
    portal.new_staff(STAFF["lead"], site, role="lead")
    portal.new_staff(STAFF["agent"], site, role="agent")
    tokens = [_report(portal, site, *fields[:5]) for fields in REPORTS]

    async def work(session: AsyncSession) -> Data:
        mail = Mail.from_settings(portal.settings)
        staff = {role: await session.scalar(select(Staff).where(Staff.email == email)) for role, email in STAFF.items()}
        reports = [await session.scalar(select(Report).where(Report.status_token == t)) for t in tokens]
        first = reports[0]
        first.site.languages = ["en", "fr"]  # a second language: the admin's translations page
        await conversation.assign(session, reports=[first], staff=staff["agent"])
        for report, fields in zip(reports, REPORTS, strict=True):
            if fields[5] != "new":
                await conversation.change_state(
                    session, report=report, staff=staff["agent"], target=fields[5], mail=mail
                )
        await conversation.send_update(
            session,
            report=first,
            staff=staff["agent"],
            body="A new parcel leaves today.\nIt arrives on Friday.",
            override_reason="Checked with the carrier",
            lexicon=load_lexicon("en"),
            mail=mail,
        )
        await conversation.add_reply(session, report=first, body="Thank you.\nFriday suits me.")
        await gesture_grants.choose(
            session, report=first, choice="wish", gesture_id=None, wish="A call, please.", mail=mail
        )
        await customers.add_note(
            session, site=first.site, key=first.customer_key, staff=staff["lead"], body="Prefers a call."
        )
        ca = await corrective_actions.create_ca(
            session,
            site=first.site,
            staff=staff["lead"],
            title="Eggs arrive cracked",
            problem="Eggs arrive cracked because they are packed under heavy items.",
            category="order",
            reports=reports[3:5],
        )
        ca.public, ca.public_wording = True, "Some egg deliveries arrive cracked; we are repacking them."
        month = monthly.previous_month(date.today())
        result = MonthlyResult(
            site_id=site.id, month=month, data=await monthly.results_data(session, first.site, month)
        )
        session.add(result)
        await session.flush()
        share_token = await monthly.share(session, result)
        await invites.invite(
            session, email="new.agent@quality.example", role="agent", sites=[first.site], by=staff["admin"], mail=mail
        )
        invitation = await session.scalar(
            select(OutboxMail.text_body).where(OutboxMail.to_addr == "new.agent@quality.example")
        )
        invite_token = re.search(r"/staff/invite/(\S+)", invitation or "")
        assert invite_token, invitation
        return Data(
            site_key=site.key,
            site_id=site.id,
            report_ids=[r.id for r in reports],
            status_tokens=tokens,
            invite_token=invite_token[1],
            share_token=share_token,
            unsubscribe_token=unsubscribe_token(portal.settings.secret_key, site.id, "ana@example.com"),
        )

    return portal.run(work)


def crawl_customer_pages(inspector: Inspector, portal: Portal, data: Data) -> list[Visit]:
    """The pages customers and people without an account see."""
    page_url = f"{portal.host_origin}/shop.html"
    visits = [
        inspector.open(f"/s/{data.status_tokens[0]}"),  # a conversation, a wish, replies
        inspector.open(f"/s/{data.status_tokens[2]}"),  # fixed, with a gesture still on offer
        inspector.open(f"/s/{data.status_tokens[2]}/rating"),  # "Did we make it right?"
        inspector.open(f"/w/{data.site_key}?page_url={page_url}"),  # the panel, with the known issue
    ]
    # "Me too" without JavaScript is a page of its own: submit() posts the form as a browser without htmx does.
    me_too = inspector.page.locator("form.me-too")
    me_too.get_by_label("Your email").fill("eve@example.com")
    visits.append(
        inspector.submit("known issue (me too, no JavaScript)", lambda: me_too.evaluate("form => form.submit()"))
    )
    visits += [
        inspector.open(f"/u/{data.unsubscribe_token}"),
        inspector.open(f"/r/{data.share_token}"),
        inspector.open(f"/staff/invite/{data.invite_token}"),
        inspector.open("/staff/login"),
        inspector.open("/s/no-such-status-link", expect_status=404),
    ]
    return visits


def crawl_as(browser: Browser, portal: Portal, role: str, html_dir: Path, extra: list[str]) -> list[Visit]:
    context = browser.new_context()
    try:
        inspector = Inspector(context, portal.url, role, html_dir)
        portal.sign_in(inspector.page, STAFF[role])
        inspector.page.wait_for_url(f"{portal.url}/staff")
        visits = crawl_staff(inspector, lambda path: shape(path) in PHONE_PAGES)
        checked = {v.path for v in visits}
        return visits + [
            inspector.open(path, phone=shape(path) in PHONE_PAGES) for path in extra if path not in checked
        ]
    finally:
        context.close()


@pytest.fixture(scope="module")
def crawl(portal: Portal, browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> list[Visit]:
    missing = tools_missing()
    if missing:
        pytest.fail(missing)
    data = make_site_with_data(portal)
    html_dir = tmp_path_factory.mktemp("pages")
    # Pages the crawl cannot reach by a link: a report in each state (the crawl keeps one report page), a
    # report's CA suggestions without JavaScript (htmx replaces that link), and a trend's reports (linked from
    # a hot spot only, and this site's few reports make none).
    lead_pages = [
        *(f"/staff/reports/{report_id}" for report_id in data.report_ids),
        f"/staff/reports/{data.report_ids[3]}/prevention",
        "/staff/trends/cell?dimension=category&value=order",
    ]
    # The crawl keeps the first site of the list, which other tests' sites may precede: this one has a second
    # language, so its translations page exists.
    admin_pages = [f"/staff/sites/{data.site_id}", f"/staff/sites/{data.site_id}/translations?lang=fr"]
    extra = {"lead": lead_pages, "admin": admin_pages}
    visits: list[Visit] = []
    for role in STAFF:
        visits += crawl_as(browser, portal, role, html_dir, extra.get(role, []))
    context = browser.new_context()
    try:
        visits += crawl_customer_pages(Inspector(context, portal.url, "customer", html_dir), portal, data)
    finally:
        context.close()
    return visits


def _listing(visits: list[Visit], kinds: tuple[str, ...]) -> str:
    lines = []
    for visit in visits:
        for kind in kinds:
            for problem in visit.problems.get(kind, []):
                lines.append(f"  {visit.path} as {visit.role}: {kind}: {problem}")
    return "\n".join(lines)


def test_crawl_reaches_every_part_of_the_staff_portal(crawl: list[Visit]) -> None:
    """A crawl that silently stopped short (a link renamed, the navigation rebuilt) would check nothing."""
    shapes = {shape(v.path) for v in crawl if v.role == "admin"}
    expected = {
        *PHONE_PAGES,
        "/staff/trends",
        "/staff/results",
        "/staff/results/N",
        "/staff/adherence",
        "/staff/mail",
        "/staff/mail/N",
        "/staff/customers/N",
        "/staff/sites",
        "/staff/sites/N",
        "/staff/sites/N/gestures",
        "/staff/sites/N/templates",
        "/staff/sites/N/translations",
        "/staff/people",
        "/staff/loyalty",
        "/staff/praise",
        "/staff/profile/tokens",
        "/staff/tokens",
        "/staff/sites/N/integrations",
        "/staff/privacy",
    }
    assert shapes >= expected, f"the crawl never reached {sorted(expected - shapes)}"
    assert len([v for v in crawl if v.role == "customer"]) == 10


def test_pages_load_without_console_errors_or_failed_requests(crawl: list[Visit]) -> None:
    listing = _listing(crawl, ("status", "console"))
    assert not listing, f"pages with console errors (CSP refusals included) or a wrong status:\n{listing}"


def test_pages_have_no_wcag_22_aa_violations(crawl: list[Visit]) -> None:
    listing = _listing(crawl, ("axe",))
    assert not listing, f"axe-core WCAG 2.2 A/AA violations:\n{listing}"


def test_work_pages_fit_a_phone_without_sideways_scrolling(crawl: list[Visit]) -> None:
    phone_checked = {shape(v.path) for v in crawl if v.on_phone}
    assert phone_checked >= PHONE_PAGES, f"not measured on a phone: {PHONE_PAGES - phone_checked}"
    listing = _listing(crawl, ("overflow",))
    assert not listing, f"pages wider than a 390 px phone:\n{listing}"


def test_html_passes_the_w3c_nu_checker(crawl: list[Visit]) -> None:
    by_file = {v.html_file: v for v in crawl if v.html_file}
    errors = nu_check(list(by_file))
    lines = [
        f"  {by_file[file].path} as {by_file[file].role}: {message}"
        for file, messages in errors.items()
        for message in messages
    ]
    assert not lines, "W3C Nu checker errors:\n" + "\n".join(lines)
