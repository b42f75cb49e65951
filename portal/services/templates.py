"""A site's own apology templates: drafted, previewed, linted, and published only when clean."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.apologies import apology_texts
from portal.domain.apology import SAMPLE, Apology, placeholder_errors, render_template
from portal.domain.lexicon import Finding, lint
from portal.i18n import gettext as _
from portal.lexicon import load_lexicon
from portal.models import ApologyTemplate, Site


class TemplateRejected(ValueError):
    """A template that cannot be published, with every reason."""

    def __init__(self, problems: list[str], findings: list[Finding]) -> None:
        super().__init__("; ".join(problems) or f"{len(findings)} finding(s)")
        self.problems = problems
        self.findings = findings


def preview(site: Site, body: str, lang: str) -> tuple[Apology | None, list[str], list[Finding]]:
    """The template filled in for a sample report, its placeholder problems and the findings of its
    own language's linter (with the site's own lexicon entries); nothing at all while nothing is typed,
    since an empty editor is not a mistake yet."""
    if not body.strip():
        return None, [], []
    problems = placeholder_errors(body)
    if problems:
        return None, problems, []
    sample = render_template(
        apology_texts(lang),
        body,
        name=SAMPLE["name"],
        category_label=SAMPLE["category"],
        description=SAMPLE["quote"],
        signer_name=site.signer_name,
        signer_role=site.signer_role,
    )
    return sample, [], lint(sample.text, load_lexicon(lang))


async def save_template(
    session: AsyncSession, *, site: Site, category: str | None, lang: str, body: str, publish: bool
) -> ApologyTemplate:
    """Keep a draft, or publish it when the placeholders are right and its language's linter finds nothing."""
    if lang not in site.languages:
        raise TemplateRejected([_("Pick one of the site's languages.")], [])
    if not body.strip():
        raise TemplateRejected([_("Write the apology first.")], [])
    _sample, problems, findings = preview(site, body, lang)
    if problems or (publish and findings):
        raise TemplateRejected(problems, findings)
    template = ApologyTemplate(
        site_id=site.id, category=category or None, lang=lang, body=body.strip(), published=publish
    )
    session.add(template)
    await session.commit()
    return template


async def site_templates(session: AsyncSession, site: Site) -> list[ApologyTemplate]:
    """All of a site's templates, newest first."""
    return list(
        (
            await session.scalars(
                select(ApologyTemplate).where(ApologyTemplate.site_id == site.id).order_by(ApologyTemplate.id.desc())
            )
        ).all()
    )


async def published_for(session: AsyncSession, site: Site, category: str, lang: str) -> list[ApologyTemplate]:
    """The published variants in this language for this category, else the site-wide ones (empty: Mend's own)."""
    rows = (
        await session.scalars(
            select(ApologyTemplate).where(
                ApologyTemplate.site_id == site.id,
                ApologyTemplate.published,
                ApologyTemplate.lang == lang,
                or_(ApologyTemplate.category == category, ApologyTemplate.category.is_(None)),
            )
        )
    ).all()
    return choose_published(rows, category)


def choose_published(templates: Sequence[ApologyTemplate], category: str) -> list[ApologyTemplate]:
    """Of a language's published templates, the category's own, else the site-wide ones."""
    own = [t for t in templates if t.category == category]
    return own or [t for t in templates if t.category is None]


async def delete_template(session: AsyncSession, site: Site, template_id: int) -> None:
    """Remove a template of this site."""
    template = await session.get(ApologyTemplate, template_id)
    if template is not None and template.site_id == site.id:
        await session.delete(template)
        await session.commit()
