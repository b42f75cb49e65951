"""Pages as the tests read them: parsed with BeautifulSoup and asserted through CSS selectors, so an
assertion looks at one element instead of matching text anywhere on the page (navigation included)."""

from __future__ import annotations

from bs4 import BeautifulSoup, Tag


def soup(html: str) -> BeautifulSoup:
    """The parsed page or fragment."""
    return BeautifulSoup(html, "html.parser")


def _root(html: str | Tag) -> Tag:
    return html if isinstance(html, Tag) else soup(html)


def one(html: str | Tag, selector: str) -> Tag:
    """The one element matching `selector`; fails when there is none or more than one."""
    found = _root(html).select(selector)
    assert len(found) == 1, f"{len(found)} elements match {selector!r}"
    return found[0]


def every(html: str | Tag, selector: str) -> list[Tag]:
    """Every element matching `selector`, in page order."""
    return _root(html).select(selector)


def text(element: Tag) -> str:
    """An element's text with its whitespace collapsed, as a reader sees it."""
    return " ".join(element.get_text().split())


def text_of(html: str | Tag, selector: str) -> str:
    """The text of the one element matching `selector`."""
    return text(one(html, selector))


def texts(html: str | Tag, selector: str) -> list[str]:
    """The text of every element matching `selector`, in page order."""
    return [text(element) for element in every(html, selector)]
