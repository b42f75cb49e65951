"""The first-run checklist: what a new admin does before Mend is live, each step ticked from real data."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.sites import normalize_origin
from portal.i18n import N_
from portal.models import Invite, Report, Site, Staff
from portal.services.demo import DEMO_SITE_KEY


@dataclass(frozen=True)
class Step:
    """One thing to do: its words (untranslated; the page translates them), where to do it, and whether it is done."""

    key: str
    title: str
    hint: str
    href: str
    done: bool


@dataclass(frozen=True)
class Checklist:
    steps: list[Step]

    @property
    def done(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def complete(self) -> bool:
        return self.done == len(self.steps)


def _from_allowed_origin(site: Site) -> ColumnElement[bool]:
    """A report sent from a page on one of the site's allowed origins: the snippet is live there."""
    if "*" in site.allowed_origins:
        return Report.page_url.is_not(None)
    pages = [or_(Report.page_url == o, Report.page_url.startswith(f"{o}/")) for o in site.allowed_origins]
    return or_(false(), *pages)


async def first_run(session: AsyncSession, staff: Staff, *, base_url: str) -> Checklist | None:
    """The checklist for an admin, None for anyone else. The demo site does not count: it is Mend's own."""
    if staff.role != "admin":
        return None
    sites = list((await session.scalars(select(Site).where(Site.key != DEMO_SITE_KEY).order_by(Site.id))).all())
    own = normalize_origin(base_url)
    site = sites[0] if sites else None
    settings = f"/staff/sites/{site.id}" if site else "/staff/sites/new"
    site_ids = [s.id for s in sites]

    async def any_row(*conditions: ColumnElement[bool]) -> bool:
        return bool(await session.scalar(select(exists().where(*conditions))))

    snippet = any(
        [await any_row(Report.site_id == s.id, _from_allowed_origin(s)) for s in sites]  # a handful of sites
    )
    steps = [
        Step(
            "site", N_("Create your site"), N_("Its name and who signs the apologies."), "/staff/sites/new", bool(sites)
        ),
        Step(
            "origins",
            N_("Set the allowed origins"),
            N_("The addresses of the pages where the widget may appear."),
            f"{settings}#allowed_origins",
            any(o != own for s in sites for o in s.allowed_origins),
        ),
        Step(
            "snippet",
            N_("Paste the snippet into your pages"),
            N_("Ticked once a report arrives from one of those pages."),
            f"{settings}#embed-heading",
            snippet,
        ),
        Step(
            "team",
            N_("Invite your team"),
            N_("Agents and leads who answer customers."),
            "/staff/people",
            await any_row(Invite.id.is_not(None)) or await any_row(Staff.is_active.is_(True), Staff.role != "admin"),
        ),
        Step(
            "duty",
            N_("Set who is on duty"),
            N_("Whoever is on duty gets the clock alerts; anyone starts a shift from the top bar."),
            "/staff/adherence",
            await any_row(Staff.is_active.is_(True), Staff.on_duty.is_(True)),
        ),
        Step(
            "report",
            N_("Send a test report"),
            N_("Tell your site that something small went wrong, and see it arrive in the queue."),
            f"/w/{site.key}" if site else "/staff/sites/new",
            bool(site_ids) and await any_row(Report.site_id.in_(site_ids)),
        ),
    ]
    return Checklist(steps)
