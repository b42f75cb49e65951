"""Page-quality checks for the browser tests: a crawler over the staff portal, axe-core injected into each
page, console errors (CSP refusals included), sideways scrolling on a phone, and the W3C Nu checker on the
HTML the server sent. The tools are npm packages pinned in tests/package.json (`make test` installs them)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

from playwright.sync_api import BrowserContext, ConsoleMessage, Response

NODE_MODULES = Path(__file__).parents[1] / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
# Served from the portal's own origin by a route in the browser, so the pages' `script-src 'self'` admits it.
AXE_PATH = "/__page-quality__/axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
HTMX_BUSY = ".htmx-request, .htmx-swapping, .htmx-settling"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# The page's width and the viewport's, and the culprits: the outermost elements sticking out of the viewport
# (not those inside a box that scrolls on its own).
OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const out = e => e.getBoundingClientRect().right > width + 1;
    const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
        + [...e.classList].map(c => '.' + c).join('');
    const scrolls = e => e.parentElement !== document.body && getComputedStyle(e.parentElement).overflowX !== 'visible';
    const inScroller = e => e.parentElement !== document.body && (scrolls(e) || inScroller(e.parentElement));
    const spills = e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible';
    const culprits = [...document.querySelectorAll('body *')]
        .filter(e => ((out(e) && !out(e.parentElement)) || spills(e)) && !inScroller(e));
    return [document.documentElement.scrollWidth, width, culprits.slice(0, 5).map(name)];
}"""
# axe-core's violations, each element named by its selector and the first reason it fails.
AXE_RUN = """async (tags) => {
    const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
    return results.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(
        n => n.target.join(' ') + ': ' + (n.failureSummary.split('\\n')[1] || '').trim())}));
}"""
# Links a crawl must not follow: they end the session or download a file instead of showing a page.
NOT_PAGES = re.compile(r"^/staff/(logout|export)")


def tools_missing() -> str | None:
    """Why the checks cannot run here, or None."""
    if not AXE.is_file() or not VNU.is_file():
        return (
            f"axe-core or vnu-jar is not installed: run `make test` (or `cd tests && npm ci`); looked in {NODE_MODULES}"
        )
    if shutil.which("java") is None:
        return "java is not on the PATH: the W3C Nu checker (vnu.jar) needs it"
    return None


@dataclass
class Visit:
    """One page as one person saw it, and everything wrong with it."""

    role: str
    path: str
    on_phone: bool = False
    html_file: Path | None = None
    problems: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, message: str) -> None:
        self.problems.setdefault(kind, []).append(message)


