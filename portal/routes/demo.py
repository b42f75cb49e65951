"""A demo shop page that embeds the widget the way a customer's site would."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.response import Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.identity import sign_customer
from portal.i18n import gettext as _
from portal.services.demo import DEMO_SITE_KEY
from portal.services.sites import site_by_key

DEMO_CUSTOMER = {"id": "cust-1001", "name": "Alex Morgan", "email": "alex@example.com"}


@get("/demo", include_in_schema=False)
async def demo_page(request: Request[Any, Any, Any], db_session: AsyncSession, signed_in: bool = True) -> Template:
    """The demo shop; `?signed_in=false` shows the widget for an anonymous visitor."""
    site = await site_by_key(db_session, DEMO_SITE_KEY)
    if site is None:
        raise NotFoundException(detail=_("The demo is not set up. Run `portal demo` first."))
    customer = {**DEMO_CUSTOMER, "sig": sign_customer(site.secret, DEMO_CUSTOMER["id"])} if signed_in else None
    context = {"site": site, "customer": customer, "base_url": request.app.state.settings.base_url}
    # No CSP here on purpose: it stands for somebody else's site, which sets its own headers.
    return Template("pages/demo.html", context=context)


handlers: list[ControllerRouterHandler] = [demo_page]
