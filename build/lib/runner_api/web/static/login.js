// The login form: JSON to /auth/login, then the page the agent asked for.
"use strict";
document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const message = document.getElementById("login-error");
  message.textContent = "";
  if (!form.username.value || !form.password.value) {
    message.textContent = "Enter your username and password.";
    return;
  }
  const answer = await fetch("/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    credentials: "same-origin",
    body: JSON.stringify({ username: form.username.value, password: form.password.value }),
  });
  if (answer.ok) {
    const session = await answer.json();
    // Auditors start nothing: their start page is the runs list, not the fix form.
    const fixes = session.roles.some((role) => ["agent", "senior_agent", "admin"].includes(role));
    const start = form.dataset.next === "/ui/" && !fixes ? "/ui/runs" : form.dataset.next;
    location.assign(start);
    return;
  }
  const body = await answer.json().catch(() => null);
  message.textContent = body?.error?.message || `Sign-in failed (HTTP ${answer.status}).`;
  form.password.value = "";
  form.password.focus();
});
