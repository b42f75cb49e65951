"""Mail rendered from templates/emails: a subject, a text part and an HTML part per kind."""

from __future__ import annotations

from jinja2 import Environment

from portal.outbox import MailContent


def render_mail(env: Environment, kind: str, **context: object) -> MailContent:
    """Render `emails/{kind}.txt` and `emails/{kind}.html`; the subject is the text's first line."""
    subject, _, text = env.get_template(f"emails/{kind}.txt").render(**context).partition("\n")
    html = env.get_template(f"emails/{kind}.html").render(**context)
    return MailContent(subject=" ".join(subject.split()), text=text.lstrip("\n"), html=html)
