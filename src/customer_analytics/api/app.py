"""The read-only HTTP API for CRM apps over the published warehouse (docs/api.md).

Every data endpoint answers from the analytics views as the API key's principal sees them (a
DuckDB snapshot or Snowflake queries under that role), so rows and masking are the views'.
Every error is JSON: {"status", "error", "message"}; never a traceback.
"""

# No `from __future__ import annotations`: FastAPI reads the Annotated aliases defined inside
# create_app from the live annotations.
import logging
import re
from contextlib import asynccontextmanager
from typing import Annotated
from urllib.parse import parse_qsl, unquote_to_bytes

import anyio
from fastapi import Depends, FastAPI, Path, Query, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from starlette.exceptions import HTTPException

from customer_analytics.api import models
from customer_analytics.api.errors import (
    ApiError,
    InvalidParameter,
    NotFound,
    Unauthorized,
    Unavailable,
)
from customer_analytics.api.keys import KeyStore, Principal
from customer_analytics.api.search import normalise

log = logging.getLogger("customer_analytics.api")

MAX_LIMIT = 1000
MAX_KEY_IN_PATH = 200  # a longer client key is a 422
# Search: the longest q, the last page, the largest and the default page size.
MAX_QUERY, MAX_PAGE, PAGE_SIZE = 200, 100, 20
ERROR_RESPONSES = {
    status: {"model": models.Error, "description": description}
    for status, description in {
        401: "No API key, or one that is not in the key file.",
        403: "The analytics views refuse the key's principal.",
        422: "A parameter out of range, too long, or not UTF-8.",
        503: "Nothing is published yet, or the published warehouse cannot be read.",
    }.items()
}
STATUS_CODES = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}


def error_response(status: int, code: str, message: str, headers: dict | None = None):
    body = {"status": status, "error": code, "message": message}
    return JSONResponse(body, status_code=status, headers=headers)


def shown(value: str, limit: int = 64) -> str:
    """A caller's value inside a message: quoted, escaped, cut short."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


def validation_message(error: dict) -> str:
    """'query parameter 'limit': Input should be less than or equal to 1000' (no input echoed)."""
    location = [str(part) for part in error.get("loc", ())]
    where = location[0] if location else "request"
    name = ".".join(location[1:]) or where
    kind = {"query": "query parameter", "path": "path parameter", "header": "header"}.get(where)
    return f"{kind} {name!r}: {error.get('msg')}" if kind else f"{name}: {error.get('msg')}"


class RequireUtf8:
    """ASGI middleware: a URL whose percent-decoded path or query is not UTF-8 is a JSON 422
    (Starlette would silently turn the bytes into U+FFFD and search for those)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            for part in (scope.get("raw_path") or b"", scope.get("query_string") or b""):
                try:
                    unquote_to_bytes(part).decode("utf-8")
                except UnicodeDecodeError:
                    response = error_response(
                        422, "invalid_parameter", "the request URL is not valid UTF-8"
                    )
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)


class Shortcut:
    """ASGI middleware base: a GET request that `answer` can answer 200 from the caller's
    in-memory snapshot is answered here, before FastAPI's routing, dependency solving and
    response validation (about half of a cheap request's CPU). `answer` returns None for
    anything else — every error included — which goes on to the app, which answers it as it
    always does; what `answer` returns is the response the endpoint would build."""

    def __init__(self, app, reader, keys: KeyStore):
        self.app, self.reader, self.keys = app, reader, keys

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "GET":
            try:
                response = await self.answer(scope)
            except Exception:  # the app will answer (and log) it
                response = None
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def answer(self, scope) -> Response | None:
        raise NotImplementedError

    async def snapshot(self, scope):
        """The snapshot that answers the request's key (a key in the key file, a snapshot in
        memory: the DuckDB backend), or None."""
        # The first X-API-Key header, as Starlette's Headers.get reads it.
        key = next((value for name, value in scope["headers"] if name == b"x-api-key"), None)
        principal = self.keys.principal_for(key.decode("latin-1")) if key else None
        if principal is None:
            return None
        try:
            view = await self.reader.view(principal)
        except ApiError:
            return None
        return None if view.blocking else view


def json_body(body: bytes, view) -> Response:
    """A 200 JSON response with the headers FastAPI's path writes: content-length,
    content-type, then the endpoint's stamp."""
    response = Response(body, media_type="application/json")
    stamp(response, view)
    return response


class CachedProfiles(Shortcut):
    """A profile lookup answered from the snapshot's JSON body. Only a plain
    `GET /clients/{client_key}`: ASCII path without percent-encoding, no query string, a key in
    the key file, a snapshot in memory and a client the principal sees."""

    PREFIX = "/clients/"
    OTHER_ROUTES = frozenset({"search", "at-risk", "top-value"})

    async def answer(self, scope) -> Response | None:
        path = scope["path"]
        client_key = path[len(self.PREFIX) :]
        if (
            not path.startswith(self.PREFIX)
            or scope.get("query_string")
            or scope.get("root_path")
            or scope.get("raw_path") != path.encode("ascii", "replace")
            or not client_key
            or len(client_key) > MAX_KEY_IN_PATH
            or "/" in client_key
            or client_key in self.OTHER_ROUTES
        ):
            return None
        view = await self.snapshot(scope)
        body = view.profile_json(client_key) if view is not None else None
        return json_body(body, view) if body is not None else None


