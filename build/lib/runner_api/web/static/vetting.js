// Vetting state of every action's playbook (GET /actions).
"use strict";
(function () {
  const { api, el, when } = window.Fixline;
  api("GET", "/actions").then((actions) => {
    document.querySelector("#vetting-table tbody").replaceChildren(...actions.map((a) => el("tr", {},
      el("td", {}, a.name), el("td", {}, a.kind), el("td", {}, a.risk),
      el("td", {}, a.vetted === null ? "no playbook" : el("span", { class: a.vetted ? "ok" : "bad" }, a.vetted ? "vetted" : "changed: refused")),
      el("td", {}, a.vetted_by || ""), el("td", {}, when(a.vetted_at)))));
  });
})();
