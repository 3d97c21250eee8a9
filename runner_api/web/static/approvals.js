// The approvals queue: approve or reject (with a comment) runs held for a second person.
"use strict";
(function () {
  const { api, el, when, refreshApprovals } = window.Fixline;
  const box = document.getElementById("approvals");
  const message = document.getElementById("approvals-msg");

  function card(item) {
    const comment = el("textarea", { id: `c-${item.run_id}`, rows: 2 });
    const decide = async (verdict) => {
      try {
        await api("POST", `/approvals/${encodeURIComponent(item.run_id)}/${verdict}`,
          verdict === "reject" ? { comment: comment.value || "rejected" } : comment.value ? { comment: comment.value } : undefined);
        message.textContent = `${verdict === "approve" ? "Approved" : "Rejected"}: ${item.action} on ${item.target} (${item.ticket_id}).`;
        load();
        refreshApprovals();
      } catch (error) { message.textContent = error.message; }
    };
    return el("article", { class: "card approval", "data-run-id": item.run_id, "aria-label": `${item.action} on ${item.target}` },
      el("h2", {}, `${item.action} · ${item.target}`),
      el("p", {}, `Ticket ${item.ticket_id} · customer ${item.customer} · requested by ${item.requested_by} · ${when(item.created_at)}`),
      el("ul", {}, ...item.reasons.map((reason) => el("li", {}, reason.message))),
      el("p", { class: "hint" }, `Expires ${when(item.expires_at)}`),
      el("label", { for: `c-${item.run_id}` }, "Comment"), comment,
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
  load();
})();
