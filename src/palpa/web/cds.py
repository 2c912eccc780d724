"""CDS Hooks 2.0 endpoints: discovery, service calls (412 when data cannot be had), feedback, CORS.

Service calls and feedback require a CDS Client JWT ("Trusting CDS Clients"; 401 naming what failed)
when PALPA_CDS_TRUSTED_ISSUERS configures trusted issuers, unless PALPA_CDS_AUTH=off (see
palpa.web.cds_auth); discovery stays open. `include_cds(app)` reads those settings into
`app.state.cds_auth` (a bad issuers file fails start-up) and adds the router and a CORS layer
that covers only /cds-services paths (origins from PALPA_CDS_ORIGINS, comma-separated; default
`*`). Missing prefetch is fetched from the request's `fhirServer` with its bearer token
(timeout PALPA_CDS_FHIR_TIMEOUT seconds, default 2);
when it cannot be, the answer is 412 as the specification says.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from typing import Any

import httpx
import orjson
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from palpa.core.knowledge import KnowledgeBase
from palpa.interop import cds_hooks
from palpa.interop.cds_hooks import CdsRequestError
from palpa.store import UnitOfWork
from palpa.store.cds_repo import CdsFeedbackRepository
from palpa.web.cds_auth import CdsAuthenticator, DatabaseReplayCache, require_cds_client

router = APIRouter(tags=["cds-hooks"])
CDS_PATH = "/cds-services"
MAX_PAGES = 5
OUTCOMES = ("accepted", "overridden")


class FetchFailed(Exception):
    """The CDS client's FHIR server did not give the data a prefetch template asks for."""


def _json(content: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(content), status_code=status, media_type="application/json")


def _bad_request(exc: CdsRequestError) -> JSONResponse:
    return JSONResponse({"detail": str(exc), "field": exc.field}, status_code=400)


def _service(service_id: str) -> cds_hooks.ServiceDef:
    service = cds_hooks.SERVICES.get(service_id)
    if service is None:
        raise HTTPException(404, f"unknown CDS service '{service_id}'")
    return service


@router.get(CDS_PATH)
def discover() -> Response:
    """The discovery document: every Palpa CDS Service with its hook and prefetch templates."""
    return _json(cds_hooks.discovery())


