"""`portal demo` follows the base URL: on another port the demo page's widget still loads and may open."""

from __future__ import annotations

import dataclasses

from litestar.testing import AsyncTestClient

from portal.app import create_app
from portal.services.demo import DEMO_SITE_KEY, set_up_demo
from tests.html import one


async def test_running_the_demo_again_on_another_port_lets_the_widget_work_there(session, sessionmaker, settings):
    first = await set_up_demo(session, base_url="http://127.0.0.1:8000", admin_password="demo password 1")
    assert first.allowed_origins == ["http://127.0.0.1:8000"]
    site = await set_up_demo(session, base_url="http://127.0.0.1:8200/", admin_password="demo password 2")
    assert site.id == first.id
    assert "http://127.0.0.1:8200" in site.allowed_origins

    on_8200 = create_app(dataclasses.replace(settings, base_url="http://127.0.0.1:8200"))
    async with AsyncTestClient(on_8200, base_url="http://127.0.0.1:8200") as client:
        demo = await client.get("/demo")
        assert one(demo.text, "script[data-site]")["src"] == "http://127.0.0.1:8200/widget.js"
        panel = await client.get(f"/w/{DEMO_SITE_KEY}")
        assert "http://127.0.0.1:8200" in panel.headers["content-security-policy"].split("frame-ancestors")[1]
