// API tokens (admins): list and revoke; creating one stays with `fixline tokens create`.
"use strict";
(function () {
  const { api, el, when } = window.Fixline;
  const message = document.getElementById("tokens-msg");
  async function load() {
    const tokens = await api("GET", "/tokens");
    document.querySelector("#tokens-table tbody").replaceChildren(...tokens.map((t) => el("tr", {},
      el("td", {}, t.name), el("td", {}, t.role), el("td", {}, (t.customers || ["all"]).join(", ")),
      el("td", {}, when(t.created_at)), el("td", {}, t.revoked_at ? `revoked by ${t.revoked_by}` : "active"),
      el("td", {}, t.revoked_at ? "" : el("button", { type: "button", class: "danger", "aria-label": `Revoke ${t.name}`,
        onclick: async () => {
          try { await api("POST", `/tokens/${encodeURIComponent(t.id)}/revoke`); message.textContent = `Revoked ${t.name}.`; load(); }
          catch (error) { message.textContent = error.message; }
        } }, "Revoke")))));
    if (!tokens.length) message.textContent = "No tokens.";
  }
  load().catch((error) => { message.textContent = error.message; });
})();
