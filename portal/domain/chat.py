"""Chat alerts: one event as a message in Slack's, Microsoft Teams' or Mattermost's own incoming-webhook format.

Each message is one readable line saying what happened and a link into the portal. Customer text
(descriptions, comments, titles) is escaped for the tool that shows it: Slack and Mattermost read
`&`, `<` and `>` as markup (`<!channel>`, `<url|text>`), Mattermost also reads Markdown and @mentions,
and Teams shows customer text in a TextRun, which Adaptive Cards never read as Markdown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from portal.domain.clocks import CLOCK_LABELS
from portal.domain.corrective_actions import STATE_LABELS as CA_STATES
from portal.domain.webhooks import TEST_EVENT
from portal.domain.workflow import STATE_NAMES
from portal.i18n import gettext as _
from portal.i18n import ngettext

EXCERPT = 200  # characters of customer text a chat line quotes
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


@dataclass(frozen=True)
class Line:
    """What an event says: the line (Mend's words), an optional quote of customer text, and where to look."""

    text: str
    quote: str | None
    url: str


def chat_message(kind: str, payload: Mapping[str, Any], portal_url: str) -> dict[str, Any]:
    """The JSON body that posts this event (`{type, timestamp, data}`) to a `kind` incoming webhook."""
    line = describe(payload, portal_url)
    if kind == "slack":
        return _slack(line)
    if kind == "teams":
        return _teams(line)
    if kind == "mattermost":
        return _mattermost(line)
    raise ValueError(f"not a chat kind: {kind}")


def describe(payload: Mapping[str, Any], portal_url: str) -> Line:
    """One line for the event (`portal.domain.webhooks` builds its data), the customer text it quotes, and
    its link: the report's or CA's page, else the site's queue, else the portal's home."""
    data: Mapping[str, Any] = payload.get("data") or {}
    event = str(payload.get("type", ""))
    about = data.get("site")
    site_data: Mapping[str, Any] = about if isinstance(about, Mapping) else {}
    site = str(site_data.get("name") or "Mend")
    url = str(data.get("url") or site_data.get("url") or portal_url)
    ref = str(data.get("ref", ""))
    title = str(data.get("title", ""))
    quote = _excerpt(data.get("description"))
    if event == "report.created":
        text = _("%(site)s: new report %(ref)s", site=site, ref=ref)
    elif event == "report.state_changed":
        state = _(STATE_NAMES.get(str(data.get("state")), str(data.get("state", ""))))
        text = _("%(site)s: report %(ref)s is now %(state)s", site=site, ref=ref, state=state)
        quote = None  # the customer's words went out with report.created
    elif event == "report.at_risk":
        text = _("%(site)s: a customer is at risk of leaving, report %(ref)s", site=site, ref=ref)
    elif event == "gesture.chosen":
        text = _("%(site)s: the customer on %(ref)s chose a gesture", site=site, ref=ref)
        quote = _excerpt(data.get("gesture"))
    elif event in ("rating.submitted", "rating.poor"):
        score = data.get("score", "?")
        if data.get("poor"):
            text = _(
                "%(site)s: poor rating, %(score)s of 5, on %(ref)s: the report is open again",
                site=site,
                score=score,
                ref=ref,
            )
        else:
            text = _("%(site)s: %(ref)s rated %(score)s of 5", site=site, score=score, ref=ref)
        quote = _excerpt(data.get("comment"))
    elif event == "clock.warning":
        clock = _(CLOCK_LABELS.get(str(data.get("clock")), str(data.get("clock", ""))))
        minutes = int(data.get("minutes") or 0)
        text = _(
            "%(site)s: %(minutes)s min left for the %(clock)s on %(ref)s",
            site=site,
            minutes=minutes,
            clock=clock,
            ref=ref,
        )
    elif event == "clock.breached":
        clock = _(CLOCK_LABELS.get(str(data.get("clock")), str(data.get("clock", ""))))
        text = _("%(site)s: the %(clock)s on %(ref)s is overdue", site=site, clock=clock, ref=ref)
    elif event == "ca.state_changed":
        state = _(CA_STATES.get(str(data.get("state")), str(data.get("state", ""))))
        text = _("%(site)s: corrective action “%(title)s” is now %(state)s", site=site, title=title, state=state)
    elif event == "ca.closed":
        text = _("%(site)s: corrective action “%(title)s” is closed", site=site, title=title)
    elif event == "ca.reopened":
        text = _("%(site)s: corrective action “%(title)s” reopened, the failure came back", site=site, title=title)
    elif event == "flood.refused":
        refused = int(data.get("refused") or 0)
        text = ngettext(
            "%(site)s: %(num)s report refused in a flood",
            "%(site)s: %(num)s reports refused in a flood",
            refused,
            site=site,
        )
    elif event == TEST_EVENT:
        text = _("%(site)s: a test from Mend. This channel gets the events you picked.", site=site)
    else:
        text = _("%(site)s: %(event)s", site=site, event=event)
    return Line(text=text, quote=quote, url=url)


def _excerpt(value: object) -> str | None:
    text = " ".join(str(value or "").split())
    if len(text) > EXCERPT:
        text = text[: EXCERPT - 1] + "…"
    return text or None


def slack_escape(text: str) -> str:
    """Text Slack shows as typed: its control characters `&`, `<`, `>` as entities (no links, no @channel)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mattermost_escape(text: str) -> str:
    """Text Mattermost shows as typed: Slack's entities, Markdown backslash-escaped, no @mentions."""
    return _MARKDOWN.sub(r"\\\1", slack_escape(text)).replace("@", "@\u200b")


def _slack(line: Line) -> dict[str, Any]:
    # Slack escapes Mend's own words too: a site name is admin text, and may hold `<` or `&`.
    said = slack_escape(line.text)
    quote = f"\n>{slack_escape(line.quote)}" if line.quote else ""
    label = _("Open in Mend")
    return {
        "text": f"{said} <{line.url}|{slack_escape(label)}>",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": said + quote}},
            {
                "type": "actions",
                "elements": [{"type": "button", "text": {"type": "plain_text", "text": label}, "url": line.url}],
            },
        ],
    }


def _teams(line: Line) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": line.text, "weight": "Bolder"}]}
    ]
    if line.quote:
        body.append({"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": line.quote, "italic": True}]})
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": body,
                    "actions": [{"type": "Action.OpenUrl", "title": _("Open in Mend"), "url": line.url}],
                },
            }
        ],
    }


def _mattermost(line: Line) -> dict[str, Any]:
    text = f"{mattermost_escape(line.text)} [{mattermost_escape(_('Open in Mend'))}]({line.url})"
    if line.quote:
        text += f"\n> {mattermost_escape(line.quote)}"
    return {"text": text}
