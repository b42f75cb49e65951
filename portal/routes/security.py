"""Response headers that keep pages safe: what may frame them, run in them, and leak from them."""

from __future__ import annotations

from portal.models import Site

CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; object-src 'none'"


def page_headers(site: Site | None = None, *, private: bool = False) -> dict[str, str]:
    """Strict CSP; only a site's own allowed origins may frame its panel, nothing may frame the rest."""
    if site is not None:
        ancestors = "*" if "*" in site.allowed_origins else " ".join(["'self'", *site.allowed_origins])
    else:
        ancestors = "'none'"
    headers = {
        "Content-Security-Policy": f"{CSP}; frame-ancestors {ancestors}",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer" if private else "strict-origin-when-cross-origin",
    }
    if private:
        headers["Cache-Control"] = "private, no-store"
        headers["X-Robots-Tag"] = "noindex"
    return headers
