"""What the customer gets: the panel's notice, "download what you told us" and "forget me" on the status page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from portal.domain.decoys import Decoy, decoy_token
from portal.models import ErasureRequest, OutboxMail, PrivacyAudit, Report
from tests.conftest import TEST_SECRET, as_admin, signed_as
from tests.html import one, text_of


async def fresh(session, report: Report) -> Report:
    return await session.scalar(select(Report).where(Report.id == report.id).execution_options(populate_existing=True))


async def audits(session, action: str) -> list[PrivacyAudit]:
    query = select(PrivacyAudit).where(PrivacyAudit.action == action).order_by(PrivacyAudit.id)
    return list((await session.scalars(query.execution_options(populate_existing=True))).all())


async def confirmation_link(session) -> str:
    mail = await session.scalar(select(OutboxMail).where(OutboxMail.dedupe_key.like("erasure_confirm:%")))
    assert mail is not None, "no confirmation mail queued"
    return re.search(r"/s/forget/[\w-]+", mail.text_body).group(0)


async def test_the_panel_says_what_is_kept_and_links_the_privacy_notice(client, session, site):
    html = (await client.get(f"/w/{site.key}")).text
    assert text_of(html, "[data-testid=privacy-note]") == (
        "We keep what you tell us for 18 months to put it right and prevent it; then it's removed."
    )
    assert one(html, "input#email").get("required") is None  # the address stays optional
    site.privacy_url, site.retention_months = "https://shop.example/privacy", 1
    await session.commit()
    html = (await client.get(f"/w/{site.key}")).text
    note = one(html, "[data-testid=privacy-note]")
    assert "for 1 month to put it right" in note.get_text()
    assert note.select_one("a")["href"] == "https://shop.example/privacy"


async def test_an_admin_sets_the_privacy_notice_to_an_https_address_or_nothing(client, session, site):
    token = await as_admin(client, session)
    form = {
        "_csrf_token": token,
        "name": "Shop",
        "allowed_origins": "https://shop.example",
        "categories": "delivery: Late",
        "signer_name": "Dana",
        "repeat_window_days": "90",
        "first_response_minutes": "20",
        "recovery_hours": "24",
        "follow_up_hours": "4",
        "max_reports_per_minute": "120",
        "default_language": "en",
    }
    refused = await client.post(f"/staff/sites/{site.id}", data={**form, "privacy_url": "http://shop.example/p"})
    assert refused.status_code == 400
    assert "https://" in text_of(refused.text, "#privacy_url-error")
    saved = await client.post(
        f"/staff/sites/{site.id}", data={**form, "privacy_url": "https://shop.example/p"}, follow_redirects=False
    )
    assert saved.status_code == 303
    await session.refresh(site)
    assert site.privacy_url == "https://shop.example/p"
    await client.post(f"/staff/sites/{site.id}", data={**form, "privacy_url": ""}, follow_redirects=False)
    await session.refresh(site)
    assert site.privacy_url is None


async def test_download_is_a_json_file_of_everything_under_the_customers_key(client, session, site, make_report):
    first = await make_report(site, description="The parcel was late.", email="ana@example.com", name="Ana Lima")
    await make_report(site, description="The invoice was wrong.", email="ana@example.com")
    await make_report(site, description="Someone else's report.", email="bo@example.com")
    response = await client.get(f"/s/{first.status_token}/data")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"].startswith("attachment;")
    data = response.json()
    assert sorted(r["description"] for r in data["reports"]) == ["The invoice was wrong.", "The parcel was late."]
    assert data["reports"][0]["email"] == "ana@example.com"
    [audit] = await audits(session, "export")
    assert (audit.actor, audit.site_id) == ("customer", site.id)


async def test_download_without_a_customer_key_holds_only_this_report(client, session, site, make_report):
    report = await make_report(site, description="Checkout froze.")
    await make_report(site, description="Another anonymous report.")
    data = (await client.get(f"/s/{report.status_token}/data")).json()
    assert [r["description"] for r in data["reports"]] == ["Checkout froze."]
    assert len(await audits(session, "export")) == 1


async def test_forget_me_with_a_verified_identity_erases_at_once(client, session, site, make_report):
    identity = signed_as(site, "cust-7")
    first = await make_report(site, description="Lost parcel.", email="ana@example.com", **identity)
    second = await make_report(site, description="Broken cup.", **identity)
    response = await client.post(f"/s/{first.status_token}/forget")
    assert response.status_code == 200
    receipt = text_of(response.text, "[data-testid=erasure-receipt]")
    [audit] = await audits(session, "erase")
    assert "We removed what you told us in 2 reports." in receipt
    assert f"#{audit.id}" in receipt
    for report in (first, second):
        erased = await fresh(session, report)
        assert erased.anonymised_at is not None
        assert erased.customer_email is None
        assert "parcel" not in erased.description
    page = await client.get(f"/s/{first.status_token}")  # the link still answers, now without their words
    assert page.status_code == 200
    assert one(page.text, "[data-testid=data-removed]")
    assert "Lost parcel." not in page.text


async def test_forget_me_with_an_address_mails_a_link_that_erases_only_on_the_button(
    client, session, site, make_report
):
    first = await make_report(site, description="Lost parcel.", email="ana@example.com", name="Ana Lima")
    second = await make_report(site, description="Cold soup.", email="ana@example.com")
    asked = await client.post(f"/s/{first.status_token}/forget", follow_redirects=True)
    assert asked.status_code == 200
    assert one(asked.text, "[data-testid=forget-sent]")
    assert (await fresh(session, first)).anonymised_at is None
    link = await confirmation_link(session)
    mail = await session.scalar(select(OutboxMail).where(OutboxMail.dedupe_key.like("erasure_confirm:%")))
    assert mail.to_addr == "ana@example.com"
    page = await client.get(link)  # what a mail scanner does
    assert page.status_code == 200
    assert one(page.text, f'form[action="{link}"]')
    assert (await fresh(session, first)).anonymised_at is None
    assert await audits(session, "erase") == []
    done = await client.post(link)
    assert done.status_code == 200
    assert "We removed what you told us in 2 reports." in text_of(done.text, "[data-testid=erasure-receipt]")
    for report in (first, second):
        assert (await fresh(session, report)).anonymised_at is not None
    assert (await client.get(link)).status_code == 404  # single use
    assert (await client.post(link)).status_code == 404
    assert len(await audits(session, "erase")) == 1


async def test_a_confirmation_link_expires_after_a_day(client, session, site, make_report):
    report = await make_report(site, email="ana@example.com")
    await client.post(f"/s/{report.status_token}/forget")
    link = await confirmation_link(session)
    past = datetime.now(UTC) - timedelta(minutes=1)
    await session.execute(update(ErasureRequest).values(expires_at=past))
    await session.commit()
    assert (await client.get(link)).status_code == 404
    assert (await client.post(link)).status_code == 404
    assert (await fresh(session, report)).anonymised_at is None


async def test_forget_me_without_an_address_anonymises_this_report_only(client, session, site, make_report):
    report = await make_report(site, description="Checkout froze at payment.")
    other = await make_report(site, description="Another anonymous report.")
    response = await client.post(f"/s/{report.status_token}/forget")
    assert response.status_code == 200
    assert "We removed what you told us in 1 report." in text_of(response.text, "[data-testid=erasure-receipt]")
    assert (await fresh(session, report)).description != "Checkout froze at payment."
    assert (await fresh(session, report)).anonymised_at is not None
    assert (await fresh(session, other)).description == "Another anonymous report."
    assert await session.scalar(select(OutboxMail).where(OutboxMail.dedupe_key.like("erasure_confirm:%"))) is None


async def test_a_decoy_status_link_answers_download_and_forget_me_without_error(client, site):
    token = decoy_token(TEST_SECRET, Decoy(site.id, datetime(2026, 5, 1, tzinfo=UTC), 0, 0, None))
    assert (await client.get(f"/s/{token}")).status_code == 200
    download = await client.get(f"/s/{token}/data")
    assert (download.status_code, download.json()) == (200, {"reports": []})
    forget = await client.post(f"/s/{token}/forget", follow_redirects=False)
    assert forget.status_code == 303
    assert forget.headers["location"].startswith(f"/s/{token}?forget=sent")
