"""The printable evidence page: plain server-rendered HTML, no scripts, no outside assets."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html import escape
from typing import Any

# Long unbroken values (hashes, signatures, JSON strings) wrap anywhere, so the page fits
# the window and the paper instead of running 2,000 px wide.
_STYLE = (
    "body{font:13px/1.4 sans-serif;margin:2em}table{border-collapse:collapse;width:100%}"
    "td,th{border:1px solid #999;padding:3px 6px;text-align:left;vertical-align:top}"
    "td{overflow-wrap:anywhere}pre{white-space:pre-wrap;margin:0}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
# The page stays one self-contained file (saved or printed as it is): its one inline
# stylesheet is allowed by its hash, and nothing else runs or loads (no script at all).
EVIDENCE_CSP = f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; base-uri 'none'"


def _cell(value: Any) -> str:
    if isinstance(value, dict | list):
        return f"<pre>{escape(json.dumps(value, indent=1, ensure_ascii=False))}</pre>"
    return escape("" if value is None else str(value))


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    # Each cell is classed by its column (e.g. `verification`), for readers and tests.
    classes = [re.sub(r"[^a-z0-9]+", "-", h.lower()).strip("-") for h in headers]
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f"<td class='{c}'>{_cell(v)}</td>" for c, v in zip(classes, row, strict=True))
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _verification(verification: dict[str, Any] | None) -> str:
    """How the caller was verified, as the run recorded it: method, then the note."""
    if not verification:
        return "none recorded"
    note = verification.get("note") or ""
    return f"{verification.get('method')}: {note}" if note else str(verification.get("method"))


def _approvals(steps: list[dict[str, Any]]) -> str:
    """Each step of a run's approval on a line: what, by whom, when, and the comment."""
    if not steps:
        return "none"
    lines = []
    for step in steps:
        said = f" ({step['comment']})" if step.get("comment") else ""
        lines.append(f"{step['step']} by {step['by']} at {step['at']}{said}")
    return "; ".join(lines)


def evidence_html(pack: dict[str, Any]) -> str:
    """The evidence pack as one self-contained page."""
    ticket = escape(pack["ticket_id"])
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>Evidence {ticket}</title>"
        f"<style>{_STYLE}</style></head><body><h1>Evidence for ticket {ticket}</h1>"
    ]
    for item in pack["runs"]:
        run = item["run"]
        parts.append(f"<h2>Run {escape(run['id'])}: {escape(run['action'])}</h2>")
        parts.append(
            _table(
                ["customer", "target", "requested by", "status", "created", "finished"],
                [
                    [
                        run["customer"],
                        run["target"],
                        run["requested_by"],
                        run["status"],
                        run["created_at"],
                        run["finished_at"],
                    ]
                ],
            )
        )
        parts.append("<h3>Inputs (secrets masked), approvals, before/after</h3>")
        parts.append(
            _table(
                ["inputs", "approvals", "verification", "before/after", "summary"],
                [
                    [
                        item["inputs"],
                        _approvals(item["approvals"]),
                        _verification(item["caller_verification"]),
                        item["before_after"],
                        run["summary"] or run["error"],
                    ]
                ],
            )
        )
        if item["events"]:
            parts.append("<h3>Events</h3>")
            parts.append(
                _table(
                    ["seq", "time", "kind", "message"],
                    [[e["seq"], e["created_at"], e["kind"], e["message"]] for e in item["events"]],
                )
            )
    parts.append("<h2>Audit records</h2>")
    parts.append(
        _table(
            ["seq", "time (UTC)", "type", "actor", "outcome", "data", "hash"],
            [
                [r["seq"], r["ts"], r["type"], r["actor"], r["outcome"], r["data"], f"{r['hash']}"]
                for r in pack["audit_records"]
            ],
        )
    )
    proof = pack["chain_proof"]
    parts.append("<h2>Chain proof</h2>")
    if proof is None:
        parts.append("<p>No audit records for this ticket.</p>")
    else:
        signed = proof["checkpoint"] or {}
        parts.append(
            _table(
                [
                    "records",
                    "checkpoint seq",
                    "checkpoint hash",
                    "signed at",
                    "key id",
                    "signature",
                    "verified",
                ],
                [
                    [
                        f"{proof['from_seq']}..{proof['to_seq']}",
                        signed.get("seq", "pending"),
                        signed.get("hash"),
                        signed.get("ts"),
                        signed.get("key_id"),
                        signed.get("signature"),
                        "yes" if pack["proof_verified"] else "NO",
                    ]
                ],
            )
        )
    parts.append("</body></html>")
    return "".join(parts)
