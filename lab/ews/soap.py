"""SOAP envelopes and error shapes of the EWS simulator, as Exchange 2016 answers them."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.sax.saxutils import escape

S = "http://schemas.xmlsoap.org/soap/envelope/"
M = "http://schemas.microsoft.com/exchange/services/2006/messages"
T = "http://schemas.microsoft.com/exchange/services/2006/types"
E = "http://schemas.microsoft.com/exchange/services/2006/errors"
# The build the simulator claims: Exchange 2016 CU23; clients pin the same one.
BUILD = (15, 1, 2507, 6)
API_VERSION = "Exchange2016"

# How each operation wraps its response message: "messages" (ResponseMessages/<Op>ResponseMessage),
# "single" (<Op>Response/ResponseMessage, the availability services) or "flat" (the
# <Op>Response element is itself the response message).
RESPONSE_STYLE = {
    "GetUserOofSettings": "single",
    "SetUserOofSettings": "single",
    "GetInboxRules": "flat",
    "UpdateInboxRules": "flat",
    "GetDelegate": "flat",
    "GetFolder": "messages",
    "UpdateFolder": "messages",
    "ResolveNames": "messages",
}


class OperationError(Exception):
    """An EWS error code for the response message (HTTP 200) or a SOAP fault.

    `element`: the request element at fault, for an ErrorSchemaValidation fault's position.
    """

    def __init__(
        self, code: str, message: str, as_fault: bool = False, element: object = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.as_fault = as_fault
        self.element = element


def text(value: str) -> str:
    """XML-escaped text."""
    return escape(value, {'"': "&quot;"})


def stamp(value: datetime) -> str:
    """Second precision with Z: exchangelib 5.6 drops fractional-second times to None."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(body: str) -> bytes:
    """A full response envelope with the ServerVersionInfo header Exchange sends."""
    major, minor, build, revision = BUILD
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<s:Envelope xmlns:s="{S}" xmlns:m="{M}" xmlns:t="{T}">'
        f'<s:Header><h:ServerVersionInfo xmlns:h="{T}" MajorVersion="{major}" '
        f'MinorVersion="{minor}" MajorBuildNumber="{build}" MinorBuildNumber="{revision}" '
        f'Version="V2017_07_11"/></s:Header>'
        f"<s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


def success(operation: str, content: str = "", outer: str = "") -> bytes:
    """A NoError answer; `content` goes inside the response message, `outer` after it."""
    ok = "<m:ResponseCode>NoError</m:ResponseCode>"
    style = RESPONSE_STYLE[operation]
    if style == "flat":
        body = f'<m:{operation}Response ResponseClass="Success">{ok}{content}{outer}'
        return envelope(f"{body}</m:{operation}Response>")
    if style == "single":
        message = f'<m:ResponseMessage ResponseClass="Success">{ok}</m:ResponseMessage>'
        return envelope(f"<m:{operation}Response>{message}{content}</m:{operation}Response>")
    message = (
        f'<m:{operation}ResponseMessage ResponseClass="Success">{ok}{content}'
        f"</m:{operation}ResponseMessage>"
    )
    return envelope(
        f"<m:{operation}Response><m:ResponseMessages>{message}</m:ResponseMessages>"
        f"</m:{operation}Response>"
    )


def response_error(operation: str, code: str, message: str) -> bytes:
    """An error carried in the operation's response message (HTTP 200), e.g. ErrorAccessDenied."""
    inner = (
        f"<m:MessageText>{text(message)}</m:MessageText><m:ResponseCode>{code}</m:ResponseCode>"
        "<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>"
    )
    style = RESPONSE_STYLE.get(operation, "messages")
    if style == "flat":
        return envelope(
            f'<m:{operation}Response ResponseClass="Error">{inner}</m:{operation}Response>'
        )
    if style == "single":
        message_elem = f'<m:ResponseMessage ResponseClass="Error">{inner}</m:ResponseMessage>'
        return envelope(f"<m:{operation}Response>{message_elem}</m:{operation}Response>")
    message_elem = (
        f'<m:{operation}ResponseMessage ResponseClass="Error">{inner}'
        f"</m:{operation}ResponseMessage>"
    )
    return envelope(
        f"<m:{operation}Response><m:ResponseMessages>{message_elem}</m:ResponseMessages>"
        f"</m:{operation}Response>"
    )


def fault(code: str, message: str, back_off_ms: int | None = None) -> bytes:
    """A SOAP fault (sent with HTTP 500), as Exchange answers impersonation and throttling."""
    extra = ""
    if back_off_ms is not None:
        extra = f'<t:Value Name="BackOffMilliseconds">{back_off_ms}</t:Value>'
    return _fault(code, message, message, extra)


def schema_fault(violation: str, line: int, position: int) -> bytes:
    """ErrorSchemaValidation (HTTP 500) in the shape Exchange sends: the violation in the
    faultstring and again in MessageXml with where it is (Microsoft's documented examples)."""
    where = (
        f"<t:LineNumber>{line}</t:LineNumber><t:LinePosition>{position}</t:LinePosition>"
        f"<t:Violation>{text(violation)}</t:Violation>"
    )
    return _fault(
        "ErrorSchemaValidation",
        f"The request failed schema validation: {violation}",
        "The request failed schema validation.",
        where,
    )


def _fault(code: str, faultstring: str, message: str, message_xml: str) -> bytes:
    extra = f'<t:MessageXml xmlns:t="{T}">{message_xml}</t:MessageXml>' if message_xml else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<s:Envelope xmlns:s="{S}"><s:Body><s:Fault>'
        f'<faultcode xmlns:a="{T}">a:{code}</faultcode>'
        f'<faultstring xml:lang="en-US">{text(faultstring)}</faultstring>'
        f'<detail><e:ResponseCode xmlns:e="{E}">{code}</e:ResponseCode>'
        f'<e:Message xmlns:e="{E}">{text(message)}</e:Message>{extra}</detail>'
        "</s:Fault></s:Body></s:Envelope>"
    ).encode()


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