async def fetch_prefetch(app: FastAPI, server: str, token: str | None,
                         queries: Mapping[str, str]) -> dict[str, Any]:
    """Each query run on the client's FHIR server (up to MAX_PAGES search pages); else FetchFailed."""
    timeout = float(os.environ.get("PALPA_CDS_FHIR_TIMEOUT", "2"))
    headers = {"Accept": "application/fhir+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    transport: httpx.AsyncBaseTransport | None = getattr(app.state, "cds_fhir_transport", None)
    out: dict[str, Any] = {}
    async with httpx.AsyncClient(timeout=timeout, transport=transport, headers=headers) as client:
        for key, query in queries.items():
            url: str | None = f"{server.rstrip('/')}/{query}"
            first: dict[str, Any] | None = None
            for _ in range(MAX_PAGES):
                if url is None:
                    break
                try:
                    r = await client.get(url)
                except httpx.HTTPError as exc:
                    raise FetchFailed(f"{key}: {type(exc).__name__}") from None
                if r.status_code != 200:
                    raise FetchFailed(f"{key}: the FHIR server answered {r.status_code}")
                try:
                    page = r.json()
                except ValueError:
                    raise FetchFailed(f"{key}: the FHIR server did not answer JSON") from None
                if not isinstance(page, dict) or "resourceType" not in page:
                    raise FetchFailed(f"{key}: the FHIR server did not answer a resource")
                if first is None:
                    first = page
                elif isinstance(page.get("entry"), list):
                    first.setdefault("entry", []).extend(page["entry"])
                url = next((link.get("url") for link in page.get("link", []) or []
                            if isinstance(link, dict) and link.get("relation") == "next"), None)
            out[key] = first
    return out


@router.post(CDS_PATH + "/{service_id}", responses={400: {}, 401: {}, 404: {}, 412: {}},
             dependencies=[Depends(require_cds_client)])
async def call_service(service_id: str, request: Request) -> Response:
    """Run one CDS Service on a hook request; `{"cards": []}` when there is nothing to say."""
    service = _service(service_id)
    kb: KnowledgeBase = request.app.state.knowledge
    try:
        hook_request = cds_hooks.parse_request(await request.body())
        if not cds_hooks.has_work(service, hook_request):
            return _json({"cards": []})
        missing = cds_hooks.missing_prefetch(service, hook_request) or {}
        fetched: dict[str, Any] = {}
        required = [key for key in missing if key not in service.optional]
        server = hook_request.fhir_server
        if required and server is None:
            return _json({"detail": "prefetch missing (" + ", ".join(required)
                          + ") and no fhirServer to fetch it from"}, 412)
        if missing and server is not None:
            try:
                fetched = await fetch_prefetch(request.app, server, hook_request.access_token, missing)
            except FetchFailed as exc:
                return _json({"detail": f"prefetch missing and the FHIR server could not supply it ({exc})"},
                             412)
        return _json(cds_hooks.respond(service, hook_request, kb, fetched))
    except CdsRequestError as exc:
        return _bad_request(exc)


def parse_feedback(raw: bytes) -> list[dict[str, Any]]:
    """Feedback items checked against the spec's Feedback section (CdsRequestError naming the field)."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise CdsRequestError("body", f"not valid JSON ({exc})") from None
    items = body.get("feedback") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise CdsRequestError("feedback", "is required: a non-empty array")
    out = []
    for i, item in enumerate(items):
        where = f"feedback[{i}]"
        if not isinstance(item, dict):
            raise CdsRequestError(where, "must be an object")
        card, outcome, stamp = item.get("card"), item.get("outcome"), item.get("outcomeTimestamp")
        if not isinstance(card, str) or not card:
            raise CdsRequestError(f"{where}.card", "is required: the card's uuid")
        if outcome not in OUTCOMES:
            raise CdsRequestError(f"{where}.outcome", "must be 'accepted' or 'overridden'")
        try:
            at = dt.datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
        except ValueError:
            at = None
        if at is None or at.tzinfo is None:
            raise CdsRequestError(f"{where}.outcomeTimestamp",
                                  "is required: an ISO timestamp with a time zone")
        accepted: list[str] | None = None
        if outcome == "accepted":
            chosen = item.get("acceptedSuggestions")
            if not isinstance(chosen, list) or not chosen:
                raise CdsRequestError(f"{where}.acceptedSuggestions", "is required for an accepted outcome")
            accepted = []
            for j, s in enumerate(chosen):
                if not isinstance(s, dict) or not isinstance(s.get("id"), str) or not s["id"]:
                    raise CdsRequestError(f"{where}.acceptedSuggestions[{j}].id", "is required: a string")
                accepted.append(s["id"])
        reason = item.get("overrideReason")
        if reason is not None and (not isinstance(reason, dict) or not (
                isinstance(reason.get("reason"), dict) or isinstance(reason.get("userComment"), str))):
            raise CdsRequestError(f"{where}.overrideReason", "must hold a reason Coding or a userComment")
        out.append({"card_uuid": card, "outcome": outcome, "outcome_at": at,
                    "accepted_suggestions": accepted, "override_reason": reason})
    return out


@router.post(CDS_PATH + "/{service_id}/feedback", responses={400: {}, 401: {}, 404: {}},
             dependencies=[Depends(require_cds_client)])
async def feedback(service_id: str, request: Request) -> Response:
    """Store what the clinician did with Palpa's cards (accepted suggestions or overrides)."""
    _service(service_id)
    try:
        items = parse_feedback(await request.body())
    except CdsRequestError as exc:
        return _bad_request(exc)
    with UnitOfWork(request.app.state.session_factory) as uow:
        repo = CdsFeedbackRepository(uow.session)
        for item in items:
            repo.add(service_id, **item)
        uow.commit()
    return _json({"stored": len(items)})


class CdsCors:
    """CORS for EHR origins on /cds-services paths only; other paths pass through untouched."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(app, allow_origins=origins, allow_methods=["GET", "POST", "OPTIONS"],
                                   allow_headers=["Authorization", "Content-Type"], max_age=600)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (path == CDS_PATH or path.startswith(CDS_PATH + "/")):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def cds_origins() -> list[str]:
    """EHR origins allowed by CORS: PALPA_CDS_ORIGINS (comma-separated), default every origin."""
    raw = os.environ.get("PALPA_CDS_ORIGINS", "*")
    return [o.strip() for o in raw.split(",") if o.strip()] or ["*"]


def include_cds(app: FastAPI) -> None:
    """Add the CDS Hooks endpoints and their CORS layer to `app` (call before it starts; once is enough)."""
    if getattr(app.state, "cds_included", False):
        return
    auth = CdsAuthenticator.from_env()
    auth.warn_if_off()
    if hasattr(app.state, "session_factory"):  # one use per token across every worker
        auth.replay = DatabaseReplayCache(app.state.session_factory)
    app.state.cds_auth = auth
    app.include_router(router)
    app.add_middleware(CdsCors, origins=cds_origins())
    app.state.cds_included = True
