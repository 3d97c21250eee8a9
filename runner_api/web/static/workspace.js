// The ticket being worked on: its runs beside the form, and the workspace (customer, ticket,
// user) kept in the page's address, so a reload or "another fix on this ticket" keeps them.
"use strict";
(function () {
  const { api, el, when, query, statusBadge, ticketLink } = window.Fixline;
  const $ = (id) => document.getElementById(id);
  const TICKET = /^[A-Za-z0-9][A-Za-z0-9._:#/-]{0,63}$/;
  let asked = 0;
  let timer = null;

  // What the address asks for: ?customer=&ticket_id=&user=
  const wanted = () => Object.fromEntries(new URLSearchParams(location.search));

  function remember(fields) {
    const params = new URLSearchParams(location.search);
    for (const [key, value] of Object.entries(fields)) {
      if (value) params.set(key, value); else params.delete(key);
    }
    const search = params.toString();
    history.replaceState(null, "", `${location.pathname}${search ? `?${search}` : ""}`);
  }

  function runItem(run) {
    return el("li", { "data-run": run.id },
      statusBadge(run.status), run.check_mode ? el("span", { class: "status s-preview" }, "preview") : null, " ",
      el("a", { href: `/ui/runs/${encodeURIComponent(run.id)}` }, run.action), ` on ${run.target}`,
      el("span", { class: "hint" }, ` · ${when(run.created_at)} · ${run.requested_by}`));
  }

  // The runs of the ticket in this customer, newest first; an older answer arriving late is
  // dropped.
  async function refresh(customer, ticket) {
    const mine = ++asked;
    const message = $("ticket-runs-msg");
    if (!TICKET.test(ticket)) {
      $("ticket-runs").replaceChildren();
      $("ticket-links").replaceChildren();
      message.textContent = "Enter a ticket id to see its runs.";
      return;
    }
    try {
      const page = await api("GET", `/runs?${query({ ticket_id: ticket, customer, limit: 50 })}`);
      if (mine !== asked) return;
      $("ticket-runs").replaceChildren(...page.items.map(runItem));
      message.textContent = page.items.length ? `${page.items.length} run(s) on ${ticket}, newest first.` : `No run on ${ticket} yet.`;
      const all = el("a", { href: `/ui/runs?${query({ ticket_prefix: ticket, customer })}` }, "All runs of this ticket");
      const outside = ticketLink(ticket);
      $("ticket-links").replaceChildren(all, ...(outside ? [" · ", outside] : []));
    } catch (error) {
      if (mine === asked) message.textContent = error.message;
    }
  }

  // After the agent stops typing for a moment: the address and the list follow the ticket.
  function follow(customer, ticket) {
    clearTimeout(timer);
    timer = setTimeout(() => {
      remember({ customer, ticket_id: ticket });
      refresh(customer, ticket);
    }, 300);
  }

  window.Workspace = { wanted, remember, refresh, follow };
})();
