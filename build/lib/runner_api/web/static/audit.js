// Audit search over /audit/records, and the evidence of one ticket.
"use strict";
(function () {
  const { api, el, when, query } = window.Fixline;
  const form = document.getElementById("audit-filter");
  const message = document.getElementById("audit-msg");

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = Object.fromEntries(new FormData(form).entries());
    for (const key of Object.keys(fields)) fields[key] = fields[key].trim();
    try {
      const page = await api("GET", `/audit/records?${query({ ...fields, limit: 500 })}`);
      document.querySelector("#audit-table tbody").replaceChildren(...page.items.map((r) => el("tr", {},
        el("td", {}, r.seq), el("td", {}, when(r.ts)), el("td", {}, r.type), el("td", {}, r.actor),
        el("td", {}, r.ticket_id || ""), el("td", {}, r.target || ""), el("td", {}, r.outcome || ""))));
      message.textContent = `${page.items.length} record(s)${page.next_after_seq ? ", more available" : ""}.`;
      const evidence = document.getElementById("evidence");
      evidence.hidden = !fields.ticket_id;
      document.getElementById("evidence-link").href =
        `/audit/tickets/${encodeURIComponent(fields.ticket_id)}/evidence?format=html`;
    } catch (error) { message.textContent = error.message; }
  });
})();
