// Runs by ticket prefix, customer, action, status and agent, newest first; each opens its
// live page (cancel, re-run). The filters live in the address: Show puts them there, a
// reload or a shared link reads them back.
"use strict";
(function () {
  const { api, el, when, query, statusBadge, ticketLink, user } = window.Fixline;
  const form = document.getElementById("runs-filter");
  const params = new URLSearchParams(location.search);
  const FILTERS = ["ticket_prefix", "customer", "action", "status"];
  // An exact ticket (older links, ?ticket_id=) is shown as its prefix.
  form.ticket_prefix.value = params.get("ticket_prefix") || params.get("ticket_id") || "";
  form.customer.value = params.get("customer") || "";
  form.status.value = params.get("status") || "";
  form.mine.checked = params.get("mine") === "1";

  function filters() {
    const fields = Object.fromEntries(FILTERS.map((name) => [name, form[name].value.trim()]));
    return { ...fields, mine: form.mine.checked ? "1" : "" };
  }

  // The action filter lists the catalog; the address may name one before it has arrived.
  async function loadActions() {
    const actions = await api("GET", "/actions");
    form.action.append(...actions.map((action) => el("option", { value: action.name }, action.title)));
    form.action.value = params.get("action") || "";
  }

  function row(run) {
    const workspace = `/ui/?${query({ customer: run.customer, ticket_id: run.ticket_id })}`;
    const outside = ticketLink(run.ticket_id, "in the ticket system");
    return el("tr", {},
      el("td", {}, el("a", { href: `/ui/runs/${encodeURIComponent(run.id)}` }, when(run.created_at))),
      el("td", {}, el("a", { href: workspace, title: "Another fix on this ticket" }, run.ticket_id),
        outside ? el("span", { class: "hint" }, " (", outside, ")") : null),
      el("td", {}, run.action), el("td", {}, run.target), el("td", {}, run.requested_by),
      // A check-mode run changed nothing: it must not read as a done fix.
      el("td", {}, statusBadge(run.status), " ",
        run.check_mode ? el("span", { class: "status s-preview" }, "preview") : null));
  }

  async function load() {
    const message = document.getElementById("runs-msg");
    try {
      const { mine, ...asked } = filters();
      const exact = params.get("ticket_id");
      // ?ticket_id= (older links) until the agent changes the field: that ticket only.
      const ticket = exact && exact === asked.ticket_prefix ? { ticket_id: exact, ticket_prefix: "" } : {};
      const page = await api("GET", `/runs?${query({ ...asked, ...ticket, limit: 200 })}`);
      // GET /runs has no requester filter: "only mine" narrows the page shown.
      const runs = mine ? page.items.filter((run) => run.requester_id === user) : page.items;
      document.querySelector("#runs-table tbody").replaceChildren(...runs.map(row));
      message.textContent = `${runs.length} run(s).`;
    } catch (error) { message.textContent = error.message; }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const search = query(filters());
    location.assign(`${location.pathname}${search ? `?${search}` : ""}`);
  });
  loadActions().catch((error) => { document.getElementById("runs-msg").textContent = error.message; }).finally(load);
})();
