"""schemathesis against /schema: every check, on POST /api/v1/reports and /health, with bounded examples."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from litestar import Litestar

from portal.app import create_app
from portal.settings import Settings
from tests.conftest import TEST_SECRET, make_settings

# The document only: the app that serves it never touches a database here.
schema = schemathesis.openapi.from_dict(
    create_app(
        Settings(database_url="sqlite+aiosqlite:///unused.sqlite3", secret_key=TEST_SECRET)
    ).openapi_schema.to_schema()
)


@pytest.fixture
def api(database_url: str, sessionmaker) -> Litestar:
    # No per-address limit here: a flood of schemathesis examples from one address would only see 429.
    return create_app(make_settings(database_url, reports_per_minute=1_000_000))


@schema.parametrize()
@settings(max_examples=100, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_answers_as_its_schema_says(case, api, site):
    if isinstance(case.body, dict):
        # Valid values stay valid and invalid ones invalid: a random key names no site (a 404, which the
        # schema allows), the real one reaches every rule; categories are the site's own, which the schema
        # can only say in words.
        key, category = case.body.get("site_key"), case.body.get("category")
        if isinstance(key, str) and "\x00" not in key:
            case.body["site_key"] = site.key
        if isinstance(category, str) and category.strip() and "\x00" not in category:
            case.body["category"] = "delivery"
    response = case.call(app=api)
    if response.status_code == 413:
        # A size limit no JSON schema can state (the 413 is documented): only a body over it meets it.
        assert len(response.request.body or b"") > api.state.settings.max_body_bytes
        return
    case.validate_response(response)
