// A form generated from an action's JSON Schema (GET /actions), with inline validation.
// Handles what the catalog uses: strings (pattern, lengths, enum), numbers, booleans, arrays
// of strings (one per line), nested objects and $ref to $defs; writeOnly fields are secrets.
"use strict";
(function () {
  const { el } = window.Fixline;

  function resolve(root, schema) {
    let node = schema;
    while (node && node.$ref) node = root.$defs[node.$ref.split("/").pop()];
    if (node && node.allOf && node.allOf.length === 1) node = { ...resolve(root, node.allOf[0]), ...node, allOf: undefined };
    return node || {};
  }

  function field(root, name, raw, path, required, fields) {
    const schema = { ...resolve(root, raw), description: raw.description || resolve(root, raw).description };
    const id = `p-${path.join("-")}`;
    // The property's own title or name: a $ref'd definition's title names a type, not a field.
    const words = (raw.title || name).replace(/_/g, " ");
    const label = words.charAt(0).toUpperCase() + words.slice(1);
    if (schema.type === "object") {
      const set = el("fieldset", { class: "nested" }, el("legend", {}, label));
      for (const [child, sub] of Object.entries(schema.properties || {})) {
        set.append(field(root, child, sub, [...path, child], (schema.required || []).includes(child), fields));
      }
      return set;
    }
    const help = el("p", { class: "hint", id: `${id}-hint` }, schema.description || "");
    const msg = el("p", { class: "field-error", id: `${id}-msg`, "aria-live": "polite" });
    const described = `${id}-hint ${id}-msg`;
    let input;
    if (schema.enum) {
      input = el("select", { id, name, "aria-describedby": described, required },
        el("option", { value: "" }, "choose…"), ...schema.enum.map((v) => el("option", { value: v }, v)));
    } else if (schema.type === "boolean") {
      input = el("input", { id, name, type: "checkbox", "aria-describedby": described });
      input.checked = schema.default === true;
    } else if (schema.type === "array") {
      input = el("textarea", { id, name, rows: 3, "aria-describedby": described, required });
    } else {
      const numeric = schema.type === "integer" || schema.type === "number";
      input = el("input", {
        id, name, required, "aria-describedby": described,
        type: schema.writeOnly ? "password" : numeric ? "number" : "text",
        autocomplete: "off", pattern: schema.pattern, maxlength: schema.maxLength,
        min: schema.minimum, max: schema.maximum,
      });
      if (schema.default !== undefined && schema.default !== null) input.value = schema.default;
    }
    fields.push({ path, schema, input, msg, required });
    return el("div", { class: "field" }, el("label", { for: id }, label + (required ? " *" : "")), input, help, msg);
  }

  function value({ schema, input }) {
    if (schema.type === "boolean") return input.checked;
    const text = input.value.trim();
    if (text === "") return undefined;
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

  function build(root, container, prefill) {
    container.replaceChildren();
    const fields = [];
    for (const [name, sub] of Object.entries(root.properties || {})) {
      container.append(field(root, name, sub, [name], (root.required || []).includes(name), fields));
    }
    for (const entry of fields) {
      const key = entry.path.join(".");
      if (prefill[key] !== undefined) entry.input.value = prefill[key];
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
        if (first) { first.focus(); return null; }
        return params;
      },
      // The API's 422 field messages (loc: ["body", "params", ...]) next to their fields.
      showServerErrors(errors) {
        for (const error of errors || []) {
          const loc = (error.loc || []).filter((part) => !["body", "params"].includes(part)).join(".");
          const entry = fields.find((f) => f.path.join(".") === loc);
          if (entry) { entry.msg.textContent = error.msg; entry.input.setAttribute("aria-invalid", "true"); }
        }
      },
    };
  }

  window.SchemaForm = { build };
})();
