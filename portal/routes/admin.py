"""Administration for admins: sites (where the widget may appear, its words, who signs, its secret)
and people (who has access, invitations)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.apology import PLACEHOLDERS
from portal.domain.sites import (
    DEFAULT_CATEGORIES,
    DEFAULT_NO_BLAME_TEXT,
    SiteSettingsInvalid,
    format_categories,
    validate_site_settings,
)
from portal.i18n import gettext as _
from portal.mail import Mail
from portal.models import Site, Staff
from portal.routes.auth import provide_staff, requires_staff, sign_in
from portal.routes.errors import found, parse_ids
from portal.routes.security import page_headers
from portal.services import invites, onboarding, site_translations, templates
from portal.services.sites import (
    all_sites,
    create_site,
    embed_snippet,
    rotate_secret,
    site_by_id,
    sites_by_ids,
    update_site,
)
from portal.services.staff import ROLES, all_staff


async def provide_admin(staff: Staff) -> Staff:
    """Only admins manage sites."""
    if staff.role != "admin":
        raise PermissionDeniedException(detail="Only admins can change site settings.")
    return staff


def _form_of(site: Site | None) -> dict[str, Any]:
    if site is None:
        return {
            "name": "",
            "allowed_origins": "",
            "categories": format_categories(DEFAULT_CATEGORIES),
            "no_blame_text": "",
            "signer_name": "",
            "signer_role": "",
            "repeat_window_days": "90",
            "first_response_minutes": "20",
            "recovery_hours": "24",
            "follow_up_hours": "4",
            "max_reports_per_minute": "120",
            "languages": ["en"],
            "default_language": "en",
            "rating_reminder_days": "3",
            "poor_rating_max": "2",
            "silent_after_days": "60",
            "retention_months": "18",
            "privacy_url": "",
        }
    return {
        "name": site.name,
        "allowed_origins": "\n".join(site.allowed_origins),
        "categories": format_categories(site.categories),
        "no_blame_text": site.no_blame_text or "",
        "signer_name": site.signer_name,
        "signer_role": site.signer_role,
        "repeat_window_days": str(site.repeat_window_days),
        "first_response_minutes": str(site.first_response_minutes),
        "recovery_hours": str(site.recovery_hours),
        "follow_up_hours": str(site.follow_up_hours),
        "max_reports_per_minute": str(site.max_reports_per_minute),
        "languages": site.languages,
        "default_language": site.default_language,
        "rating_reminder_days": str(site.rating_reminder_days),
        "poor_rating_max": str(site.poor_rating_max),
        "silent_after_days": str(site.silent_after_days),
        "retention_months": str(site.retention_months),
        "privacy_url": site.privacy_url or "",
    }


def _page(
    request: Request[Any, Any, Any],
    staff: Staff,
    site: Site | None,
    form: Mapping[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
    **extra: Any,
) -> Template:
    context = {
        "staff": staff,
        "site": site,
        "form": form,
        "errors": errors,
        "default_no_blame": DEFAULT_NO_BLAME_TEXT,
        "snippet": embed_snippet(request.app.state.settings.base_url, site) if site else None,
        "saved": False,
        "untranslated": site_translations.untranslated_counts(site) if site else {},
        **extra,
    }
    return Template("pages/admin_site.html", context=context, status_code=status_code, headers=page_headers())


class AdminController(Controller):
    """Pages only admins reach: a staff session, then the admin role."""

    guards = [requires_staff]
    dependencies = {"staff": Provide(provide_staff), "admin": Provide(provide_admin)}
    include_in_schema = False


class SiteAdminController(AdminController):
    """/staff/sites: where the widget may appear, its words, who signs, its secret."""

    path = "/staff/sites"

    @get("/")
    async def list_sites(self, request: Request[Any, Any, Any], db_session: AsyncSession, admin: Staff) -> Template:
        """Every site, with a way in to its settings, under the first-run checklist until it is done."""
        context = {
            "staff": admin,
            "sites": await all_sites(db_session),
            "first_run": await onboarding.first_run(db_session, admin, base_url=request.app.state.settings.base_url),
        }
        return Template("pages/admin_sites.html", context=context, headers=page_headers())

    @get("/new")
    async def new_site(self, request: Request[Any, Any, Any], admin: Staff) -> Template:
        """An empty site form with the default categories."""
        return _page(request, admin, None, _form_of(None), {})

    @post("/")
    async def create(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        admin: Staff,
        data: dict[str, Any] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """Create a site from the form."""
        try:
            changes = validate_site_settings(data)
        except SiteSettingsInvalid as exc:
            return _page(request, admin, None, data, exc.errors, 400)
        site = await create_site(
            db_session,
            name=changes.name,
            origins=changes.allowed_origins,
            signer_name=changes.signer_name,
            signer_role=changes.signer_role,
        )
        await update_site(db_session, site, changes)
        return Redirect(f"/staff/sites/{site.id}", status_code=303)

    @get("/{site_id:int}")
    async def edit(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, admin: Staff, site_id: int, saved: bool = False
    ) -> Template:
        """The site's settings and its embed snippet."""
        site = await site_or_404(db_session, site_id)
        return _page(request, admin, site, _form_of(site), {}, saved=saved)

    @post("/{site_id:int}")
    async def save(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        admin: Staff,
        site_id: int,
        data: dict[str, Any] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """Save the settings, or show the form again with what was typed and what is wrong."""
        site = await site_or_404(db_session, site_id)
        try:
            await update_site(db_session, site, validate_site_settings(data))
        except SiteSettingsInvalid as exc:
            return _page(request, admin, site, data, exc.errors, 400)
        return Redirect(f"/staff/sites/{site.id}?saved=true", status_code=303)

    @post("/{site_id:int}/rotate-secret")
    async def rotate(self, db_session: AsyncSession, admin: Staff, site_id: int) -> Redirect:
        """Replace the signing secret."""
        await rotate_secret(db_session, await site_or_404(db_session, site_id))
        return Redirect(f"/staff/sites/{site_id}?saved=true", status_code=303)


class TranslationController(AdminController):
    """/staff/sites/{id}/translations: the site's own texts in each of its other languages."""

    path = "/staff/sites/{site_id:int}/translations"

    async def _page(self, db_session: AsyncSession, admin: Staff, site: Site, lang: str, **extra: Any) -> Template:
        texts = await site_translations.texts_for(db_session, site, lang)
        context = {
            "staff": admin,
            "site": site,
            "lang": lang,
            "texts": texts,
            "missing": sum(1 for t in texts if not t.translation),
            "saved": None,
            **extra,
        }
        return Template("pages/admin_translations.html", context=context, headers=page_headers())

    def _language(self, site: Site, lang: str | None) -> str:
        others = [code for code in site.languages if code != site.default_language]
        if lang in others:
            return lang
        if lang is None and others:
            return others[0]
        raise NotFoundException(detail=_("This site does not speak that language: enable it in the site's settings."))

    @get("/")
    async def texts(
        self, db_session: AsyncSession, admin: Staff, site_id: int, lang: str | None = None, saved: int | None = None
    ) -> Template:
        """Every text of the site's own next to its translation; the untranslated ones stand out."""
        site = await site_or_404(db_session, site_id)
        return await self._page(db_session, admin, site, self._language(site, lang), saved=saved)

    @post("/")
    async def save(
        self,
        db_session: AsyncSession,
        admin: Staff,
        site_id: int,
        data: dict[str, Any] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Redirect:
        """Save the translations into one language."""
        site = await site_or_404(db_session, site_id)
        lang = self._language(site, str(data.get("lang", "")))
        changed = await site_translations.save_translations(db_session, site, lang, data)
        return Redirect(f"/staff/sites/{site.id}/translations?lang={lang}&saved={changed}", status_code=303)


class TemplateController(AdminController):
    """/staff/sites/{id}/templates: a site's own apology wording, linted before it can go live."""

    path = "/staff/sites/{site_id:int}/templates"

    async def _page(
        self, db_session: AsyncSession, admin: Staff, site: Site, *, status_code: int = 200, **extra: Any
    ) -> Template:
        context = {
            "staff": admin,
            "site": site,
            "templates": await templates.site_templates(db_session, site),
            "placeholders": PLACEHOLDERS,
            "form": {"category": "", "lang": site.default_language, "body": ""},
            "sample": None,
            "problems": [],
            "findings": [],
            **extra,
        }
        return Template("pages/admin_templates.html", context=context, status_code=status_code, headers=page_headers())

    @get("/")
    async def list_templates(self, db_session: AsyncSession, admin: Staff, site_id: int) -> Template:
        """The site's templates and the editor."""
        return await self._page(db_session, admin, await site_or_404(db_session, site_id))

    @post("/preview")
    async def preview(
        self,
        db_session: AsyncSession,
        site_id: int,
        admin: Staff,
        data: dict[str, str] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template:
        """htmx: the template filled in for a sample report, with what the linter thinks of it."""
        site = await site_or_404(db_session, site_id)
        lang = data.get("lang", "") if data.get("lang") in site.languages else site.default_language
        sample, problems, findings = templates.preview(site, data.get("body", ""), lang)
        context = {"sample": sample, "problems": problems, "findings": findings}
        return Template("partials/template_preview.html", context=context, headers=page_headers())

    @post("/")
    async def save(
        self,
        db_session: AsyncSession,
        admin: Staff,
        site_id: int,
        data: dict[str, str] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """Save a draft, or publish: refused, with the reasons, while the linter finds anything."""
        site = await site_or_404(db_session, site_id)
        lang = data.get("lang") or site.default_language
        form = {"category": data.get("category", ""), "lang": lang, "body": data.get("body", "")}
        try:
            await templates.save_template(
                db_session,
                site=site,
                category=form["category"],
                lang=form["lang"],
                body=form["body"],
                publish=data.get("action") == "publish",
            )
        except templates.TemplateRejected as exc:
            lang = form["lang"] if form["lang"] in site.languages else site.default_language
            sample, _problems, _findings = templates.preview(site, form["body"], lang)
            return await self._page(
                db_session,
                admin,
                site,
                form=form,
                sample=sample,
                problems=exc.problems,
                findings=exc.findings,
                rejected=True,
                status_code=422,
            )
        return Redirect(f"/staff/sites/{site.id}/templates", status_code=303)

    @post("/{template_id:int}/delete")
    async def delete(self, db_session: AsyncSession, admin: Staff, site_id: int, template_id: int) -> Redirect:
        """Remove a template."""
        await templates.delete_template(db_session, await site_or_404(db_session, site_id), template_id)
        return Redirect(f"/staff/sites/{site_id}/templates", status_code=303)


async def site_or_404(db_session: AsyncSession, site_id: int) -> Site:
    return found(await site_by_id(db_session, site_id), "No such site.")


class PeopleController(AdminController):
    """/staff/people: admins see everyone and invite new staff."""

    path = "/staff/people"

    async def _page(self, db_session: AsyncSession, admin: Staff, *, status_code: int = 200, **extra: Any) -> Template:
        context = {
            "staff": admin,
            "people": await all_staff(db_session),
            "sites": await all_sites(db_session),
            "roles": ROLES,
            "form": {"email": "", "role": "agent", "site_ids": []},
            "error": None,
            "sent_to": None,
            **extra,
        }
        return Template("pages/admin_people.html", context=context, status_code=status_code, headers=page_headers())

    @get("/")
    async def people(self, db_session: AsyncSession, admin: Staff, sent_to: str | None = None) -> Template:
        """Everyone with access, and the invitation form."""
        return await self._page(db_session, admin, sent_to=sent_to)

    @post("/invites")
    async def send_invite(
        self,
        db_session: AsyncSession,
        mail: Mail,
        admin: Staff,
        data: dict[str, Any] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """Invite someone by email to a role and sites."""
        site_ids = parse_ids(data.get("site_ids"), "site_id")
        sites = await sites_by_ids(db_session, site_ids)
        try:
            await invites.invite(
                db_session,
                email=str(data.get("email", "")),
                role=str(data.get("role", "")),
                sites=sites,
                by=admin,
                mail=mail,
            )
        except invites.InviteError as exc:
            form = {"email": data.get("email", ""), "role": data.get("role", ""), "site_ids": site_ids}
            return await self._page(db_session, admin, form=form, error=str(exc), status_code=400)
        return Redirect(f"/staff/people?sent_to={data.get('email', '')}", status_code=303)


@get("/staff/invite/{token:str}", include_in_schema=False)
async def invite_page(request: Request[Any, Any, Any], token: str, db_session: AsyncSession) -> Template:
    """Accepting an invitation: choose a name and a password."""
    try:
        record = await invites.open_invite(db_session, token)
    except invites.InviteError as exc:
        raise NotFoundException(detail=str(exc)) from exc
    context = {"invite": record, "error": None, "name": "", "password_sign_in": _passwords(request)}
    return Template("pages/invite.html", context=context, headers=page_headers(private=True))


def _passwords(request: Request[Any, Any, Any]) -> bool:
    """Whether people here sign in with a password (else only with single sign-on)."""
    return bool(request.app.state.settings.password_sign_in)


@post("/staff/invite/{token:str}", include_in_schema=False)
async def accept_invite(
    request: Request[Any, Any, Any],
    token: str,
    db_session: AsyncSession,
    data: dict[str, str] = Body(media_type=RequestEncodingType.URL_ENCODED),
) -> Template | Redirect:
    """Create the account and sign in."""
    password = data.get("password", "") if _passwords(request) else None
    try:
        staff = await invites.accept(db_session, token=token, name=data.get("name", ""), password=password)
    except invites.InviteError as exc:
        try:
            record = await invites.open_invite(db_session, token)  # still good: the form only needs fixing
        except invites.InviteError:
            raise NotFoundException(detail=str(exc)) from exc
        context = {
            "invite": record,
            "error": str(exc),
            "name": data.get("name", ""),
            "password_sign_in": _passwords(request),
        }
        return Template("pages/invite.html", context=context, status_code=400, headers=page_headers(private=True))
    await sign_in(request, db_session, staff)
    return Redirect("/staff", status_code=303)


handlers: list[ControllerRouterHandler] = [
    SiteAdminController,
    TranslationController,
    TemplateController,
    PeopleController,
    invite_page,
    accept_invite,
]