class FastSearch(Shortcut):
    """A search answered without FastAPI: only `GET /clients/search` (path not
    percent-encoded) whose query string has `q` and at most `page` and `page_size`, each once,
    all valid (a `q` of 1 to MAX_QUERY characters with a letter or a digit, page numbers as
    plain decimal digits in range), a key in the key file and a snapshot in memory. The body is
    SearchPage as FastAPI would validate and serialise it (Snapshot.search_json)."""

    PATH = "/clients/search"

    async def answer(self, scope) -> Response | None:
        if (
            scope["path"] != self.PATH
            or scope.get("raw_path") != b"/clients/search"
            or scope.get("root_path")
        ):
            return None
        params = search_parameters(scope.get("query_string") or b"")
        if params is None:
            return None
        view = await self.snapshot(scope)
        return json_body(view.search_json(*params), view) if view is not None else None


PLAIN_NUMBER = re.compile(r"[1-9][0-9]{0,2}")


def search_parameters(query_string: bytes) -> tuple[str, int, int] | None:
    """(q, page, page_size) of a search query string the endpoint would answer 200, parsed as
    Starlette parses it; None for anything else (FastAPI then decides)."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    found = dict(pairs)
    if len(found) != len(pairs) or not found.keys() <= {"q", "page", "page_size"}:
        return None
    query = found.get("q")
    if query is None or not 1 <= len(query) <= MAX_QUERY or not normalise(query):
        return None
    numbers = []
    for name, default, largest in (("page", 1, MAX_PAGE), ("page_size", PAGE_SIZE, MAX_PAGE)):
        text = found.get(name)
        if text is None:
            numbers.append(default)
        elif PLAIN_NUMBER.fullmatch(text) and int(text) <= largest:
            numbers.append(int(text))
        else:
            return None
    return query, *numbers


async def call(view, method, *args):
    """Run a view's method: at once when it answers from memory, else off the event loop."""
    if view.blocking:
        return await anyio.to_thread.run_sync(method, *args)
    return method(*args)


def stamp(response: Response, view) -> None:
    """Which publish answered: a new publish can switch between two requests of a client."""
    response.headers["X-Published-At"] = view.published_at.isoformat()
    if view.as_of_date:
        response.headers["X-As-Of-Date"] = view.as_of_date.isoformat()


