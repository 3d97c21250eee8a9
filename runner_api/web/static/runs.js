// Runs per ticket and per agent, newest first; each opens its live page (cancel, re-run).
"use strict";
(function () {
  const { api, el, when, query, statusBadge, user } = window.Fixline;
  const form = document.getElementById("runs-filter");
  const params = new URLSearchParams(location.search);
  form.ticket_id.value = params.get("ticket_id") || "";
  form.mine.checked = params.get("mine") === "1";

  async function load() {
    const message = document.getElementById("runs-msg");
    try {
      const page = await api("GET", `/runs?${query({ ticket_id: form.ticket_id.value.trim(), customer: form.customer.value, limit: 200 })}`);
      // GET /runs has no requester filter: "only mine" narrows the page shown.
      const runs = form.mine.checked ? page.items.filter((run) => run.requester_id === user) : page.items;
      document.querySelector("#runs-table tbody").replaceChildren(...runs.map((run) => el("tr", {},
        el("td", {}, el("a", { href: `/ui/runs/${encodeURIComponent(run.id)}` }, when(run.created_at))),
        el("td", {}, run.ticket_id), el("td", {}, run.action), el("td", {}, run.target),
        el("td", {}, run.requested_by),
        // A check-mode run changed nothing: it must not read as a done fix.
        el("td", {}, statusBadge(run.status), " ",
          run.check_mode ? el("span", { class: "status s-preview" }, "preview") : null))));
      message.textContent = `${runs.length} run(s).`;
    } catch (error) { message.textContent = error.message; }
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  load();
})();
