// On a run's page: back to its ticket's workspace ("another fix on this ticket", with the
// same customer and user) and to the ticket in the ticket system where one is configured.
"use strict";
(function () {
  const { api, el, query, ticketLink } = window.Fixline;
  const box = document.getElementById("workspace-links");
  const runId = document.getElementById("run").dataset.runId;

  api("GET", `/runs/${encodeURIComponent(runId)}`).then((run) => {
    // A fix on a user names the user's login; the workspace looks it up again.
    const user = run.params.username || "";
    const href = `/ui/?${query({ customer: run.customer, ticket_id: run.ticket_id, user })}`;
    const outside = ticketLink(run.ticket_id);
    box.replaceChildren(el("a", { href, id: "another-fix" }, "Another fix on this ticket"),
      ...(outside ? [" · ", outside] : []));
  }).catch(() => { /* run.js says why the run cannot be read */ });
})();
