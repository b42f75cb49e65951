"""A mail's HTML as its recipient sees it, for the sandboxed frame on the staff mail page.

Mail needs inline styles (mail clients drop style sheets), which the staff pages' CSP refuses, and a
`srcdoc` frame inherits that CSP. So the frame loads this address instead, answered with a CSP of its
own: inline styles and nothing else, no scripts, sandboxed, framed only by the portal's own pages.
"""

from __future__ import annotations

from litestar import Response, get
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import gettext as _
from portal.models import Site
from portal.routes.errors import found
from portal.routes.staff_base import StaffPages
from portal.services import queue

MAIL_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'; "
    "sandbox; frame-ancestors 'self'"
)


class MailHtmlController(StaffPages):
    """/staff/mail/{id}/html: the HTML part alone, for the frame."""

    path = "/staff/mail"

    @get("/{mail_id:int}/html")
    async def mail_html(self, db_session: AsyncSession, sites: list[Site], mail_id: int) -> Response[str]:
        """The mail's HTML under its own strict CSP."""
        mail = found(await queue.mail_for_staff(db_session, [s.id for s in sites], mail_id), _("No such mail."))
        headers = {
            "Content-Security-Policy": MAIL_CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        }
        return Response(mail.html_body, media_type="text/html; charset=utf-8", headers=headers)


handlers: list[ControllerRouterHandler] = [MailHtmlController]
