"""One Jinja environment for pages, htmx partials and mail."""

from __future__ import annotations

from jinja2 import Environment, FileSystemLoader, select_autoescape

from portal.domain.repeat import RepeatLevel
from portal.settings import ROOT

HTMX_FILE = "vendor/htmx-2.0.11.min.js"


def make_environment() -> Environment:
    """Autoescape everything but plain-text mail, and trim template whitespace."""
    env = Environment(
        loader=FileSystemLoader(ROOT / "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["htmx_file"] = HTMX_FILE
    env.globals["repeat_label"] = lambda level: RepeatLevel(min(level, RepeatLevel.CHURN_RISK)).label
    return env
