"""Signing staff in through an OpenID Connect provider: discovery, the authorization code flow with PKCE, and
the ID token's checks, all through Authlib (and joserfc, the JOSE library Authlib itself decodes ID tokens with)."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from authlib.integrations.base_client.errors import OAuthError  # type: ignore[import-untyped]  # no type information
from authlib.integrations.httpx_client import AsyncOAuth2Client  # type: ignore[import-untyped]
from authlib.oidc.core import CodeIDToken  # type: ignore[import-untyped]
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.sso import SsoIdentity, SsoRefused, identity_from_claims, may_join
from portal.i18n import gettext as _
from portal.models import Staff, utcnow
from portal.services import limits
from portal.services.staff import upsert_staff
from portal.settings import Settings

TIMEOUT = 10.0  # seconds for each call to the provider
LEEWAY = 120  # seconds of clock difference with the provider tolerated in `exp` and `iat`
SCOPE = "openid email profile"


class SsoUnavailable(Exception):
    """The provider could not be reached, or answered something that is not OpenID Connect."""


class SsoExpired(SsoRefused):
    """The callback does not belong to a sign-in this browser started, or that sign-in was already finished."""


@dataclass(frozen=True)
class Provider:
    """What the provider's discovery document says, as far as Mend uses it."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: tuple[str, ...]


@dataclass(frozen=True)
class SsoSignIn:
    """Whom the provider signed in, and whether they joined just now (an agent on no site yet)."""

    staff: Staff
    joined: bool


# Per process: discovery documents rarely change, and keys are fetched again when a token names an unknown one.
_providers: dict[str, Provider] = {}
_key_sets: dict[str, KeySet] = {}


async def _get_json(url: str) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            response = await client.get(url, headers={"accept": "application/json"})
            response.raise_for_status()
            document = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SsoUnavailable(f"{url}: {exc}") from exc
    if not isinstance(document, dict):
        raise SsoUnavailable(f"{url}: not a JSON object")
    return document


async def discover(issuer: str) -> Provider:
    """The provider behind `issuer`, from its discovery document (fetched once per process)."""
    if issuer not in _providers:
        document = await _get_json(f"{issuer.rstrip('/')}/.well-known/openid-configuration")
        try:
            provider = Provider(
                issuer=str(document["issuer"]),
                authorization_endpoint=str(document["authorization_endpoint"]),
                token_endpoint=str(document["token_endpoint"]),
                jwks_uri=str(document["jwks_uri"]),
                # "none" would accept unsigned tokens; RS256 is what every provider must support.
                algorithms=tuple(
                    a for a in document.get("id_token_signing_alg_values_supported", ["RS256"]) if a != "none"
                ),
            )
        except KeyError as exc:
            raise SsoUnavailable(f"{issuer}: discovery document lacks {exc}") from exc
        if provider.issuer.rstrip("/") != issuer.rstrip("/"):
            raise SsoUnavailable(f"{issuer}: discovery document names another issuer, {provider.issuer}")
        _providers[issuer] = provider
    return _providers[issuer]


async def _keys(provider: Provider, *, refresh: bool = False) -> KeySet:
    if refresh or provider.jwks_uri not in _key_sets:
        try:
            _key_sets[provider.jwks_uri] = KeySet.import_key_set(await _get_json(provider.jwks_uri))  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError) as exc:
            raise SsoUnavailable(f"{provider.jwks_uri}: {exc}") from exc
    return _key_sets[provider.jwks_uri]


def _client(settings: Settings) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        scope=SCOPE,
        redirect_uri=f"{settings.base_url}/staff/sso/callback",
        code_challenge_method="S256",
        timeout=TIMEOUT,
    )


async def start(settings: Settings) -> tuple[str, dict[str, str]]:
    """Where to send the browser to sign in, and the secrets the callback must find again in its session:
    `state` (this browser started it), `nonce` (the ID token was minted for it) and the PKCE verifier."""
    assert settings.oidc_issuer
    provider = await discover(settings.oidc_issuer)
    pending = {
        "state": secrets.token_urlsafe(32),
        "nonce": secrets.token_urlsafe(32),
        "verifier": secrets.token_urlsafe(48),  # 64 characters: PKCE wants 43 to 128
    }
    async with _client(settings) as client:
        url, _state = client.create_authorization_url(
            provider.authorization_endpoint,
            state=pending["state"],
            code_verifier=pending["verifier"],
            nonce=pending["nonce"],
        )
    return str(url), pending


