// The approvals queue: approve or reject (with a comment) runs held for a second person.
"use strict";
(function () {
  const { api, el, when, refreshApprovals } = window.Fixline;
  const box = document.getElementById("approvals");
  const message = document.getElementById("approvals-msg");

  // The comment's limit from the API's own schema (never a copy of the number here): shown
  // as a count and refused beyond, next to the comment. Without it the API still refuses.
  let limit = null;

  function card(item) {
    const id = `c-${item.run_id}`;
    const comment = el("textarea", { id, rows: 2, "aria-describedby": `${id}-count ${id}-msg` });
    const count = el("p", { class: "hint count", id: `${id}-count`, "aria-live": "polite" });
    const msg = el("p", { class: "field-error", id: `${id}-msg`, "aria-live": "polite" });
    const counted = () => {
      const used = comment.value.trim().length;
      count.textContent = limit ? `${used} of ${limit} characters${used > limit ? `: ${used - limit} too many` : ""}` : "";
      count.classList.toggle("over", Boolean(limit) && used > limit);
    };
    comment.addEventListener("input", counted);
    counted();
    const wrong = (text) => {
      msg.textContent = text;
      comment.setAttribute("aria-invalid", text ? "true" : "false");
      if (text) { comment.focus({ preventScroll: true }); comment.scrollIntoView({ block: "center" }); }
      return Boolean(text);
    };
    const decide = async (verdict) => {
      if (wrong(limit && comment.value.trim().length > limit ? `At most ${limit} characters.` : "")) return;
      try {
        await api("POST", `/approvals/${encodeURIComponent(item.run_id)}/${verdict}`,
          verdict === "reject" ? { comment: comment.value || "rejected" } : comment.value ? { comment: comment.value } : undefined);
        message.textContent = `${verdict === "approve" ? "Approved" : "Rejected"}: ${item.action} on ${item.target} (${item.ticket_id}).`;
        load();
        refreshApprovals();
      } catch (error) {
        message.textContent = error.message;
        if (error.status === 422) wrong(error.message);
      }
    };
    return el("article", { class: "card approval", "data-run-id": item.run_id, "aria-label": `${item.action} on ${item.target}` },
      el("h2", {}, `${item.action} · ${item.target}`),
      el("p", {}, `Ticket ${item.ticket_id} · customer ${item.customer} · requested by ${item.requested_by} · ${when(item.created_at)}`),
      el("ul", {}, ...item.reasons.map((reason) => el("li", {}, reason.message))),
      el("p", { class: "hint" }, `Expires ${when(item.expires_at)}`),
      el("label", { for: id }, "Comment"), comment, count, msg,
      el("div", { class: "buttons" },
        el("button", { type: "button", class: "primary", onclick: () => decide("approve") }, "Approve"),
        el("button", { type: "button", class: "danger", onclick: () => decide("reject") }, "Reject")));
  }

  async function load() {
    try {
      const items = await api("GET", "/approvals");
      box.replaceChildren(...items.map(card));
      if (!items.length) box.append(el("p", {}, "Nothing is waiting for approval."));
    } catch (error) { message.textContent = error.message; }
  }
  async function loadLimit() {
    try {
      const schemas = (await api("GET", "/openapi.json")).components.schemas;
      limit = schemas.ApprovalReject.properties.comment.maxLength || null;
    } catch { limit = null; }
  }
  loadLimit().finally(load);
})();
