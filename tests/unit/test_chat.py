"""Chat alerts in each tool's documented incoming-webhook format, with customer text shown as typed."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from portal.domain.chat import chat_message, describe, mattermost_escape, slack_escape
from portal.domain.webhooks import ca_data, event_payload, report_data

BASE = "https://mend.example"
AT = datetime(2025, 3, 4, 10, 30, tzinfo=UTC)
SITE = SimpleNamespace(id=7, key="shop", name="Shop")
NASTY = "<!channel> @all *free* [click](https://evil.example) & more"


def report(**fields: Any) -> SimpleNamespace:
    values: dict[str, Any] = {
        "id": 41,
        "ref": "R-7K2Q",
        "site": SITE,
        "state": "new",
        "category": "delivery",
        "description": "The parcel came two days late.",
        "repeat_level": 3,
        "customer_tier": 0,
        "identity_verified": False,
        "page_path": None,
        "created_at": AT,
        "first_response_due_at": None,
        "recovery_due_at": None,
        "recovered_at": None,
        "ca_id": None,
    }
    values.update(fields)
    return SimpleNamespace(**values)


def at_risk(**fields: Any) -> dict[str, Any]:
    return event_payload("report.at_risk", report_data(report(**fields), BASE), AT)


def test_slack_message_has_fallback_text_blocks_and_a_link_button() -> None:
    body = chat_message("slack", at_risk(), BASE)
    assert "Shop: a customer is at risk of leaving, report R-7K2Q" in body["text"]
    assert f"<{BASE}/staff/reports/41|Open in Mend>" in body["text"]
    section, actions = body["blocks"]
    assert section["type"] == "section"
    assert section["text"]["type"] == "mrkdwn"
    assert ">The parcel came two days late." in section["text"]["text"]
    assert actions["type"] == "actions"
    (button,) = actions["elements"]
    assert button == {
        "type": "button",
        "text": {"type": "plain_text", "text": "Open in Mend"},
        "url": f"{BASE}/staff/reports/41",
    }


def test_teams_message_is_an_adaptive_card_with_an_open_url_action() -> None:
    body = chat_message("teams", at_risk(), BASE)
    assert body["type"] == "message"
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.4"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    line, quote = card["body"]
    assert line["type"] == "RichTextBlock"
    assert line["inlines"][0]["type"] == "TextRun"
    assert "at risk of leaving" in line["inlines"][0]["text"]
    assert quote["inlines"][0]["text"] == "The parcel came two days late."
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open in Mend", "url": f"{BASE}/staff/reports/41"}]


def test_mattermost_message_is_text_with_a_markdown_link() -> None:
    body = chat_message("mattermost", at_risk(), BASE)
    assert set(body) == {"text"}
    first, quote = body["text"].split("\n")
    assert first.endswith(f"[Open in Mend]({BASE}/staff/reports/41)")
    assert first.startswith("Shop: a customer is at risk of leaving, report R\\-7K2Q")
    assert quote == "> The parcel came two days late\\."


def test_customer_text_cannot_ping_a_channel_or_add_a_link() -> None:
    payload = at_risk(description=NASTY)
    slack = chat_message("slack", payload, BASE)
    assert "<!channel>" not in slack["text"] + slack["blocks"][0]["text"]["text"]
    assert "&lt;!channel&gt; @all *free* [click](https://evil.example) &amp; more" in slack["blocks"][0]["text"]["text"]
    mattermost = chat_message("mattermost", payload, BASE)["text"]
    assert "@all" not in mattermost
    assert "](https://evil" not in mattermost
    assert "\\[click\\]\\(https://evil\\.example\\)" in mattermost
    # Teams: a TextRun is never read as Markdown, so the text goes as typed.
    card = chat_message("teams", payload, BASE)["attachments"][0]["content"]
    assert card["body"][1]["inlines"][0]["text"] == NASTY


def test_escaping_helpers() -> None:
    assert slack_escape("a & b < c > d") == "a &amp; b &lt; c &gt; d"
    assert mattermost_escape("@here <b>*x*</b>") == "@\u200bhere &lt;b&gt;\\*x\\*&lt;/b&gt;"


def test_site_names_are_escaped_too() -> None:
    payload = at_risk(site=SimpleNamespace(id=7, key="shop", name="Bits & <Bobs>"))
    assert chat_message("slack", payload, BASE)["text"].startswith("Bits &amp; &lt;Bobs&gt;: ")


@pytest.mark.parametrize(
    ("event", "data", "line"),
    [
        ("clock.breached", {"clock": "first_response"}, "Shop: the first follow-up on R-7K2Q is overdue"),
        ("clock.warning", {"clock": "recovery", "minutes": 45}, "Shop: 45 min left for the recovery on R-7K2Q"),
        (
            "rating.submitted",
            {"score": 1, "poor": True},
            "Shop: poor rating, 1 of 5, on R-7K2Q: the report is open again",
        ),
        ("rating.submitted", {"score": 5, "poor": False}, "Shop: R-7K2Q rated 5 of 5"),
        ("report.state_changed", {"state": "in_progress"}, "Shop: report R-7K2Q is now in progress"),
        ("report.created", {}, "Shop: new report R-7K2Q"),
    ],
)
def test_each_report_event_reads_as_one_line(event: str, data: dict[str, Any], line: str) -> None:
    payload = event_payload(event, report_data(report(), BASE, **data), AT)
    assert describe(payload, BASE).text == line


def test_ca_events_name_the_corrective_action() -> None:
    ca = SimpleNamespace(
        id=9, site=SITE, state="reopened", title="Late couriers", category=None, severity="high",
        due_on=None, public=False, created_at=AT, closed_at=None,
    )  # fmt: skip
    payload = event_payload("ca.reopened", ca_data(ca, BASE, previous_state="verifying"), AT)
    line = describe(payload, BASE)
    assert line.text == "Shop: corrective action “Late couriers” reopened, the failure came back"
    assert line.url == f"{BASE}/staff/cas/9"
    assert line.quote is None


def test_a_flood_counts_the_refused_reports_and_links_to_the_site() -> None:
    data = {"site": {"key": "shop", "name": "Shop", "url": f"{BASE}/staff?site=7"}, "refused": 312}
    line = describe(event_payload("flood.refused", data, AT), BASE)
    assert line.text == "Shop: 312 reports refused in a flood"
    assert line.url == f"{BASE}/staff?site=7"


def test_the_test_event_links_to_the_portal_when_it_has_no_link_of_its_own() -> None:
    data = {"site": {"key": "shop", "name": "Shop"}, "endpoint": {"id": 3, "description": ""}}
    body = chat_message("mattermost", event_payload("test", data, AT), BASE)
    assert body["text"].startswith("Shop: a test from Mend\\.")
    assert body["text"].endswith(f"({BASE})")


def test_long_customer_text_is_cut_to_an_excerpt() -> None:
    line = describe(at_risk(description="word " * 200), BASE)
    assert line.quote is not None
    assert len(line.quote) == 200
    assert line.quote.endswith("…")


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        chat_message("webhook", at_risk(), BASE)
