"""One customer's verified link to its tenant: the httpx client, msal on top of it, and
every request with its ids, time budget and Retry-After handling."""

from __future__ import annotations

import contextlib
import email.utils
import ssl
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx
import msal
import msal.authority
import msal.exceptions
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from runner_api.customers.models import EntraConfig
from runner_api.graph.errors import (
    GraphAuthError,
    GraphOutcomeUnknownError,
    GraphThrottledError,
    GraphUnavailableError,
    answer_error,
    request_id,
    sign_in_error,
)
from runner_api.graph.gateway import Budget, GraphCall
from runner_api.secrets.credentials import GraphCredential

# The token's resource is Graph's app id URI, per cloud; any other host (the lab's
# simulator) stands in for the global service and takes its URI.
GLOBAL_GRAPH = "https://graph.microsoft.com"
NATIONAL_GRAPHS = frozenset(
    {"graph.microsoft.us", "dod-graph.microsoft.us", "microsoftgraph.chinacloudapi.cn"}
)
# Retries of one request answered 429/503, whatever the budget left.
MAX_ATTEMPTS = 5
# When a 429/503 carries no Retry-After: wait this long times the attempt number.
DEFAULT_BACK_OFF_S = 1.0
_QUERY_SAFE = "$,'()"
# Errors raised before the request left this machine: it cannot have been applied.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def ssl_context(ca_pem: str) -> ssl.SSLContext:
    """The system's trust store plus `ca_pem`: explicit, so that no REQUESTS_CA_BUNDLE or
    CURL_CA_BUNDLE can replace what is trusted."""
    context = ssl.create_default_context()
    if ca_pem.strip():
        context.load_verify_locations(cadata=ca_pem)
    return context


