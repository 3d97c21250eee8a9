// The agent's path: customer (remembered), ticket, user picker, a fix, confirm, then the run.
// Only a click launches: low risk at once; medium and high risk after the agent has seen the
// check-mode diff (or, without a check mode, the parameters) and confirmed. The workspace
// (customer, ticket, user) is kept in the address: a reload or another fix on the same
// ticket starts where the agent was.
"use strict";
(function () {
  const { api, call, el, query } = window.Fixline;
  const { ORIGINS } = window.UserState;
  const DIRECTORIES = { active_directory: "Active Directory", entra_id: "Entra ID" };
  // What the list lacks when that directory did not answer.
  const MISSING = {
    active_directory: "accounts only in AD are missing; synced ones show what Entra ID knows",
    entra_id: "cloud-only accounts are missing; synced ones show as Active Directory",
  };
  const $ = (id) => document.getElementById(id);
  const customer = $("customer");
  const state = { user: null, oof: null, action: null, form: null, actions: [], pending: null };
  const wanted = window.Workspace.wanted();
  const known = (name) => [...customer.options].some((o) => o.value === name);

  const remembered = localStorage.getItem("fixline.customer");
  if (wanted.customer && known(wanted.customer)) customer.value = wanted.customer;
  else if (remembered && known(remembered)) customer.value = remembered;
  customer.addEventListener("change", () => {
    localStorage.setItem("fixline.customer", customer.value);
    pick(null);
    $("user-results").replaceChildren();
    $("user-note").textContent = "";
    window.Workspace.follow(customer.value, $("ticket").value.trim());
  });
  $("ticket").addEventListener("input", () => window.Workspace.follow(customer.value, $("ticket").value.trim()));

  let timer = null;
  $("user-q").addEventListener("input", (event) => {
    clearTimeout(timer);
    const q = event.target.value.trim();
    // The last query's results are not this one's: gone at once, so the arrow keys never
    // move into a list the next answer is about to replace.
    $("user-results").replaceChildren();
    timer = setTimeout(() => search(q), 250);
  });

  // Arrow keys: down from the search field into the results, up and down between them, up
  // from the first back to the field. Enter on a result is a click on its button: it picks.
  $("user-q").addEventListener("keydown", (event) => {
    if (event.key !== "ArrowDown") return;
    const first = $("user-results").querySelector("button.pick");
    if (first) { event.preventDefault(); first.focus(); }
  });
  $("user-results").addEventListener("keydown", (event) => {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const buttons = [...$("user-results").querySelectorAll("button.pick")];
    const at = buttons.indexOf(event.target);
    if (at < 0) return;
    event.preventDefault();
    const next = event.key === "ArrowDown" ? buttons[Math.min(at + 1, buttons.length - 1)] : buttons[at - 1] || $("user-q");
    next.focus();
  });

  // Only the latest search's answer is shown, and a result the keyboard is on keeps the
  // focus when the list is drawn again (else a late answer would drop it).
  let searches = 0;
  async function search(q) {
    const list = $("user-results");
    const mine = ++searches;
    $("user-note").textContent = "";
    if (!q) { list.replaceChildren(); return; }
    try {
      const { data: users, headers } = await call("GET", `/directory/users?${query({ customer: customer.value, q })}`);
      if (mine !== searches) return;
      const focused = list.contains(document.activeElement) ? document.activeElement.dataset.username : null;
      list.replaceChildren(...users.map(userItem));
      if (focused) (list.querySelector(`button[data-username="${CSS.escape(focused)}"]`) || $("user-q")).focus();
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
    state.oof = null;
    $("picked").textContent = user
      ? `Selected: ${user.display_name || user.username} (${user.username}), ${ORIGINS[user.origin] || user.origin}`
      : "";
    window.Workspace.remember({ user: user ? user.username : "" });
    showActions();
    window.UserState.show(user, customer.value).then((oof) => {
      if (state.user !== user || !oof) return;
      state.oof = oof;
      showActions();
    });
    if (state.action) choose(state.action);
  }

  // The user from the address (?user=): picked when the search finds exactly that login.
  async function pickWanted(username) {
    const { data: users } = await call("GET", `/directory/users?${query({ customer: customer.value, q: username })}`);
    const found = users.find((user) => user.username === username);
    if (found && !state.user) { $("user-q").value = username; pick(found); }
  }

  // Fixes about a user take the picked user as their target (x-user-attribute).
  const userFix = (action) => Boolean(((action.params_schema.properties || {})[action.target_param] || {})["x-user-attribute"]);
  const GROUPS = [
    ["Account and access", (action) => userFix(action) && action.kind !== "mailbox"],
    ["Mailbox", (action) => action.kind === "mailbox"],
    ["Hosts and certificates", (action) => !userFix(action) && action.kind !== "mailbox"],
  ];

  function fixButton(action, why) {
    return el("button", { type: "button", class: "fix", "data-action": action.name,
      "aria-pressed": String(state.action?.name === action.name), onclick: () => choose(action) },
    action.title, why ? el("span", { class: "why" }, ` (${why})`) : null);
  }

  function group(id, title, buttons) {
    return el("div", { class: "fix-group", role: "group", "aria-labelledby": id },
      el("h3", { id }, title), el("div", { class: "fix-grid" }, ...buttons));
  }

  // Every fix in view, no scroll box: what the picked user's state calls for first, then
  // the fixes of a user, then the others.
  function showActions() {
    const focused = document.activeElement?.dataset?.action;
    const why = window.UserState.suggestions(state.user, state.oof);
    const suggested = state.actions.filter((action) => why.has(action.name));
    const rest = state.actions.filter((action) => !why.has(action.name));
    const groups = [];
    if (suggested.length) {
      const name = state.user.display_name || state.user.username;
      groups.push(group("fixes-suggested", `Suggested for ${name}`, suggested.map((action) => fixButton(action, why.get(action.name)))));
    }
    GROUPS.forEach(([title, fits], n) => {
      const members = rest.filter(fits);
      if (members.length) groups.push(group(`fixes-${n}`, title, members.map((action) => fixButton(action))));
    });
    $("actions").replaceChildren(...groups);
    if (focused) $("actions").querySelector(`button[data-action="${focused}"]`)?.focus();
  }

  async function loadActions() {
    state.actions = await api("GET", "/actions");
    showActions();
  }

  // The values the customer's lists allow (hosts, services, packages, groups), asked once
  // per customer and fix: the same lists the server checks a run against.
  const listed = new Map();
  function choicesOf(action) {
    const key = `${customer.value}/${action.name}`;
    if (!listed.has(key)) {
      const url = `/actions/${encodeURIComponent(action.name)}/choices?${query({ customer: customer.value })}`;
      listed.set(key, api("GET", url).catch((error) => { listed.delete(key); throw error; }));
    }
    return listed.get(key);
  }

  async function choose(action) {
    state.action = action;
    state.form = null;
    $("fix-fields").replaceChildren(); // never the last fix's fields under this one's title
    for (const button of $("actions").querySelectorAll("button.fix")) button.setAttribute("aria-pressed", String(button.dataset.action === action.name));
    $("fix-form").hidden = false;
    $("fix-none").hidden = true;
    $("fix-title").textContent = action.title;
    $("fix-description").textContent = `${action.description} Risk: ${action.risk}.`;
    $("check").hidden = !action.supports_check_mode;
    $("check-result").replaceChildren();
    $("fix-error").textContent = "";
    cancelConfirm();
    let choices = {};
    try {
      // Only a fix with listed fields (x-choices) asks: the others build at once.
      const properties = Object.values(action.params_schema.properties || {});
      if (properties.some((property) => property["x-choices"])) choices = await choicesOf(action);
    } catch (error) {
      // Free text then: the server still checks every value against the lists.
      $("fix-error").textContent = `The customer's lists could not be read (${error.message}); type the values.`;
    }
    if (state.action !== action) return; // another fix was chosen meanwhile
    state.form = window.SchemaForm.build(action.params_schema, $("fix-fields"), prefill(action), choices);
  }

  // The target field gets the picked user's attribute its schema names (x-user-attribute):
  // a mailbox the mail address, a login the username; a host nothing.
  function prefill(action) {
    const target = (action.params_schema.properties || {})[action.target_param] || {};
    const value = state.user && target["x-user-attribute"] ? state.user[target["x-user-attribute"]] : null;
    return value ? { [action.target_param]: value } : {};
  }

  function request(checkMode) {
    if (!state.form) return null; // the form is still being built
    const ticket = $("ticket");
    $("ticket-msg").textContent = ticket.checkValidity() && ticket.value ? "" : "Enter the ticket id (letters, digits, . _ : # / -).";
    const params = state.form.read();
    if ($("ticket-msg").textContent) { ticket.focus(); return null; }
    if (!params) return null;
    return { customer: customer.value, ticket_id: ticket.value.trim(), action: state.action.name, params, check_mode: checkMode };
  }

  // Next to its field (focused, in view) where the error names one; else the form's own
  // message, scrolled into view: never only somewhere the agent is not looking.
  function failed(error) {
    $("fix-error").textContent = error.message;
    const placed = error.status === 422 && state.form.showServerErrors(error.details.errors);
    if (!placed) $("fix-error").scrollIntoView({ block: "center" });
  }

  // The same request in check mode: its outcome and diff, rendered.
  async function preview(body) {
    const run = await api("POST", "/runs?wait=30", { ...body, check_mode: true });
    if (run.status === "awaiting_approval") {
      // Rules that hold the fix (a VIP's account) hold its check too. A check nobody needs
      // any more would sit in the approvers' list: withdraw it and say why.
      await api("POST", `/runs/${encodeURIComponent(run.id)}/cancel`).catch(() => null);
      const reasons = ((run.details.approval || {}).reasons || []).map((r) => r.message).join("; ");
      return [el("p", {}, `The check itself needs a second person's approval (${reasons}), so what will change cannot be shown now. Confirmed, the fix waits for that approval.`)];
    }
    const said = run.summary || run.error || "";
    return [el("p", {}, `Check mode ${run.status.replace(/_/g, " ")}${said ? `: ${said}` : ""}`), window.Changes.diff(run.diff)];
  }

  $("check").addEventListener("click", async () => {
    const body = request(true);
    if (!body) return;
    $("check-result").textContent = "Checking…";
    try { $("check-result").replaceChildren(...await preview(body)); } catch (error) { $("check-result").replaceChildren(); failed(error); }
  });

  async function launch(body) {
    $("run").disabled = $("confirm-run").disabled = true;
    try {
      const run = await api("POST", "/runs", body);
      location.assign(`/ui/runs/${encodeURIComponent(run.id)}`);
    } catch (error) { failed(error); } finally { $("run").disabled = $("confirm-run").disabled = false; }
  }

  // Medium and high risk: what will change first, then the agent's confirmation.
  async function askFirst(body) {
    const action = state.action;
    state.pending = body;
    $("confirm").hidden = false;
    $("confirm-run").disabled = true;
    $("confirm-title").textContent = `${action.risk === "high" ? "High" : "Medium"} risk: check before it runs`;
    const box = $("confirm-changes");
    if (!action.supports_check_mode) {
      box.replaceChildren(el("p", {}, "This fix has no check mode, so what it will change cannot be shown before it runs. It will run with these parameters:"),
        window.Changes.params(body.params, action.secret_params || []));
    } else {
      box.textContent = "Checking what will change…";
      try { box.replaceChildren(...await preview(body)); } catch (error) { box.replaceChildren(); failed(error); }
    }
    if (state.pending !== body) return; // the form changed meanwhile: this check is stale
    $("confirm-run").disabled = false;
    $("confirm-run").focus();
  }

  function cancelConfirm() {
    state.pending = null;
    $("confirm").hidden = true;
    $("confirm-changes").replaceChildren();
  }

  $("run").addEventListener("click", () => {
    cancelConfirm();
    const body = request(false);
    if (!body) return;
    if (state.action.risk === "low") launch(body); else askFirst(body);
  });
  $("confirm-run").addEventListener("click", () => { if (state.pending) launch(state.pending); });
  $("confirm-back").addEventListener("click", () => { cancelConfirm(); $("run").focus(); });
  // What was checked is what runs: any edit sends the agent through the check again.
  $("fix-fields").addEventListener("input", cancelConfirm);
  $("ticket").addEventListener("input", cancelConfirm);

  // Enter never launches a fix: in a one-line field it moves to the next field instead.
  $("fix-form").addEventListener("submit", (event) => event.preventDefault());
  $("fix-form").addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.target.tagName === "TEXTAREA" || event.target.tagName === "BUTTON") return;
    event.preventDefault();
    const fields = [...$("fix-fields").querySelectorAll("input, select, textarea")];
    const next = fields[fields.indexOf(event.target) + 1];
    if (next) next.focus();
  });

  loadActions().catch((error) => { $("actions").textContent = error.message; });
  if (wanted.ticket_id) $("ticket").value = wanted.ticket_id;
  window.Workspace.refresh(customer.value, $("ticket").value.trim());
  if (wanted.user) pickWanted(wanted.user).catch((error) => { $("user-note").textContent = error.message; });
})();
