// A run's before/after diff and a fix's parameters, rendered for people: one row per field,
// "before → after", changed fields marked; never raw JSON.
"use strict";
(function () {
  const { el } = window.Fixline;

  // One value as text: lists joined, objects as "key: value; …", nothing as "(none)".
  function text(value) {
    if (value === null || value === undefined || value === "") return "(none)";
    if (Array.isArray(value)) return value.length ? value.map(text).join(", ") : "(empty)";
    if (typeof value === "object") return Object.entries(value).map(([k, v]) => `${k}: ${text(v)}`).join("; ");
    if (typeof value === "boolean") return value ? "yes" : "no";
    return String(value);
  }

  const label = (name) => String(name).replace(/_/g, " ");
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

  // The diff as a table; `after` null means the run did not say (a failed or refused check).
  function diff(change) {
    const before = change && change.before, after = change && change.after;
    const sides = [before, after].filter((side) => side && typeof side === "object" && !Array.isArray(side));
    if (!sides.length) return el("p", { class: "hint" }, "The check reported no field changes.");
    const keys = [...new Set(sides.flatMap(Object.keys))];
    const unknown = after === null || after === undefined;
    const rows = keys.map((key) => {
      const was = before ? before[key] : undefined;
      const will = unknown ? undefined : after[key];
      const changed = !unknown && !same(was, will);
      return el("tr", { class: changed ? "changed" : "same" },
        el("th", { scope: "row" }, label(key)), el("td", {}, text(was)),
        el("td", {}, unknown ? "not known" : changed ? text(will) : "unchanged"));
    });
    return el("table", { class: "changes" },
      el("caption", {}, "What will change (before → after)"),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Field"), el("th", { scope: "col" }, "Before"), el("th", { scope: "col" }, "After"))),
      el("tbody", {}, ...rows));
  }

  // The parameters a fix will run with, secrets masked (for fixes without a check mode).
  function params(values, secrets, prefix = "") {
    const rows = Object.entries(values).flatMap(([key, value]) => {
      const name = prefix + key;
      if (value && typeof value === "object" && !Array.isArray(value)) return [...params(value, secrets, `${name}.`).children];
      return [el("dt", {}, label(name)), el("dd", {}, secrets.includes(name) ? "••••••••" : text(value))];
    });
    return el("dl", { class: "facts" }, ...rows);
  }

  window.Changes = { diff, params, text };
})();