async def finish(session: AsyncSession, settings: Settings, pending: object, params: Mapping[str, str]) -> SsoSignIn:
    """The staff member the provider's answer (the callback's query) signs in, for the sign-in `pending`
    started; refused unless every check passes. Commits."""
    if (
        not isinstance(pending, dict)
        or not isinstance(pending.get("state"), str)
        or not hmac.compare_digest(pending["state"], params.get("state", ""))
    ):
        raise SsoExpired(_("This sign-in link has expired or was already used. Please start again."))
    assert settings.oidc_issuer
    provider = await discover(settings.oidc_issuer)
    # RFC 9207: an answer that names its issuer must name ours, or it was meant for another provider's sign-in.
    if params.get("iss", provider.issuer) != provider.issuer:
        raise SsoRefused(_("The sign-in provider's answer could not be verified. Please start again."))
    if "error" in params:
        reason = params.get("error_description") or params["error"]
        raise SsoRefused(_("The sign-in provider did not sign you in (%(reason)s).", reason=reason))
    try:
        async with _client(settings) as client:
            token = await client.fetch_token(
                provider.token_endpoint, code=params.get("code", ""), code_verifier=pending.get("verifier")
            )
    except OAuthError as exc:
        # A code used twice, or expired, lands here: the provider says no, not that it is down.
        reason = exc.error
        raise SsoExpired(
            _("The sign-in provider refused this sign-in (%(reason)s). Please start again.", reason=reason)
        ) from exc
    except (httpx.HTTPError, ValueError) as exc:
        raise SsoUnavailable(f"{provider.token_endpoint}: {exc}") from exc
    if not isinstance(token.get("id_token"), str):
        raise SsoUnavailable(f"{provider.token_endpoint}: no ID token in the answer")
    return await accept_id_token(
        session, settings, token["id_token"], nonce=str(pending.get("nonce")), access_token=token.get("access_token")
    )


async def accept_id_token(
    session: AsyncSession,
    settings: Settings,
    id_token: str,
    *,
    nonce: str,
    access_token: str | None = None,
    now: datetime | None = None,
) -> SsoSignIn:
    """The staff member a fresh ID token names: signed with the provider's keys, from its issuer, for this
    client, unexpired, carrying `nonce`, which is then used up, and a verified email. Commits."""
    assert settings.oidc_issuer
    assert settings.oidc_client_id
    now = now or utcnow()
    claims = await _verified_claims(
        await discover(settings.oidc_issuer), settings.oidc_client_id, id_token, nonce, access_token, now
    )
    # The nonce is remembered as long as a token carrying it could pass the checks above: a replayed
    # callback (or token) finds it used, even with a copy of the cookie that started the sign-in.
    expires = datetime.fromtimestamp(float(claims["exp"]) + LEEWAY, tz=now.tzinfo)
    used = await limits.hit(
        session,
        limits.counter_key("oidc-nonce", nonce),
        limit=1,
        window=max(expires - now, timedelta(seconds=1)),
        now=now,
    )
    await session.commit()
    if not used.allowed:
        raise SsoExpired(_("This sign-in was already used. Please start again."))
    identity = identity_from_claims(claims)
    staff = await session.scalar(select(Staff).where(Staff.email == identity.email))
    if staff is not None and not staff.is_active:
        raise SsoRefused(_("The Mend account for %(email)s has been deactivated.", email=identity.email))
    if staff is not None:
        return SsoSignIn(staff, joined=False)
    if not may_join(identity.email, settings.oidc_auto_join_domains or ()):
        raise SsoRefused(_("There is no Mend account for %(email)s. Ask an admin to invite you.", email=identity.email))
    staff = await _join(session, identity)
    await session.commit()
    return SsoSignIn(staff, joined=True)


async def _verified_claims(
    provider: Provider, client_id: str, id_token: str, nonce: str, access_token: str | None, now: datetime
) -> dict[str, Any]:
    registry = JWSRegistry(algorithms=list(provider.algorithms), strict_check_header=False)
    try:
        try:
            decoded = jwt.decode(id_token, await _keys(provider), registry=registry)
        except InvalidKeyIdError:  # the provider rotated its keys since they were fetched
            decoded = jwt.decode(id_token, await _keys(provider, refresh=True), registry=registry)
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {"iss": {"essential": True, "value": provider.issuer}, "aud": {"essential": True, "value": client_id}},
            {"nonce": nonce, "client_id": client_id, "access_token": access_token},
        )
        claims.validate(now=int(now.timestamp()), leeway=LEEWAY)
    except (JoseError, ValueError) as exc:
        raise SsoRefused(_("The sign-in provider's answer could not be verified. Please start again.")) from exc
    return dict(claims)


async def _join(session: AsyncSession, identity: SsoIdentity) -> Staff:
    """A new agent on no site; the password is random and never shown, so only single sign-on opens the account."""
    return await upsert_staff(
        session, email=identity.email, password=secrets.token_urlsafe(32), role="agent", name=identity.name, sites=[]
    )