class Inspector:
    """Opens pages in one browser context (one person) and records what is wrong with each."""

    def __init__(self, context: BrowserContext, base_url: str, role: str, html_dir: Path) -> None:
        self.base_url, self.role, self.html_dir = base_url, role, html_dir
        context.route(f"{base_url}{AXE_PATH}", lambda route: route.fulfill(path=AXE, content_type="text/javascript"))
        self.page = context.new_page()
        self.page.set_viewport_size(DESKTOP)
        self.visit: Visit | None = None
        self.expected_error: str | None = None
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self._record("console", f"uncaught {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        # An error page's own status is logged as an error too; expected there, it is not a finding.
        if message.type == "error" and not (self.expected_error and self.expected_error in message.text):
            where = message.location
            line = f" (line {where['lineNumber'] + 1})" if where.get("url") == self.page.url else ""
            # A CSP refusal explains hashes and nonces at length: its first sentence says what was refused.
            self._record("console", message.text.split(". Either the", 1)[0][:300] + line)

    def _record(self, kind: str, message: str) -> None:
        if self.visit is not None:
            self.visit.add(kind, message)

    def open(self, path: str, *, expect_status: int = 200, phone: bool = False) -> Visit:
        """Load a page, wait until it and what it fetches have settled, and check it."""
        return self._check(path, lambda: self.page.goto(f"{self.base_url}{path}"), expect_status, phone)

    def submit(self, label: str, click: Callable[[], None]) -> Visit:
        """Check the page a form posts to (`label` names it in the findings)."""

        def post() -> Response | None:
            with self.page.expect_navigation() as navigation:
                click()
            return navigation.value

        return self._check(label, post, 200, False)

    def _check(self, path: str, load: Callable[[], Response | None], expect_status: int, phone: bool) -> Visit:
        self.visit = visit = Visit(self.role, path, on_phone=phone)
        self.expected_error = None if expect_status == 200 else f"status of {expect_status}"
        response = load()
        assert response is not None
        # What htmx loads once the page has loaded (a report's CA suggestions) is part of the page; htmx has
        # started those requests by the load event, and marks their elements until the answer has settled.
        self.page.wait_for_function(f"() => !document.querySelector('{HTMX_BUSY}')", polling=50)
        if response.status != expect_status:
            visit.add("status", f"HTTP {response.status}, expected {expect_status}")
        if response.headers.get("content-type", "").startswith("text/html"):
            visit.html_file = self.html_dir / f"{self.role}-{len(list(self.html_dir.iterdir())):03d}.html"
            visit.html_file.write_bytes(response.body())
        self._axe(visit)
        if phone:
            self._overflow(visit)
        return visit

    def _axe(self, visit: Visit) -> None:
        self.page.add_script_tag(url=f"{self.base_url}{AXE_PATH}")
        violations = self.page.evaluate(AXE_RUN, WCAG_22_AA)
        for violation in violations:
            for node in violation["nodes"]:
                visit.add("axe", f"{violation['id']} ({violation['help']}) at {node}")

    def _overflow(self, visit: Visit) -> None:
        self.page.set_viewport_size(PHONE)
        try:
            widths = self.page.evaluate(OVERFLOW)
        finally:
            self.page.set_viewport_size(DESKTOP)
        scroll, client, widest = widths
        if scroll > client:
            visit.add("overflow", f"{scroll} px wide at {client} px (sticking out: {', '.join(widest)})")

    def links(self, selector: str = "a[href]") -> list[str]:
        """Paths of the staff pages the current page links to, in page order, without fragments."""
        hrefs = self.page.eval_on_selector_all(
            selector, "links => links.filter(a => !a.hasAttribute('download')).map(a => a.href)"
        )
        paths = []
        for href in hrefs:
            url = urlsplit(urldefrag(href)[0])
            path = url.path + (f"?{url.query}" if url.query else "")
            if (
                f"{url.scheme}://{url.netloc}" == self.base_url
                and url.path.startswith("/staff")
                and not NOT_PAGES.match(path)
            ):
                paths.append(path)
        return list(dict.fromkeys(paths))


def shape(path: str) -> str:
    """Pages that differ only in ids or query are one page to check: one report page stands for all of them."""
    return re.sub(r"\d+", "N", path.split("?", 1)[0])


def crawl_staff(inspector: Inspector, phone_pages: Callable[[str], bool], start: str = "/staff") -> list[Visit]:
    """Every staff page reachable from the staff navigation, one page per shape, breadth first."""
    visits = [inspector.open(start, phone=phone_pages(start))]
    seen = {shape(start)}
    queue = inspector.links("nav a[href], header a[href]")
    while queue:
        path = queue.pop(0)
        if shape(path) in seen:
            continue
        seen.add(shape(path))
        visits.append(inspector.open(path, phone=phone_pages(path)))
        queue.extend(inspector.links())
    return visits


def nu_check(files: list[Path]) -> dict[Path, list[str]]:
    """Every file's W3C Nu checker errors, in one run of the checker (the JVM takes seconds to start)."""
    run = subprocess.run(
        ["java", "-jar", str(VNU), "--format", "json", "--errors-only", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:  # the checker writes its JSON report to stderr
        report = json.loads(run.stderr)
    except json.JSONDecodeError:
        raise AssertionError(f"the Nu checker did not run (exit {run.returncode}): {run.stderr[-2000:]}") from None
    errors: dict[Path, list[str]] = {}
    for message in report["messages"]:
        where = Path(urlsplit(message.get("url", "")).path)
        line = message.get("lastLine", "?")
        extract = " ".join(message.get("extract", "").split())
        errors.setdefault(where, []).append(f"line {line}: {message['message']}  [{extract}]")
    return errors
