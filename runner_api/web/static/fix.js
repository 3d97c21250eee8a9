// The agent's path: customer (remembered), ticket, user picker, a fix, confirm, then the run.
"use strict";
(function () {
  const { api, call, el, query } = window.Fixline;
  // Where an account lives (GET /directory/users `origin`), and so where its fixes go.
  const ORIGINS = {
    active_directory: "Active Directory",
    entra_id: "Entra ID (cloud-only)",
    synced: "synced: AD + Entra ID",
  };
  const DIRECTORIES = { active_directory: "Active Directory", entra_id: "Entra ID" };
  // What the list lacks when that directory did not answer.
  const MISSING = {
    active_directory: "accounts only in AD are missing; synced ones show what Entra ID knows",
    entra_id: "cloud-only accounts are missing; synced ones show as Active Directory",
  };
  const $ = (id) => document.getElementById(id);
  const customer = $("customer");
  const state = { user: null, action: null, form: null, actions: [] };

  const remembered = localStorage.getItem("fixline.customer");
  if (remembered && [...customer.options].some((o) => o.value === remembered)) customer.value = remembered;
  customer.addEventListener("change", () => {
    localStorage.setItem("fixline.customer", customer.value);
    pick(null);
    $("user-results").replaceChildren();
    $("user-note").textContent = "";
  });

  let timer = null;
  $("user-q").addEventListener("input", (event) => {
    clearTimeout(timer);
    const q = event.target.value.trim();
    timer = setTimeout(() => search(q), 250);
  });

  async function search(q) {
    const list = $("user-results");
    $("user-note").textContent = "";
    if (!q) { list.replaceChildren(); return; }
    try {
      const { data: users, headers } = await call("GET", `/directory/users?${query({ customer: customer.value, q })}`);
      list.replaceChildren(...users.map(userItem));
      if (!users.length) list.append(el("li", { class: "hint" }, "No user found."));
      $("user-note").textContent = unavailable(headers);
    } catch (error) {
      list.replaceChildren(el("li", { class: "error" }, error.message));
    }
  }

  // A hybrid customer's directory that did not answer: the list holds the other one's only.
  function unavailable(headers) {
    const sides = headers.get("X-Fixline-Unavailable");
    if (!sides) return "";
    const failed = sides.split(",").map((side) => side.trim());
    const names = failed.map((side) => DIRECTORIES[side] || side).join(" and ");
    const missing = failed.map((side) => MISSING[side]).filter(Boolean).join("; ");
    // The reason is ASCII with \uXXXX for anything else.
    const reason = (headers.get("X-Fixline-Unavailable-Reason") || "")
      .replace(/\\u([0-9a-f]{4,6})/g, (_, hex) => String.fromCodePoint(parseInt(hex, 16)));
    return `${names} did not answer, so these results are incomplete (${missing}): ${reason}`;
  }

  function userItem(user) {
    // A cloud account's lock state is not known (Entra ID's smart lockout): never "unlocked".
    const flags = [user.locked === true && "locked", !user.enabled && "disabled", user.protected && "protected: fixes will be refused"]
      .filter(Boolean).join(", ");
    const origin = ORIGINS[user.origin] || user.origin;
    const upn = user.upn && user.upn !== user.username ? ` · ${user.upn}` : "";
    return el("li", {}, el("button", { type: "button", class: "pick", "data-username": user.username, "data-origin": user.origin, onclick: () => pick(user) },
      el("strong", {}, user.display_name || user.username), ` ${user.username}`, upn, user.mail && user.mail !== user.upn ? ` · ${user.mail}` : "",
      flags ? el("span", { class: "flag" }, ` (${flags})`) : null,
      el("span", { class: "origin" }, origin, user.locked === null ? "; lock state not known" : "")));
  }

  function pick(user) {
    state.user = user;
    $("picked").textContent = user
      ? `Selected: ${user.display_name || user.username} (${user.username}), ${ORIGINS[user.origin] || user.origin}`
      : "";
    if (state.action) choose(state.action);
  }

  async function loadActions() {
    state.actions = await api("GET", "/actions");
    // Fixes about a user first: they take the picked user as their target.
    const ordered = [...state.actions].sort((a, b) => (a.target_param === "username" ? 0 : 1) - (b.target_param === "username" ? 0 : 1));
    $("actions").replaceChildren(...ordered.map((action) =>
      el("button", { type: "button", class: "fix", "data-action": action.name, "aria-pressed": "false",
        onclick: () => choose(action) }, action.title)));
  }

  function choose(action) {
    state.action = action;
    for (const button of $("actions").children) button.setAttribute("aria-pressed", String(button.dataset.action === action.name));
    $("fix-form").hidden = false;
    $("fix-title").textContent = action.title;
    $("fix-description").textContent = `${action.description} Risk: ${action.risk}.`;
    const prefill = state.user ? { [action.target_param]: state.user.username } : {};
    state.form = window.SchemaForm.build(action.params_schema, $("fix-fields"), prefill);
    $("check").hidden = !action.supports_check_mode;
    $("check-result").textContent = "";
    $("fix-error").textContent = "";
  }

  function request(checkMode) {
    const ticket = $("ticket");
    $("ticket-msg").textContent = ticket.checkValidity() && ticket.value ? "" : "Enter the ticket id (letters, digits, . _ : # / -).";
    const params = state.form.read();
    if ($("ticket-msg").textContent) { ticket.focus(); return null; }
    if (!params) return null;
    return { customer: customer.value, ticket_id: ticket.value.trim(), action: state.action.name, params, check_mode: checkMode };
  }

  function failed(error) {
    $("fix-error").textContent = error.message;
    if (error.status === 422) state.form.showServerErrors(error.details.errors);
  }

  $("check").addEventListener("click", async () => {
    const body = request(true);
    if (!body) return;
    $("check-result").textContent = "Checking…";
    try {
      const run = await api("POST", "/runs?wait=30", body);
      const diff = run.diff ? ` Before: ${JSON.stringify(run.diff.before)} After: ${JSON.stringify(run.diff.after)}` : "";
      $("check-result").textContent = `Check mode ${run.status}: ${run.summary || run.error || ""}${diff}`;
    } catch (error) { $("check-result").textContent = ""; failed(error); }
  });

  $("fix-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = request(false);
    if (!body) return;
    $("run").disabled = true;
    try {
      const run = await api("POST", "/runs", body);
      location.assign(`/ui/runs/${encodeURIComponent(run.id)}`);
    } catch (error) { failed(error); } finally { $("run").disabled = false; }
  });

  loadActions().catch((error) => { $("actions").textContent = error.message; });
})();
