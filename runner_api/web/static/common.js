// Shared by every page: calls to the JSON API with the session's CSRF token, small DOM helpers.
"use strict";
(function () {
  const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content || "";

  class ApiError extends Error {
    constructor(status, body) {
      const error = (body && body.error) || {};
      super(error.message || `HTTP ${status}`);
      this.status = status;
      this.code = error.code || "";
      this.details = error.details || {};
    }
  }

  // The answer's body and headers (some answers say more in headers: the picker's notes).
  async function call(method, url, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRF-Token"] = meta("csrf-token");
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const answer = await fetch(url, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = answer.status === 204 ? null : await answer.json().catch(() => null);
    if (answer.status === 401) {
      // The session ended: back to the login, then here again.
      location.assign(`/ui/login?next=${encodeURIComponent(location.pathname)}`);
    }
    if (!answer.ok) throw new ApiError(answer.status, data);
    return { data, headers: answer.headers };
  }

  async function api(method, url, body) {
    return (await call(method, url, body)).data;
  }

  // el("td", {class: "x"}, "text", child): text is always set as text, never as HTML.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === false || value === null || value === undefined) continue;
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  const when = (iso) => (iso ? new Date(iso).toLocaleString() : "");
  const query = (fields) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(fields)) if (value) params.set(key, value);
    return params.toString();
  };
  const statusBadge = (status) => el("span", { class: `status s-${status}` }, status.replace(/_/g, " "));

  // Every call counts as use of the session: a tab left open must not keep it alive past its
  // idle timeout, so polls pause in a hidden tab and after 5 minutes without a key or a click.
  const ACTIVE_MS = 5 * 60 * 1000;
  let activeAt = Date.now();
  for (const kind of ["keydown", "pointerdown"]) document.addEventListener(kind, () => { activeAt = Date.now(); }, { passive: true });
  // `refresh` now, every `everyMs` while the page is in use, and when the tab is shown again.
  function poll(refresh, everyMs) {
    refresh();
    setInterval(() => { if (!document.hidden && Date.now() - activeAt < ACTIVE_MS) refresh(); }, everyMs);
    document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
  }

  // The ticket in the ticket system (FIXLINE_TICKET_LINK_URL, or RT's page where RT is set
  // up); null where none is configured or the id is not one of its tickets.
  const linkTemplate = meta("fixline-ticket-link");
  const linkFits = new RegExp(meta("fixline-ticket-link-fits") || ".*");
  function ticketLink(ticketId, text) {
    if (!linkTemplate || !ticketId || !linkFits.test(ticketId)) return null;
    const href = linkTemplate.replace("{ticket_id}", encodeURIComponent(ticketId));
    return el("a", { href, class: "ticket-link", rel: "noreferrer", "data-ticket": ticketId },
      text || `${ticketId} in the ticket system`);
  }

  // The count of runs waiting for approval, on the Approvals link: the link (and so the
  // badge) is only there for callers who may approve. Polled, and again when the tab is
  // shown or the approvals page decides; a failed poll leaves the last count.
  const badge = document.getElementById("approvals-badge");
  const APPROVALS_POLL_MS = 10000;
  async function refreshApprovals() {
    if (!badge) return;
    try {
      const count = (await api("GET", "/approvals")).length;
      badge.replaceChildren(String(count), el("span", { class: "sr-only" }, " waiting"));
      badge.hidden = count === 0;
    } catch { /* the next poll tries again; the page's own errors say why */ }
  }
  if (badge) poll(refreshApprovals, APPROVALS_POLL_MS);

  window.Fixline = { api, call, el, when, query, statusBadge, ticketLink, refreshApprovals, poll, ApiError, user: meta("fixline-user") };

  document.getElementById("logout")?.addEventListener("click", async () => {
    try { await api("POST", "/auth/logout"); } finally { location.assign("/ui/login"); }
  });
})();
