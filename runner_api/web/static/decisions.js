// Tells the requester, on every page and live, when a second person decided one of their
// held runs: approved (what it hands over waits on its run page) or rejected, and why.
"use strict";
(function () {
  const { api, el, poll, user } = window.Fixline;
  const box = document.getElementById("decisions");
  const POLL_MS = 10000;
  // Dismissed notices stay dismissed in this browser (run id and verdict).
  const KEY = `fixline.decisions-dismissed.${user}`;
  const dismissed = new Set(JSON.parse(localStorage.getItem(KEY) || "[]"));
  const VERDICTS = { approved: "Approved", rejected: "Rejected", expired: "Not decided in time" };
  let decisions = [];
  const ACTIVE = ["queued", "running"];
  const keyOf = (item) => `${item.run_id}:${item.status}`;

  // What the requester does next: an approved run may still run, or have ended.
  function next(item) {
    if (item.status !== "approved") return " Nothing of it ran.";
    if (ACTIVE.includes(item.run_status)) return " It runs now; anything it hands over to you will wait on its run page.";
    const ended = ` It ran: ${item.run_status.replace(/_/g, " ")}.`;
    return item.run_status === "succeeded" ? `${ended} Anything it hands over to you waits on its run page.` : ended;
  }

  function notice(item) {
    const by = item.decided_by ? ` by ${item.decided_by}` : "";
    const said = item.comment ? ` Comment: ${item.comment}.` : "";
    const href = `/ui/runs/${encodeURIComponent(item.run_id)}`;
    return el("p", { class: `decision d-${item.status}`, "data-run-id": item.run_id },
      el("strong", {}, `${VERDICTS[item.status] || item.status}${by}: `),
      `your ${item.action} on ${item.target} (ticket ${item.ticket_id}).${said}${next(item)} `,
      // Not on the run's own page: it is open already.
      location.pathname === href ? null : el("a", { href }, "Open the run"), " ",
      el("button", { type: "button", class: "link", onclick: () => dismiss(item),
        "aria-label": `Dismiss the notice on ${item.action} on ${item.target}` }, "Dismiss"));
  }

  function show() {
    box.replaceChildren(...decisions.filter((item) => !dismissed.has(keyOf(item))).map(notice));
  }

  function dismiss(item) {
    dismissed.add(keyOf(item));
    localStorage.setItem(KEY, JSON.stringify([...dismissed].slice(-200)));
    show();
  }

  async function refresh() {
    try {
      decisions = await api("GET", "/approvals/decided");
      show();
    } catch { /* the next poll tries again */ }
  }

  poll(refresh, POLL_MS);
})();