def thumbprint(certificate_pem: str) -> str:
    """SHA-1 of the certificate, hex: how Entra ID names an app's certificate (x5t)."""
    cert = x509.load_pem_x509_certificate(certificate_pem.encode())
    return cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 (Entra's name for it)


class MsalHttp:
    """The requests-like surface msal calls (get, post, close; answers with status_code,
    text and headers) on the customer's verified httpx client."""

    def __init__(self, link: TenantLink) -> None:
        self._link = link

    def get(
        self, url: str, params: Any = None, headers: Mapping[str, Any] | None = None
    ) -> httpx.Response:
        budget = self._link.budget()
        return self._link.exchange("GET", url, budget, params=params, headers=headers)

    def post(
        self,
        url: str,
        params: Any = None,
        data: Any = None,
        headers: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        budget = self._link.budget()
        if isinstance(data, Mapping):
            # msal's assertion may be bytes: requests form-encodes them as text, httpx not.
            data = {k: v.decode() if isinstance(v, bytes) else v for k, v in data.items()}
        return self._link.exchange("POST", url, budget, params=params, data=data, headers=headers)

    def close(self) -> None:
        """msal closes its client on its own close(); the link owns the connection."""


class TenantLink:
    """A customer's httpx client (its own trust) and msal app (its own token cache)."""

    def __init__(self, customer: str, config: EntraConfig, credential: GraphCredential) -> None:
        self.customer = customer
        self.config = config
        self._credential = credential
        try:
            self._thumbprint = thumbprint(credential.certificate_pem)
        except ValueError:
            raise GraphAuthError(
                f"the certificate of customer {customer!r}'s graph credential is not a PEM "
                "certificate"
            ) from None
        # The budget of the call running on each thread, for msal's requests.
        self._scope = threading.local()
        self._lock = threading.Lock()
        self._app: msal.ConfidentialClientApplication | None = None
        self._client = httpx.Client(
            verify=ssl_context(credential.ca_pem),
            # No proxy or netrc from the environment: a token goes only where config says.
            trust_env=False,
            timeout=config.timeout_s,
            follow_redirects=False,
        )
        self._origin = _origin(config.graph_url)

    def close(self) -> None:
        self._client.close()

    @contextlib.contextmanager
    def scoped(self, budget: Budget) -> Iterator[None]:
        self._scope.budget = budget
        try:
            yield
        finally:
            self._scope.budget = None

    def budget(self) -> Budget:
        """The budget of the call msal is making on this thread."""
        return getattr(self._scope, "budget", None) or Budget()

    def _timeout(self, budget: Budget, what: str) -> float:
        left = budget.deadline - time.monotonic()
        if left <= 0:
            raise GraphUnavailableError(f"{what}: the run's time budget is spent")
        return min(self.config.timeout_s, left)

    # One HTTP exchange, recorded: msal's (authority) and ours (Graph).

    def exchange(
        self,
        method: str,
        url: str,
        budget: Budget,
        *,
        params: Any = None,
        data: Any = None,
        json: Any = None,
        headers: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        """Send one request within the budget; record it; raise httpx's errors as they are
        (callers decide what a lost answer means)."""
        timeout = self._timeout(budget, f"{method} {urlsplit(url).path}")
        sent = {k: str(v) for k, v in (headers or {}).items() if v is not None}
        client_id = sent.setdefault("client-request-id", str(uuid.uuid4()))
        started = time.perf_counter()
        response: httpx.Response | None = None
        try:
            response = self._client.request(
                method, url, params=params, data=data, json=json, headers=sent, timeout=timeout
            )
            return response
        finally:
            if budget.record is not None:
                budget.record(
                    GraphCall(
                        method=method,
                        path=urlsplit(url).path,
                        status=response.status_code if response is not None else None,
                        client_request_id=client_id,
                        request_id=_ids(response),
                        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
                    )
                )

    # Tokens.

    def _msal(self) -> msal.ConfidentialClientApplication:
        with self._lock:
            if self._app is None:
                authority = f"{self.config.authority_host}/{self.config.tenant_id}"
                microsoft = urlsplit(self.config.authority_host).hostname in msal_hosts()
                self._app = msal.ConfidentialClientApplication(
                    self._credential.client_id,
                    authority=authority,
                    client_credential={
                        "private_key": self._credential.private_key.get_secret_value(),
                        "thumbprint": self._thumbprint,
                    },
                    http_client=MsalHttp(self),
                    # Elsewhere (a national cloud, the lab's simulator) msal would ask
                    # Microsoft's public cloud whether the host is an authority.
                    instance_discovery=None if microsoft else False,
                )
            return self._app

    def token(self, budget: Budget) -> str:
        """An app-only token for Graph: from msal's cache, or from the token endpoint."""
        host = urlsplit(self._origin).hostname or ""
        resource = self._origin if host in NATIONAL_GRAPHS else GLOBAL_GRAPH
        scope = f"{resource}/.default"
        try:
            with self.scoped(budget):
                answer = self._msal().acquire_token_for_client([scope])
        except ValueError as exc:
            # msal's tenant discovery: a 4xx (no such tenant) or a malformed document.
            raise GraphAuthError(
                f"Entra ID does not know tenant {self.config.tenant_id!r} of customer "
                f"{self.customer!r} at {self.config.authority_host}: check entra.tenant_id "
                f"({str(exc).splitlines()[0][:200]})"
            ) from None
        except msal.exceptions.MsalServiceError as exc:
            raise GraphUnavailableError(
                f"the token endpoint of {self.config.authority_host} failed ({exc.error})"
            ) from None
        except httpx.HTTPError as exc:
            raise _link_error(f"sign-in at {self.config.authority_host}", exc) from None
        if not isinstance(answer, dict) or "access_token" not in answer:
            raise sign_in_error(self.customer, answer if isinstance(answer, dict) else {})
        return str(answer["access_token"])

    # Graph requests.

    def call(
        self,
        method: str,
        path_or_url: str,
        operation: str,
        budget: Budget,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        write: bool = False,
    ) -> httpx.Response:
        """One Graph request, retried after 429/503 as their Retry-After allows. An error
        answer raises its GraphError; a write that lost its answer GraphOutcomeUnknownError."""
        url = self._url(path_or_url)
        if params:
            # `$select`, not `%24select`: as Graph's documentation writes its options.
            url = f"{url}?{urlencode(params, quote_via=quote, safe=_QUERY_SAFE)}"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            token = self.token(budget)
            sent = {"Authorization": f"Bearer {token}", **(headers or {})}
            try:
                response = self.exchange(method, url, budget, json=json, headers=sent)
            except httpx.HTTPError as exc:
                if write and not isinstance(exc, _NOT_SENT):
                    raise GraphOutcomeUnknownError(
                        f"{operation}: the request was sent but its answer was lost "
                        f"({_why(exc, self.config.timeout_s)}): the change may or may not "
                        "have been applied"
                    ) from None
                raise _link_error(operation, exc) from None
            if response.status_code in (429, 503):
                self._wait(response, operation, budget, attempt)
                continue
            if response.status_code >= 400:
                error = answer_error(response, operation)
                if write and response.status_code in (500, 502, 504):
                    raise GraphOutcomeUnknownError(
                        f"{error.message}: the change may or may not have been applied",
                        status=response.status_code,
                        request_id=request_id(response),
                    )
                raise error
            return response
        raise GraphThrottledError(
            f"{operation}: still throttled after {MAX_ATTEMPTS} attempts", status=429
        )

    def _url(self, path_or_url: str) -> str:
        if not path_or_url.startswith("https://"):
            return f"{self.config.graph_url}{path_or_url}"
        # A nextLink: the token goes nowhere but the customer's Graph.
        if _origin(path_or_url) != self._origin:
            raise GraphUnavailableError(
                f"Graph sent a link to another host ({urlsplit(path_or_url).hostname}): "
                "not followed"
            )
        return path_or_url

    def _wait(self, response: httpx.Response, operation: str, budget: Budget, attempt: int) -> None:
        wait = retry_after(response, DEFAULT_BACK_OFF_S * attempt)
        status, rid = response.status_code, request_id(response)
        if wait > self.config.max_retry_wait_s:
            limit = f"max_retry_wait_s {self.config.max_retry_wait_s:g} s"
        elif time.monotonic() + wait >= budget.deadline:
            limit = "the run's time budget has left"
        else:
            time.sleep(wait)
            return
        error = GraphThrottledError(
            f"{operation}: throttled (HTTP {status}); Graph asks to wait {wait:g} s, more "
            f"than {limit} (request-id {rid})",
            status=status,
            request_id=rid,
        )
        error.retry_after_s = wait
        raise error


def retry_after(response: httpx.Response, default: float) -> float:
    """Retry-After in seconds (a number or an HTTP date); `default` when absent or bad."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


def msal_hosts() -> frozenset[str]:
    """The authority hosts msal knows as Microsoft's own."""
    return frozenset(msal.authority.WELL_KNOWN_AUTHORITY_HOSTS)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _ids(response: httpx.Response | None) -> str | None:
    if response is None:
        return None
    # Graph answers `request-id`; the token endpoint `x-ms-request-id`.
    found = response.headers.get("request-id") or response.headers.get("x-ms-request-id")
    return str(found) if found else None


def _why(exc: httpx.HTTPError, timeout_s: float) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer within {timeout_s:g} s"
    return f"{type(exc).__name__}: the connection failed or was dropped"


def _link_error(what: str, exc: httpx.HTTPError) -> GraphUnavailableError:
    if isinstance(exc, httpx.TimeoutException):
        reason = "no answer in time (timeout_s or the run's time budget)"
    elif isinstance(exc, httpx.ConnectError):
        cause = str(exc)
        tls = "CERTIFICATE_VERIFY_FAILED" in cause or "SSL" in cause
        reason = "the TLS check failed" if tls else "cannot connect"
    else:
        reason = "the connection was dropped"
    return GraphUnavailableError(f"{what}: Graph unavailable: {reason} ({type(exc).__name__})")
