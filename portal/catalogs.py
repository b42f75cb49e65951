"""The gettext catalogs: extract the messages, update every language, and check them in CI.

    python -m portal.catalogs update   # extract messages.pot from the code and merge it into each .po
    python -m portal.catalogs check    # fail when a shipped language misses a message or breaks a placeholder

Customer-facing messages (those used by any of CUSTOMER_SOURCES) are required in every language;
staff-only ones in the staff portal's languages.
"""

from __future__ import annotations

import contextlib
import fnmatch
import re
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from portal.i18n import DOMAIN, LANGUAGES, LOCALE_DIR, STAFF_LANGUAGES
from portal.settings import ROOT

POT = LOCALE_DIR / f"{DOMAIN}.pot"
KEYWORDS = ["_", "gettext", "ngettext:1,2", "N_", "lazy_gettext"]
CUSTOMER_SOURCES = (
    "templates/base.html",
    "templates/pages/panel.html",
    "templates/pages/status.html",
    "templates/pages/known_issue.html",
    "templates/pages/unsubscribe.html",
    "templates/pages/error.html",
    "templates/partials/panel_body.html",
    "templates/partials/gesture_choice.html",
    "templates/partials/known_issue.html",
    "templates/partials/timeline.html",
    "templates/pages/rating.html",
    "templates/pages/forget.html",
    "templates/emails/erasure_confirm.*",
    "templates/partials/rating_answer.html",
    "templates/partials/rating_form.html",
    "templates/partials/rating_words.html",
    "templates/emails/rating_reminder.*",
    "templates/emails/greeting.txt",
    "templates/emails/apology.*",
    "templates/emails/gesture.*",
    "templates/emails/update.*",
    "templates/emails/wrapup.*",
    "templates/emails/closure*",
    "portal/app.py",
    "portal/domain/default_gestures.py",
    "portal/domain/intake.py",
    "portal/domain/progress.py",
    "portal/domain/ratings.py",
    "portal/domain/sites.py",
    "portal/gesture_texts.py",
    "portal/routes/api.py",
    "portal/routes/customer.py",
    "portal/routes/errors.py",
    "portal/routes/widget.py",
    "portal/services/gesture_grants.py",
    "portal/services/intake.py",
    "portal/services/known_issues.py",
    "portal/services/ratings.py",
    "portal/services/sites.py",
)
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")


def _run(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])  # type: ignore[no-untyped-call]  # Babel's CLI is untyped


def extract(output: Path) -> None:
    """Collect every marked message from the code and templates into a template catalog."""
    keywords = [arg for k in KEYWORDS for arg in ("-k", k)]
    options = ["--no-default-keywords", "--sort-by-file", "--no-wrap", "--project", "Mend"]
    with contextlib.chdir(ROOT):  # locations relative to the project, the same on every machine
        _run("extract", "-F", "babel.cfg", *options, *keywords, "-o", str(output), ".")


def update() -> None:
    """Extract the messages and merge them into every language's catalog (new ones start empty)."""
    extract(POT)
    for lang in LANGUAGES[1:]:
        po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        if po.exists():
            _run("update", "-i", str(POT), "-o", str(po), "-l", lang, "--no-wrap", "--ignore-obsolete")
        else:
            _run("init", "-i", str(POT), "-o", str(po), "-l", lang, "--no-wrap")


def _relative(location: str) -> str:
    path = Path(location)
    return str(path.relative_to(ROOT)) if path.is_absolute() else location


def is_customer_facing(message: Message) -> bool:
    """True when any place that uses the message is shown to customers."""
    return any(
        fnmatch.fnmatch(_relative(filename), pattern)
        for filename, _ in message.locations
        for pattern in CUSTOMER_SOURCES
    )


def _ids(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, list | tuple) else (message.id,)


def _strings(message: Message) -> tuple[str, ...]:
    strings = message.string if isinstance(message.string, list | tuple) else (message.string,)
    return tuple(s or "" for s in strings)


def problems(pot: Catalog, po: Catalog, lang: str) -> Iterable[str]:
    """Every missing, fuzzy or placeholder-breaking translation the language must have."""
    for message in pot:
        if not message.id or (lang not in STAFF_LANGUAGES and not is_customer_facing(message)):
            continue
        translated = po.get(message.id, message.context)
        first = _ids(message)[0]
        if translated is None or not all(_strings(translated)) or translated.fuzzy:
            yield f"{lang}: missing {first!r}"
            continue
        wanted = set(PLACEHOLDER.findall(" ".join(_ids(message))))
        # A plural form may leave the number out ("one day", Arabic's dual), never add or drop another.
        optional = {"count", "num"} if message.pluralizable else set()
        for text in _strings(translated):
            used = set(PLACEHOLDER.findall(text))
            if not (wanted - optional <= used <= wanted):
                yield f"{lang}: placeholders differ in {first!r}: {text!r}"


def check() -> list[str]:
    """Everything wrong with the catalogs: a stale template, or a shipped language's gaps."""
    found: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "fresh.pot"
        extract(fresh)
        with fresh.open("rb") as f:
            current = read_po(f)
    with POT.open("rb") as f:
        pot = read_po(f)
    stale = {m.id for m in current if m.id} ^ {m.id for m in pot if m.id}
    if stale:
        found.append(f"messages.pot is stale ({len(stale)} messages differ): run `make messages`")
    for lang in LANGUAGES[1:]:
        with (LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as f:
            found += problems(current, read_po(f, locale=lang), lang)
    return found


def main(argv: list[str] | None = None) -> int:
    """`update` or `check`."""
    command = (argv or sys.argv[1:] or ["check"])[0]
    if command == "update":
        update()
        return 0
    issues = check()
    for issue in issues:
        print(issue, file=sys.stderr)
    print(f"catalogs: {len(issues)} problem(s)", file=sys.stderr)
    return 1 if issues else 0


if __name__ == "__main__":
    sys.exit(main())
