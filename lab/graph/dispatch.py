"""From one HTTPS request to one answer: identity platform or Graph, faults, request log.

Order for a Graph call: bearer token (401), injected throttling (429/503), route (400/405),
handler under the state lock, lost answer (writes only: applied, then the connection
closes), stall (the answer is held), send.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from lab.graph import identity, routes
from lab.graph.call import Answer, Call
from lab.graph.errors import AadError, GraphError
from lab.graph.faults import Faults, Throttle
from lab.graph.state import GraphState, Request
from lab.graph.wire import Incoming, Reply

log = logging.getLogger(__name__)
GRAPH_JSON = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;"
    "charset=utf-8"
)
AAD_JSON = "application/json; charset=utf-8"
DIAGNOSTIC = '{"ServerInfo":{"DataCenter":"Loopback","Slice":"E","Ring":"0","ScaleUnit":"000","RoleInstance":"GRAPH-SIMULATOR"}}'  # noqa: E501
_DISCOVERY = re.compile(r"^/([^/]+)/v2\.0/\.well-known/openid-configuration/?$")
_TOKEN = re.compile(r"^/([^/]+)/oauth2/v2\.0/token/?$")
_VERSION = re.compile(r"^(v\d+(\.\d+)?|beta)$", re.IGNORECASE)


@dataclass
class Dispatcher:
    """Answers requests for one simulator; `url` is its https origin."""

    state: GraphState
    faults: Faults
    secret: bytes
    url: str
    log: list[Request]

    def __call__(self, incoming: Incoming) -> Reply:
        request_id = str(uuid.uuid4())
        client_request_id = incoming.headers.get("client-request-id") or request_id
        parts = urlsplit(incoming.target)
        tenant_id: str | None = None
        try:
            reply, tenant_id = self._answer(incoming, parts.path, parts.query, request_id)
        except Exception as exc:  # a simulator bug: a 500 in Graph's shape, never a hang
            log.exception("Graph simulator failed on %s %s", incoming.method, incoming.target)
            error = GraphError(500, "generalException", f"simulator bug: {exc!r}")
            reply = _graph_reply(500, error.body(request_id, client_request_id))
        reply.headers["request-id"] = request_id
        reply.headers["client-request-id"] = client_request_id
        with self.state.lock:
            self.log.append(
                Request(
                    incoming.method,
                    parts.path,
                    parts.query,
                    request_id,
                    client_request_id,
                    reply.status,
                    tenant_id,
                    answered=not reply.drop,
                )
            )
        return reply

    def _answer(
        self, incoming: Incoming, path: str, query: str, request_id: str
    ) -> tuple[Reply, str | None]:
        discovery = _DISCOVERY.match(path)
        if discovery is not None and incoming.method == "GET":
            tenant_key = discovery[1]
            return self._identity(
                lambda: identity.discovery(self.state, tenant_key, self.url), request_id
            ), None
        token = _TOKEN.match(path)
        if token is not None and incoming.method == "POST":
            form = dict(parse_qsl(incoming.body.decode("utf-8", "replace")))
            tenant_key = token[1]
            return self._identity(
                lambda: identity.issue_token(self.state, tenant_key, form, self.url, self.secret),
                request_id,
            ), None
        segments = [unquote(s) for s in path.strip("/").split("/")]
        if segments and _VERSION.match(segments[0]):
            return self._graph(incoming, segments, query, request_id)
        text = b"Not a route of the Graph simulator"
        return Reply(404, text, {"Content-Type": "text/plain"}), None

    def _identity(self, answer: Callable[[], dict[str, object]], request_id: str) -> Reply:
        headers = {
            "Content-Type": AAD_JSON,
            "Cache-Control": "no-store, no-cache",
            "x-ms-request-id": request_id,
        }
        try:
            with self.state.lock:
                body, status = answer(), 200
        except AadError as exc:
            body, status = exc.body(request_id), exc.status
        return Reply(status, json.dumps(body).encode(), headers)

    def _graph(
        self, incoming: Incoming, segments: list[str], query: str, request_id: str
    ) -> tuple[Reply, str | None]:
        client_request_id = incoming.headers.get("client-request-id") or request_id
        version, rest = segments[0], segments[1:]
        tenant_id: str | None = None
        route: routes.Route | None = None
        try:
            if version not in routes.VERSIONS:
                raise GraphError(400, "BadRequest", f"Invalid version: {version}")
            with self.state.lock:
                caller = identity.check_bearer(
                    self.state, incoming.headers.get("Authorization"), self.secret
                )
            tenant_id = caller.tenant.id
            throttle = self.faults.take_throttle()
            if throttle is not None:
                return _throttled(throttle, caller, request_id, client_request_id), tenant_id
            route, args = routes.find(version, incoming.method, rest)
            call = Call(
                incoming.method, version, "/".join(rest), args, query, incoming.headers,
                incoming.body, caller, self.faults, f"{self.url}/{version}",
            )  # fmt: skip
            with self.state.lock:
                answer = route.handler(call)
        except GraphError as exc:
            answer = Answer(exc.status, exc.body(request_id, client_request_id))
            if exc.status == 401:
                answer.headers["WWW-Authenticate"] = 'Bearer realm="", error="invalid_token"'
        # The next write loses its answer whatever became of it: the client cannot tell.
        drop = route is not None and route.write and self.faults.take_lose()
        hold = self.faults.take_stall()
        if hold > 0:
            self.faults.released.wait(hold)
        reply = _graph_reply(answer.status, answer.body, answer.headers)
        reply.drop = drop
        return reply, tenant_id


def _graph_reply(
    status: int, body: dict[str, object] | None, extra: dict[str, str] | None = None
) -> Reply:
    headers = {
        "Cache-Control": "no-cache",
        "Strict-Transport-Security": "max-age=31536000",
        "x-ms-ags-diagnostic": DIAGNOSTIC,
        "x-ms-resource-unit": "1",
    }
    payload = b""
    if body is not None:
        headers["Content-Type"] = GRAPH_JSON if status < 400 else "application/json"
        if status < 400:
            headers["OData-Version"] = "4.0"
        payload = json.dumps(body).encode()
    headers.update(extra or {})
    return Reply(status, payload, headers)


def _throttled(
    throttle: Throttle, caller: identity.Caller, request_id: str, client_request_id: str
) -> Reply:
    if throttle.status == 429:
        error = GraphError(
            429,
            "TooManyRequests",
            f"Too many requests from Identifier:{caller.tenant.id}+{caller.app.client_id} "
            "under category:throttle.aad.ags.tenant. Please try again later.",
        )
    else:
        error = GraphError(
            503,
            "serviceNotAvailable",
            "The service is temporarily unavailable. Please retry after the time given in "
            "Retry-After.",
        )
    return _graph_reply(
        throttle.status,
        error.body(request_id, client_request_id),
        {"Retry-After": str(throttle.retry_after_s)},
    )
