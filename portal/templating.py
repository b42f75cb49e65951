"""One Jinja environment for pages, htmx partials and mail."""

from __future__ import annotations

from jinja2 import Environment, FileSystemLoader, select_autoescape

from portal import gesture_texts, i18n, site_texts
from portal.domain import hotspots
from portal.domain.repeat import RepeatLevel
from portal.settings import ROOT

HTMX_FILE = "vendor/htmx-2.0.11.min.js"


def make_environment(*, auto_reload: bool = True) -> Environment:
    """Autoescape everything but plain-text mail, and trim template whitespace. With `auto_reload`, an edited
    template is read again (development); without, no template file is looked at again once loaded."""
    env = Environment(
        loader=FileSystemLoader(ROOT / "templates"),
        auto_reload=auto_reload,
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # Newstyle gettext: `{{ _("Hi %(name)s", name=n) }}` is escaped and formatted like `{% trans %}`.
    env.install_gettext_callables(i18n.lookup, i18n.lookup_plural, newstyle=True)  # type: ignore[attr-defined]  # added by the i18n extension
    env.globals["lang"] = i18n.current_locale
    env.globals["html_lang"] = i18n.html_lang
    env.globals["text_direction"] = i18n.text_direction
    env.globals["language_name"] = lambda code: i18n.LANGUAGE_NAMES.get(code or "", code or "—")
    env.globals["languages"] = i18n.LANGUAGES
    env.globals["staff_languages"] = i18n.STAFF_LANGUAGES
    env.globals["site_hour_cap"] = hotspots.SITE_HOUR_CAP
    env.globals["category_text"] = site_texts.category_text
    env.globals["no_blame_text"] = site_texts.no_blame_text
    env.globals["text_of"] = site_texts.text_of
    env.globals["confirmation"] = gesture_texts.confirmation
    env.filters["moment"] = i18n.format_moment
    env.filters["day"] = i18n.format_day
    env.filters["number"] = i18n.format_number
    env.filters["month"] = i18n.format_month
    env.filters["clock"] = i18n.format_clock
    env.globals["htmx_file"] = HTMX_FILE
    env.globals["repeat_label"] = lambda level: RepeatLevel(min(level, RepeatLevel.CHURN_RISK)).label
    return env
