"""The customer's private status page, where they follow the recovery and answer us."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.identity import read_unsubscribe_token
from portal.domain.progress import CUSTOMER_STATE_LABELS, progress_steps
from portal.domain.ratings import CHANGE_WINDOW, RATABLE_STATES, AnswerInvalid, is_final, validate_answer
from portal.domain.workflow import check_message
from portal.gesture_texts import confirmation
from portal.i18n import _, customer_language, set_locale
from portal.mail import Mail
from portal.models import Report, utcnow
from portal.routes.errors import found, parse_id
from portal.routes.security import page_headers
from portal.services import conversation, forget_me, gesture_catalog, gesture_grants, known_issues, ratings
from portal.services.intake import decoy_report
from portal.services.sites import site_by_id
from portal.site_texts import category_text


async def _report_or_404(request: Request[Any, Any, Any], db_session: AsyncSession, token: str) -> Report:
    """The report behind a status link (or the one a honeypot's decoy link pretends to show); the page speaks
    the language the customer reported in."""
    return _in_customer_language(
        found(
            await conversation.report_by_status_token(db_session, token)
            or await decoy_report(db_session, request.app.state.settings, token),
            _("This status link doesn't exist. Check that the whole link was copied."),
        )
    )


def _in_customer_language(report: Report) -> Report:
    """The report, with the page speaking the language the customer reported in."""
    set_locale(report.lang or report.site.default_language)
    return report


def _is_decoy(report: Report) -> bool:
    """A decoy's report was never stored: it has no id, no timeline and no choice, and keeps no answer."""
    return report.id is None


async def _gesture_context(db_session: AsyncSession, report: Report) -> dict[str, Any]:
    """The customer's gesture: their choice and its confirmation, or what they may still pick from."""
    choice = None if _is_decoy(report) else await gesture_grants.customer_choice(db_session, report)
    gesture = (
        await gesture_catalog.gesture_of_site(db_session, report.site_id, choice.gesture_id)
        if choice and choice.gesture_id
        else None
    )
    return {
        "token": report.status_token,
        "choice": choice,
        "confirmation": confirmation(choice, gesture) if choice else [],
        "offers": [] if choice else await gesture_catalog.offered(db_session, report),
        "gesture_error": None,
        "picked": "",
        "wish": "",
    }


async def _rating_context(db_session: AsyncSession, report: Report) -> dict[str, Any]:
    """The customer's answer to "Did we make it right?" and whether it may still be given or changed."""
    rating = None if _is_decoy(report) else await ratings.rating_of(db_session, report)
    return {
        "rating": rating,
        "ratable": report.state in RATABLE_STATES and not _is_decoy(report),
        "final": rating is not None and is_final(rating.created_at, utcnow()),
        "change_until": rating.created_at + CHANGE_WINDOW if rating else None,
        "form": {"score": str(rating.score), "surprised": rating.surprised, "comment": rating.comment or ""}
        if rating
        else {"score": "", "surprised": None, "comment": ""},
        "rating_error": None,
    }


def _erasure_receipt(report: Report, erased: forget_me.Erased) -> Template:
    """What a "forget me" removed, with the reference the audit trail knows it by."""
    context = {
        "site": report.site,
        "token": None,
        "removed": erased.reports,
        "reference": f"#{erased.reference}",
        "status_url": f"/s/{report.status_token}",
    }
    return Template("pages/forget.html", context=context, headers=page_headers(private=True))


async def _render(db_session: AsyncSession, report: Report, *, status_code: int = 200, **extra: Any) -> Template:
    context = {
        "report": report,
        "category": category_text(report.site, report.category),
        "state_label": CUSTOMER_STATE_LABELS.get(report.state, report.state),
        "customer_state_labels": CUSTOMER_STATE_LABELS,
        "steps": progress_steps(report.state),
        "events": [] if _is_decoy(report) else await conversation.timeline(db_session, report),
        "audience": "customer",
        "reply": "",
        "reply_error": None,
        **await _gesture_context(db_session, report),
        "closure": await known_issues.closure_for_report(db_session, report),
        **await _rating_context(db_session, report),
        "forget_sent": False,
        **extra,
    }
    return Template("pages/status.html", context=context, status_code=status_code, headers=page_headers(private=True))


@get("/s/{token:str}", include_in_schema=False)
async def status_page(
    request: Request[Any, Any, Any], token: str, db_session: AsyncSession, forget: str | None = None
) -> Template:
    """What the customer reported, our apology, everything since, and what happens next."""
    return await _render(db_session, await _report_or_404(request, db_session, token), forget_sent=forget == "sent")


@get("/s/{token:str}/data", include_in_schema=False)
async def download_data(request: Request[Any, Any, Any], token: str, db_session: AsyncSession) -> Response[Any]:
    """Everything the customer told this site, as a JSON file (recorded as their export)."""
    report = await _report_or_404(request, db_session, token)
    data = {"reports": []} if _is_decoy(report) else await forget_me.download(db_session, report)
    headers = {**page_headers(private=True), "Content-Disposition": f'attachment; filename="{report.ref}-data.json"'}
    return Response(data, media_type="application/json", headers=headers)


@post("/s/{token:str}/forget", include_in_schema=False)
async def forget(request: Request[Any, Any, Any], token: str, db_session: AsyncSession, mail: Mail) -> Response[Any]:
    """ "Forget me": erased at once (a verified identity, or no address to confirm with), else a link is mailed."""
    report = await _report_or_404(request, db_session, token)
    if _is_decoy(report):  # nothing stored, nothing to erase: answered as a mailed confirmation is
        return Redirect(f"/s/{token}?forget=sent#your-data", status_code=303)
    erased = await forget_me.forget(db_session, report, mail=mail)
    if erased is None:
        return Redirect(f"/s/{token}?forget=sent#your-data", status_code=303)
    return _erasure_receipt(report, erased)


async def _erasure_request(request: Request[Any, Any, Any], db_session: AsyncSession, token: str) -> Report:
    """The report a mailed "forget me" link speaks for; its page speaks the customer's language."""
    return _in_customer_language(
        found(
            await forget_me.pending_request(db_session, token),
            _("This link has expired or was already used. Ask again from your status page."),
        )
    )


@get("/s/forget/{token:str}", include_in_schema=False)
async def forget_page(request: Request[Any, Any, Any], token: str, db_session: AsyncSession) -> Template:
    """Ask before erasing: mail scanners open links, only people press the button."""
    report = await _erasure_request(request, db_session, token)
    context = {"site": report.site, "token": token, "removed": None}
    return Template("pages/forget.html", context=context, headers=page_headers(private=True))


@post("/s/forget/{token:str}", include_in_schema=False)
async def confirm_forget(request: Request[Any, Any, Any], token: str, db_session: AsyncSession) -> Template:
    """Erase what the mailed link confirms, once, and show the receipt."""
    report = await _erasure_request(request, db_session, token)
    erased = found(
        await forget_me.confirm(db_session, token),
        _("This link has expired or was already used. Ask again from your status page."),
    )
    return _erasure_receipt(report, erased)


@post("/s/{token:str}/replies", include_in_schema=False)
async def reply(
    request: Request[Any, Any, Any],
    token: str,
    db_session: AsyncSession,
    data: dict[str, str] = Body(media_type=RequestEncodingType.URL_ENCODED),
) -> Template | Redirect:
    """The customer answers; it lands on the staff timeline."""
    report = await _report_or_404(request, db_session, token)
    try:
        if _is_decoy(report):
            check_message(data.get("body", ""))  # answered as a real reply is, and forgotten
        else:
            await conversation.add_reply(db_session, report=report, body=data.get("body", ""))
    except ValueError as exc:
        return await _render(db_session, report, reply=data.get("body", ""), reply_error=str(exc), status_code=400)
    return Redirect(f"/s/{token}#timeline", status_code=303)


@post("/s/{token:str}/gesture", include_in_schema=False)
async def choose_gesture(
    request: HTMXRequest,
    token: str,
    db_session: AsyncSession,
    mail: Mail,
    data: dict[str, str] = Body(media_type=RequestEncodingType.URL_ENCODED),
) -> Template | Redirect:
    """The customer picks a gesture, declines, or says what would make it right; answered where they are (panel or status page)."""
    report = await _report_or_404(request, db_session, token)
    picked, wish = data.get("choice", ""), data.get("wish", "")
    kind, _, gesture_id = picked.partition(":")
    error, status_code = None, 200
    try:
        if not _is_decoy(report):  # a decoy's answer is taken as given and forgotten
            await gesture_grants.choose(
                db_session,
                report=report,
                choice=kind,
                gesture_id=parse_id(gesture_id, "gesture_id"),
                wish=wish,
                mail=mail,
            )
    except gesture_grants.AlreadyChosen:
        pass  # answering twice shows the first answer, which stands
    except gesture_grants.GestureGone as exc:
        error, status_code, picked = str(exc), 409, ""
    except ValueError as exc:
        error, status_code = str(exc), 400
    if not request.htmx and error is None:
        return Redirect(f"/s/{token}#gesture", status_code=303)
    extra = {"gesture_error": error, "picked": picked, "wish": wish} if error else {}
    if request.htmx:
        context = {**await _gesture_context(db_session, report), **extra}
        return Template(
            "partials/gesture_choice.html", context=context, status_code=status_code, headers=page_headers(private=True)
        )
    return await _render(db_session, report, status_code=status_code, **extra)


async def _rated_report(request: Request[Any, Any, Any], db_session: AsyncSession, token: str) -> Report:
    """The report behind a status link, for its rating; a decoy's link has nothing to rate and is as unknown."""
    report = await _report_or_404(request, db_session, token)
    return found(
        None if _is_decoy(report) else report,
        _("This status link doesn't exist. Check that the whole link was copied."),
    )


async def _rating_page(db_session: AsyncSession, report: Report, *, status_code: int = 200, **extra: Any) -> Template:
    context = {"report": report, **await _rating_context(db_session, report), **extra}
    return Template("pages/rating.html", context=context, status_code=status_code, headers=page_headers(private=True))


@get("/s/{token:str}/rating", include_in_schema=False)
async def rating_page(request: Request[Any, Any, Any], token: str, db_session: AsyncSession) -> Template:
    """Ask "Did we make it right?"; records nothing, since mail link scanners follow links too."""
    return await _rating_page(db_session, await _rated_report(request, db_session, token))


@post("/s/{token:str}/rating", include_in_schema=False)
async def rate(
    request: Request[Any, Any, Any],
    token: str,
    db_session: AsyncSession,
    mail: Mail,
    data: dict[str, str] = Body(media_type=RequestEncodingType.URL_ENCODED),
) -> Template | Redirect:
    """The customer's answer, or their change to it; then their status page shows it."""
    report = await _rated_report(request, db_session, token)
    form = {"score": data.get("score", ""), "surprised": data.get("surprised"), "comment": data.get("comment", "")}
    try:
        await ratings.rate(db_session, report=report, answer=validate_answer(data), mail=mail)
    except AnswerInvalid as exc:
        return await _rating_page(db_session, report, status_code=400, form=form, rating_error=exc)
    except (ratings.NotYetRatable, ratings.RatingFinal):
        return await _rating_page(db_session, report, status_code=409)
    return Redirect(f"/s/{token}#rating", status_code=303)


async def _unsubscriber(request: Request[Any, Any, Any], db_session: AsyncSession, token: str) -> tuple[int, str]:
    """The site and address an unsubscribe link names; its page speaks one of the site's languages."""
    site_id, email = found(
        read_unsubscribe_token(request.app.state.settings.secret_key, token),
        _("This unsubscribe link isn't valid. Check that the whole link was copied."),
    )
    site = await site_by_id(db_session, site_id)
    if site:
        accept = request.headers.get("accept-language")
        set_locale(customer_language(site.languages, site.default_language, {}, accept))
    return site_id, email


@get("/u/{token:str}", include_in_schema=False)
async def unsubscribe_page(request: Request[Any, Any, Any], token: str, db_session: AsyncSession) -> Template:
    """Confirm before unsubscribing: link scanners follow GET links, people press buttons."""
    _site_id, email = await _unsubscriber(request, db_session, token)
    return Template(
        "pages/unsubscribe.html",
        context={"email": email, "token": token, "done": False},
        headers=page_headers(private=True),
    )


@post("/u/{token:str}", include_in_schema=False)
async def unsubscribe(request: Request[Any, Any, Any], token: str, db_session: AsyncSession) -> Template:
    """Stop closure mail from this site to this address (also the RFC 8058 one-click POST from mail clients)."""
    site_id, email = await _unsubscriber(request, db_session, token)
    await known_issues.unsubscribe(db_session, site_id, email)
    return Template(
        "pages/unsubscribe.html",
        context={"email": email, "token": token, "done": True},
        headers=page_headers(private=True),
    )


handlers: list[ControllerRouterHandler] = [
    status_page,
    download_data,
    forget,
    forget_page,
    confirm_forget,
    reply,
    choose_gesture,
    rating_page,
    rate,
    unsubscribe_page,
    unsubscribe,
]
