// A form generated from an action's JSON Schema (GET /actions), with inline validation.
// Handles what the catalog uses: strings (pattern, lengths, enum), numbers, booleans, arrays
// of strings (one per line), nested objects, $ref to $defs and optional fields (anyOf with
// null); writeOnly fields are secrets. Hints in the schema, never field names, pick the
// control: `x-multiline` a text area (line breaks kept), `format: date-time` / `date` a
// picker. A `maxLength` is shown and enforced by a message, never by the browser's own
// maxlength, which cuts pasted text without a word. A field the customer's lists name
// (GET /actions/{name}/choices: inventory hosts, allow-lists) is a drop-down of exactly
// those values, the ones the server accepts; any other text field stays free text.
"use strict";
(function () {
  const { el } = window.Fixline;

  function resolve(root, schema) {
    let node = schema;
    while (node && node.$ref) node = root.$defs[node.$ref.split("/").pop()];
    if (node && node.allOf && node.allOf.length === 1) node = { ...resolve(root, node.allOf[0]), ...node, allOf: undefined };
    // An optional field (`X | None`): the non-null branch, with the property's own keywords.
    const branches = ((node && node.anyOf) || []).filter((branch) => branch.type !== "null");
    if (branches.length === 1) node = { ...resolve(root, branches[0]), ...node, anyOf: undefined };
    return node || {};
  }

  // Where a listed field's values come from, for its hint.
  const SOURCES = { inventory: "Hosts of this customer's inventory." };
  const sourceHint = (source) => SOURCES[source] || `On this customer's ${source} allow-list.`;

  function listedSelect(attrs, listed) {
    const empty = listed.values.length ? "choose…" : "none on this customer's list";
    return el("select", attrs, el("option", { value: "" }, empty), ...listed.values.map((v) => el("option", { value: v }, v)));
  }

  function field(root, name, raw, path, required, fields, choices) {
    const schema = { ...resolve(root, raw), description: raw.description || resolve(root, raw).description };
    const listed = choices[path.join(".")];
    const id = `p-${path.join("-")}`;
    // The property's own title or name: a $ref'd definition's title names a type, not a field.
    const words = (raw.title || name).replace(/_/g, " ");
    const label = words.charAt(0).toUpperCase() + words.slice(1);
    if (schema.type === "object") {
      const set = el("fieldset", { class: "nested" }, el("legend", {}, label));
      for (const [child, sub] of Object.entries(schema.properties || {})) {
        set.append(field(root, child, sub, [...path, child], (schema.required || []).includes(child), fields, choices));
      }
      return set;
    }
    const help = el("p", { class: "hint", id: `${id}-hint` }, [schema.description, listed && sourceHint(listed.source)].filter(Boolean).join(" "));
    const msg = el("p", { class: "field-error", id: `${id}-msg`, "aria-live": "polite" });
    const described = `${id}-hint ${id}-msg`;
    let input;
    if (listed) {
      input = listedSelect({ id, name, "aria-describedby": described, required, "data-source": listed.source }, listed);
    } else if (schema.enum) {
      input = el("select", { id, name, "aria-describedby": described, required },
        el("option", { value: "" }, "choose…"), ...schema.enum.map((v) => el("option", { value: v }, v)));
    } else if (schema.type === "boolean") {
      input = el("input", { id, name, type: "checkbox", "aria-describedby": described });
      input.checked = schema.default === true;
    } else if (schema.type === "array") {
      input = el("textarea", { id, name, rows: 3, "aria-describedby": described, required });
    } else if (schema["x-multiline"]) {
      input = el("textarea", { id, name, rows: 5, "aria-describedby": described, required });
    } else if (PICKERS[schema.format]) {
      input = el("input", { id, name, required, "aria-describedby": described, type: PICKERS[schema.format] });
    } else {
      const numeric = schema.type === "integer" || schema.type === "number";
      input = el("input", {
        id, name, required, "aria-describedby": described,
        type: schema.writeOnly ? "password" : numeric ? "number" : "text",
        autocomplete: "off", pattern: schema.pattern,
        min: schema.minimum, max: schema.maximum,
      });
      if (schema.default !== undefined && schema.default !== null) input.value = schema.default;
    }
    const count = schema.maxLength ? el("p", { class: "hint count", id: `${id}-count`, "aria-live": "polite" }) : null;
    if (count) input.setAttribute("aria-describedby", `${described} ${id}-count`);
    fields.push({ path, schema, input, msg, required, count });
    return el("div", { class: "field" }, el("label", { for: id }, label + (required ? " *" : "")), input, count, help, msg);
  }

  // A picker's local time as the moment it means, with its offset; a date as it is.
  const PICKERS = { "date-time": "datetime-local", date: "date" };
  function moment(local) {
    const at = new Date(local);
    return Number.isNaN(at.getTime()) ? local : at.toISOString();
  }

  // "120 of 500 characters": the limit is in view before the agent reaches it.
  function counted({ schema, input, count }) {
    if (!count) return;
    const used = input.value.trim().length;
    count.textContent = `${used} of ${schema.maxLength} characters${used > schema.maxLength ? `: ${used - schema.maxLength} too many` : ""}`;
    count.classList.toggle("over", used > schema.maxLength);
  }

  function value({ schema, input }) {
    if (schema.type === "boolean") return input.checked;
    // Only the ends are trimmed: a multi-line message keeps its line breaks.
    const text = input.value.trim();
    if (text === "") return undefined;
    if (schema.format === "date-time" && input.type === "datetime-local") return moment(text);
    if (schema.type === "array") return text.split(/\n+/).map((line) => line.trim()).filter(Boolean);
    if (schema.type === "integer" || schema.type === "number") return Number(text);
    return text;
  }

  function problem(entry, current) {
    const { schema, required } = entry;
    if (current === undefined) return required ? "This field is required." : "";
    if (typeof current === "string") {
      if (schema.pattern && !new RegExp(schema.pattern, "u").test(current)) return "This value has the wrong format.";
      if (schema.maxLength && current.length > schema.maxLength) return `At most ${schema.maxLength} characters.`;
      if (schema.minLength && current.length < schema.minLength) return `At least ${schema.minLength} characters.`;
    }
    if (typeof current === "number" && Number.isNaN(current)) return "Enter a number.";
    return "";
  }

  // The wrong field focused and in the middle of the window, clear of the sticky launch bar.
  function show(input) {
    input.focus({ preventScroll: true });
    input.scrollIntoView({ block: "center" });
  }

  function build(root, container, prefill, choices = {}) {
    container.replaceChildren();
    const fields = [];
    for (const [name, sub] of Object.entries(root.properties || {})) {
      container.append(field(root, name, sub, [name], (root.required || []).includes(name), fields, choices));
    }
    for (const entry of fields) {
      const key = entry.path.join(".");
      if (prefill[key] !== undefined) entry.input.value = prefill[key];
      counted(entry);
      entry.input.addEventListener("input", () => counted(entry));
      entry.input.addEventListener("blur", () => { entry.msg.textContent = problem(entry, value(entry)); });
    }
    return {
      // The parameters, or null with a message next to each wrong field (the first focused).
      read() {
        const params = {};
        let first = null;
        for (const entry of fields) {
          const current = value(entry);
          const message = problem(entry, current);
          entry.msg.textContent = message;
          entry.input.setAttribute("aria-invalid", message ? "true" : "false");
          if (message && !first) first = entry.input;
          if (current === undefined) continue;
          let into = params;
          for (const part of entry.path.slice(0, -1)) into = into[part] = into[part] || {};
          into[entry.path.at(-1)] = current;
        }
        if (first) { show(first); return null; }
        return params;
      },
      // The API's 422 field messages (loc: ["body", "params", ...]) next to their fields.
      // Returns whether one was placed (and the first of them focused, in view).
      showServerErrors(errors) {
        let first = null;
        for (const error of errors || []) {
          const loc = (error.loc || []).filter((part) => !["body", "params"].includes(part)).join(".");
          const entry = fields.find((f) => f.path.join(".") === loc);
          if (!entry) continue;
          entry.msg.textContent = error.msg;
          entry.input.setAttribute("aria-invalid", "true");
          first = first || entry.input;
        }
        if (first) show(first);
        return first !== null;
      },
    };
  }

  window.SchemaForm = { build };
})();
