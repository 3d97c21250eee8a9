// The picked user's account as it stands (GET /directory/users, GET /mailbox/info), and the
// fixes its state calls for: a locked account its unlock first, a disabled one its enable.
"use strict";
(function () {
  const { api, el, when, query } = window.Fixline;
  // Where an account lives (GET /directory/users `origin`), and so where its fixes go.
  const ORIGINS = {
    active_directory: "Active Directory",
    entra_id: "Entra ID (cloud-only)",
    synced: "synced: AD + Entra ID",
  };
  const OOF = { Disabled: "off", Enabled: "on" };
  const $ = (id) => document.getElementById(id);
  let shown = 0; // the latest picked user: an older answer arriving late is dropped

  const yesNo = (value, yes, no) => (value === null || value === undefined ? "not known" : value ? yes : no);

  function password(user) {
    const age = user.password_age_days === null || user.password_age_days === undefined ? "" : `set ${user.password_age_days} day(s) ago`;
    const change = user.must_change_password ? "must be changed at the next sign-in" : "";
    return [change, age].filter(Boolean).join("; ") || "not known";
  }

  function facts(user) {
    return [
      ["Lives in", ORIGINS[user.origin] || user.origin],
      ["Locked out", user.locked === null ? "not known (Entra ID's smart lockout ends by itself)" : yesNo(user.locked, "yes: locked", "no")],
      ["Enabled", yesNo(user.enabled, "yes", "no: disabled")],
      ["Must change password", yesNo(user.must_change_password, "yes", "no")],
      ["Password", password(user)],
      ["Last sign-in", user.last_logon ? when(user.last_logon) : "not known"],
      ["Groups", user.groups.length ? user.groups.join(", ") : "none"],
      ["Out of office", user.mail ? "looking…" : "no mailbox known"],
      user.protected ? ["Protected", "yes: fixes will be refused"] : null,
    ].filter(Boolean);
  }

  function oofText(oof) {
    if (oof.state === "Scheduled") return `scheduled${oof.start ? ` from ${when(oof.start)}` : ""}${oof.end ? ` until ${when(oof.end)}` : ""}`;
    return OOF[oof.state] || oof.state;
  }

  function render(rows) {
    $("user-facts").replaceChildren(...rows.flatMap(([name, value]) => [
      el("dt", {}, name), el("dd", { "data-fact": name }, value)]));
  }

  // The facts at once, the mailbox's when it answers; resolves to the out-of-office state
  // (null when there is no mailbox or it could not be read).
  async function show(user, customer) {
    const mine = ++shown;
    $("user-state").hidden = !user;
    if (!user) { $("user-facts").replaceChildren(); return null; }
    const rows = facts(user);
    render(rows);
    if (!user.mail) return null;
    const oofRow = rows.find(([name]) => name === "Out of office");
    let oof = null;
    try {
      oof = (await api("GET", `/mailbox/info?${query({ customer, mailbox: user.mail })}`)).oof;
      oofRow[1] = oofText(oof);
    } catch (error) {
      oofRow[1] = `not known: ${error.message}`;
    }
    if (mine !== shown) return null;
    render(rows);
    return oof;
  }

  // Fix name -> why it applies to this account now; the page lists these first.
  function suggestions(user, oof) {
    const why = new Map();
    if (!user) return why;
    if (user.locked === true) { why.set("account_unlock", "locked out"); why.set("password_reset", "locked out"); }
    if (user.enabled === false) why.set("account_enable", "disabled");
    if (user.must_change_password === true && !why.has("password_reset")) why.set("password_reset", "must change password");
    if (oof && oof.state !== "Disabled") why.set("mailbox_oof_clear", "out of office is on");
    return why;
  }

  window.UserState = { ORIGINS, show, suggestions };
})();
