"""The OpenAPI description of POST /api/v1/reports: the intake rules as the validator applies them
(built from the same patterns and limits), and every status the endpoint answers with its body.

Litestar derives only types from `ReportIn`; the rules live in `portal.domain.intake` so that the API
keeps answering with the validator's translated, per-field messages. The schemathesis test holds the
two to each other: a body this schema accepts is accepted, and one it refuses is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.spec import (
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    Schema,
)
from litestar.openapi.spec import RequestBody as OpenAPIRequestBody

from portal.domain.intake import LIMITS, NOT_BLANK, NOT_EMPTY, PATTERNS, RANGES
from portal.routes.errors import RETRY_AFTER_SECONDS

NO_NUL = "^[^\\u0000]*$"  # any text without a NUL byte, which nothing can store
STRING_OR_NULL = [OpenAPIType.STRING, OpenAPIType.NULL]
FIELD_DOCS = {
    "description": "What went wrong, in the customer's words.",
    "suggestion": "How we could prevent it, in the customer's words.",
    "email": "Where to send the apology and updates. Non-ASCII letters before the @ are accepted only when the "
    "portal's SMTP server offers SMTPUTF8 (PORTAL_SMTP_UTF8); this pattern shows the default.",
    "name": "The customer's name, as they would like to be greeted.",
    "customer_id": "The host's id for a signed-in customer; trusted only with a valid customer_sig.",
    "customer_sig": "Hex HMAC-SHA256 of customer_id (or of `customer_id|tier=<tier>`) with the site's secret.",
    "customer_tier": "The host's tier for the customer; trusted only when customer_sig covers it.",
    "page_url": "The page the customer was on.",
    "referrer": "The page before it.",
    "viewport": "The browser window's size, WIDTHxHEIGHT.",
    "location": "The store, region or branch the host names.",
}
INTEGER_DOCS = {
    "busy": "How busy the host says it is, 0–100.",
    "tz_offset_min": "The customer's offset east of UTC, in minutes.",
}


def _text(field: str) -> Schema:
    return Schema(
        type=STRING_OR_NULL,
        max_length=LIMITS[field],
        pattern=PATTERNS[field],
        description=FIELD_DOCS[field],
    )


def _integer(field: str) -> Schema:
    low, high = RANGES[field]
    return Schema(
        type=[OpenAPIType.INTEGER, OpenAPIType.NULL], minimum=low, maximum=high, description=INTEGER_DOCS[field]
    )


REPORT_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    description="A report. Text is checked as sent, then trimmed; an empty or blank field is the same as none. "
    "Give a description, a category, or both.",
    required=["site_key"],
    properties={
        "site_key": Schema(type=OpenAPIType.STRING, pattern=NO_NUL, description="The embed snippet's data-site."),
        "category": Schema(
            type=STRING_OR_NULL,
            pattern=NO_NUL,
            description="One of the site's category slugs, as its settings lists them.",
        ),
        **{field: _text(field) for field in FIELD_DOCS},
        **{field: _integer(field) for field in INTEGER_DOCS},
        "lang": Schema(
            type=STRING_OR_NULL,
            description="The customer's language (a BCP 47 tag); the site's default when it offers none of it.",
        ),
        "website": Schema(type=STRING_OR_NULL, description="Leave out: a field people never see."),
    },
    any_of=[
        Schema(
            required=["description"], properties={"description": Schema(type=OpenAPIType.STRING, pattern=NOT_BLANK)}
        ),
        Schema(required=["category"], properties={"category": Schema(type=OpenAPIType.STRING, pattern=NOT_EMPTY)}),
    ],
)
ERROR_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["status_code", "detail"],
    properties={
        "status_code": Schema(type=OpenAPIType.INTEGER),
        "detail": Schema(type=OpenAPIType.STRING, description="What went wrong, in the customer's language."),
        "extra": Schema(
            description="400: `fields` maps each refused field to its message (or, for a body of the wrong shape, "
            "a list of `{message, key, source}`); 500: `request_id`, the reference the detail quotes."
        ),
    },
)
RETRY_AFTER: dict[str, OpenAPIHeader | Reference] = {
    "Retry-After": OpenAPIHeader(
        schema=Schema(type=OpenAPIType.INTEGER), required=True, description="Seconds to wait before sending again."
    )
}
ERRORS = {
    "400": ("A field breaks a rule (each is named), the body is not a report, or it is not UTF-8.", None),
    "403": ("The page sending it (Origin) is not one of the site's allowed origins.", None),
    "404": ("No site has this key.", None),
    "413": ("The body is larger than the portal takes.", None),
    "415": ("The body is not sent as application/json.", None),
    "429": ("Too many reports from this address, or to this site, in the last minute.", RETRY_AFTER),
    "500": ("An unexpected failure; the detail quotes a reference that the portal's log holds.", None),
    "503": (f"The database is not answering; try again (Retry-After: {RETRY_AFTER_SECONDS}).", RETRY_AFTER),
}


@dataclass
class ReportOperation(Operation):
    """The operation Litestar generates for create_report, with the intake rules and its error answers."""

    def __post_init__(self) -> None:
        self.request_body = OpenAPIRequestBody(
            required=True, content={"application/json": OpenAPIMediaType(schema=REPORT_SCHEMA)}
        )
        self.responses = {
            **(self.responses or {}),
            **{
                status: OpenAPIResponse(
                    description=description,
                    headers=headers,
                    content={"application/json": OpenAPIMediaType(schema=ERROR_SCHEMA)},
                )
                for status, (description, headers) in ERRORS.items()
            },
        }
