"""OPTIONS for paths that several handlers serve.

Litestar builds a path's automatic OPTIONS answer when the path's first handler is registered and keeps
it when more arrive, so `Allow` would name only the first handler's methods (GET /api/v1/reports lives in
the staff API, POST in the intake API). A path served by several handlers gets an OPTIONS handler of its
own, registered first, listing them all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from litestar import Response, route
from litestar.handlers import HTTPRouteHandler
from litestar.status_codes import HTTP_204_NO_CONTENT
from litestar.types import ControllerRouterHandler


def _options(path: str, methods: Sequence[str]) -> HTTPRouteHandler:
    allow = ", ".join(sorted({*methods, "OPTIONS"}))

    @route(path, http_method=["OPTIONS"], include_in_schema=False, name=f"options:{path}")
    async def options() -> Response[None]:
        return Response(None, status_code=HTTP_204_NO_CONTENT, headers={"Allow": allow})

    return options


def with_options(handlers: Sequence[ControllerRouterHandler]) -> list[ControllerRouterHandler]:
    """The handlers, preceded by an OPTIONS handler for each path that more than one of them serves."""
    methods: dict[str, list[str]] = defaultdict(list)
    served: dict[str, int] = defaultdict(int)
    for handler in handlers:
        if isinstance(handler, HTTPRouteHandler):
            for path in handler.paths:
                methods[path] += handler.http_methods
                served[path] += 1
    shared = [_options(path, methods[path]) for path, count in served.items() if count > 1]
    return [*shared, *handlers]