def create_app(reader, keys: KeyStore, *, shortcuts: bool = True) -> FastAPI:
    """The API over `reader` (PublishedDuckDB or PublishedSnowflake), authenticating `keys`;
    shortcuts=False leaves out the CachedProfiles and FastSearch middleware (tests compare the
    two)."""

    @asynccontextmanager
    async def lifespan(_app):
        yield
        reader.close()

    app = FastAPI(
        title="customer_analytics API",
        summary="Read-only client 360, search, segments and business metrics for CRM apps.",
        version="1.0",
        lifespan=lifespan,
    )
    # The last added runs first: RequireUtf8 before the shortcuts, which read the query string.
    if shortcuts:
        app.add_middleware(CachedProfiles, reader=reader, keys=keys)
        app.add_middleware(FastSearch, reader=reader, keys=keys)
    app.add_middleware(RequireUtf8)
    api_key = APIKeyHeader(
        name="X-API-Key",
        auto_error=False,
        description="An API key of the key file (CA_API_KEYS); it names a role and a user.",
    )

    # async: a plain def would be run in a worker thread, a thread hop per request for a hash
    # and a few comparisons.
    async def authenticated(key: Annotated[str | None, Security(api_key)]) -> Principal:
        if not key:
            raise Unauthorized("missing API key: send it in the X-API-Key header")
        principal = keys.principal_for(key)
        if principal is None:
            raise Unauthorized("invalid API key")
        return principal

    Caller = Annotated[Principal, Depends(authenticated)]
    Limit = Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"How many clients, 1 to {MAX_LIMIT}.")
    ]

    async def answer(principal: Principal, response: Response, method: str, *args):
        """(the principal's view, what its `method` returns), the response stamped with the
        publish that answered."""
        view = await reader.view(principal)
        result = await call(view, getattr(view, method), *args)
        stamp(response, view)
        return view, result

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, error: ApiError):
        headers = {}
        if isinstance(error, Unavailable):
            headers["Retry-After"] = "1"
        if isinstance(error, Unauthorized):
            headers["WWW-Authenticate"] = "X-API-Key"
        return error_response(error.status, error.code, error.message, headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException):
        code = STATUS_CODES.get(error.status_code, "error")
        message = (
            f"no endpoint {request.method} {shown(request.url.path)}: see /docs"
            if error.status_code == 404
            else str(error.detail)
        )
        return error_response(error.status_code, code, message, getattr(error, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, error: RequestValidationError):
        message = "; ".join(validation_message(e) for e in error.errors()) or "invalid request"
        return error_response(422, "invalid_parameter", message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception):
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
        return error_response(500, "internal_error", "internal error; it is in the server log")

    @app.get("/health", response_model=models.Health, responses={503: {"model": models.Health}})
    async def health(key: Annotated[str | None, Security(api_key)] = None):
        """Liveness, when the served build was published, and (with an API key) its as-of date."""
        try:
            published = await reader.published()
        except Unavailable as error:
            body = models.Health(
                status="unavailable",
                backend=reader.backend,
                published_at=None,
                as_of_date=None,
                message=error.message,
            )
            return JSONResponse(body.model_dump(mode="json"), status_code=503)
        published_at, as_of_date = published.published_at, None
        if key is not None:
            # What this caller is served (a new publish may still be loading for it).
            view = await reader.view(await authenticated(key))
            published_at, as_of_date = view.published_at, view.as_of_date
        return {
            "status": "ok",
            "backend": reader.backend,
            "published_at": published_at,
            "as_of_date": as_of_date,
        }

    @app.get(
        "/clients/search",
        response_model=models.SearchPage,
        responses=ERROR_RESPONSES,
        tags=["clients"],
    )
    async def search_clients(
        principal: Caller,
        response: Response,
        q: Annotated[
            str,
            Query(
                min_length=1, max_length=MAX_QUERY, description="Name, email or postcode, fuzzy."
            ),
        ],
        page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="1 = the best matches.")] = 1,
        page_size: Annotated[int, Query(ge=1, le=MAX_PAGE)] = PAGE_SIZE,
    ):
        """Golden clients whose name, email or postcode resembles `q`, best first."""
        if not normalise(q):
            raise InvalidParameter("query parameter 'q': needs a letter or a digit")
        _, (total, found) = await answer(
            principal, response, "search", q, (page - 1) * page_size, page_size
        )
        return models.search_page(q, total, page, page_size, found)

    @app.get(
        "/clients/at-risk",
        response_model=models.AtRiskClients,
        responses=ERROR_RESPONSES,
        tags=["clients"],
    )
    async def at_risk(principal: Caller, response: Response, limit: Limit = 50):
        """Retention priorities: high-value clients at high churn risk, most revenue at risk
        first (v_retention_priorities)."""
        view, clients = await answer(principal, response, "at_risk", limit)
        return {"as_of_date": view.as_of_date, "count": len(clients), "clients": clients}

    @app.get(
        "/clients/top-value",
        response_model=models.TopValueClients,
        responses=ERROR_RESPONSES,
        tags=["clients"],
    )
    async def top_value(principal: Caller, response: Response, limit: Limit = 50):
        """Clients with the highest 12-month lifetime value (v_client_360)."""
        view, clients = await answer(principal, response, "top_value", limit)
        return {"as_of_date": view.as_of_date, "count": len(clients), "clients": clients}

    @app.get(
        "/clients/{client_key}",
        response_model=models.ClientProfile,
        responses={**ERROR_RESPONSES, 404: {"model": models.Error}},
        tags=["clients"],
    )
    async def client_profile(
        principal: Caller,
        client_key: Annotated[
            str, Path(max_length=MAX_KEY_IN_PATH, description="Golden client key.")
        ],
    ):
        """The client 360: attributes, value, scores, segment, territory, advisor, the products
        to offer with the product that suggests each, and its top products."""
        # The body as FastAPI would write it for the response model, serialised once per client
        # and snapshot (models.client_profile_json): returned as a Response, FastAPI neither
        # validates nor serialises it again. response_model still documents it.
        view = await reader.view(principal)
        body = await call(view, view.profile_json, client_key)
        if body is None:
            raise NotFound(f"no client {shown(client_key)} among the clients this key may see")
        response = Response(body, media_type="application/json")
        stamp(response, view)
        return response

    @app.get(
        "/segments", response_model=models.Segments, responses=ERROR_RESPONSES, tags=["metrics"]
    )
    async def segments(principal: Caller, response: Response):
        """The behaviour segments: size, revenue, CLV, churn (v_segment_summary)."""
        view, rows = await answer(principal, response, "segments")
        return {"as_of_date": view.as_of_date, "segments": rows}

    @app.get(
        "/metrics/monthly",
        response_model=models.MonthlyMetrics,
        responses=ERROR_RESPONSES,
        tags=["metrics"],
    )
    async def monthly_metrics(principal: Caller, response: Response):
        """Revenue, orders, clients and growth per calendar month (v_business_metrics)."""
        view, rows = await answer(principal, response, "monthly")
        return {"as_of_date": view.as_of_date, "months": rows}

    @app.get(
        "/metrics/health",
        response_model=models.BusinessHealth,
        responses=ERROR_RESPONSES,
        tags=["metrics"],
    )
    async def business_health(principal: Caller, response: Response):
        """The business-health score of the latest complete month, and the last 12 scored months."""
        view, rows = await answer(principal, response, "monthly")
        return models.business_health(rows, view.as_of_date)

    return app
