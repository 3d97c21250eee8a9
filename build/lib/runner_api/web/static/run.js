// One run, live: facts, status and task lines over SSE, cancel, re-run, the one-time reveal.
"use strict";
(function () {
  const { api, el, when } = window.Fixline;
  const $ = (id) => document.getElementById(id);
  const runId = $("run").dataset.runId;
  const ACTIVE = ["awaiting_approval", "queued", "running"];
  let current = null;

  function render(run) {
    current = run;
    const active = ACTIVE.includes(run.status);
    $("status").textContent = run.status.replace(/_/g, " ");
    $("status").className = `status s-${run.status}`;
    $("progress").hidden = !active;
    const facts = [["Ticket", run.ticket_id], ["Customer", run.customer], ["Fix", run.action],
      ["Target", run.target], ["Requested by", run.requested_by], ["Check mode", run.check_mode ? "yes" : "no"],
      ["Created", when(run.created_at)], ["Finished", when(run.finished_at)]];
    $("facts").replaceChildren(...facts.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value || "–")]));
    const approval = run.details?.approval;
    $("reason").textContent = run.status === "awaiting_approval" && approval
      ? `Waiting for a second person to approve: ${approval.reasons.map((r) => r.message).join("; ")}`
      : ["refused", "failed", "rejected", "timed_out", "interrupted", "canceled"].includes(run.status)
        ? `${run.status === "refused" ? "Refused" : "Reason"}: ${run.error || run.summary || run.status}` : "";
    $("summary").textContent = run.status === "succeeded" ? run.summary : "";
    $("cancel").hidden = !active || run.cancel_requested;
    $("rerun").hidden = active;
    const revealable = run.details?.reveal_id && run.requester_id === window.Fixline.user;
    if (revealable && $("reveal-box").hidden) $("reveal-box").hidden = false;
  }

  function follow() {
    const source = new EventSource(`/runs/${encodeURIComponent(runId)}/events`);
    source.addEventListener("run_event", (message) => {
      const event = JSON.parse(message.data);
      $("events").append(el("li", { class: `ev-${event.kind}` },
        el("time", {}, new Date(event.created_at).toLocaleTimeString()), " ",
        event.task ? el("strong", {}, `${event.task}: `) : null, event.message));
      api("GET", `/runs/${encodeURIComponent(runId)}`).then(render, () => {});
    });
    source.addEventListener("end", (message) => { render(JSON.parse(message.data)); source.close(); });
    source.onerror = () => {
      // The stream ends with the run; a broken one is re-read once instead of retried forever.
      source.close();
      api("GET", `/runs/${encodeURIComponent(runId)}`).then((run) => { render(run); if (ACTIVE.includes(run.status)) setTimeout(follow, 1000); });
    };
  }

  $("cancel").addEventListener("click", async () => {
    try { render(await api("POST", `/runs/${encodeURIComponent(runId)}/cancel`)); }
    catch (error) { $("reason").textContent = error.message; }
  });

  $("rerun").addEventListener("click", async () => {
    const body = { customer: current.customer, ticket_id: current.ticket_id, action: current.action,
      params: current.params, check_mode: current.check_mode };
    try {
      const run = await api("POST", "/runs", body);
      location.assign(`/ui/runs/${encodeURIComponent(run.id)}`);
    } catch (error) { $("reason").textContent = `Re-run not started: ${error.message}`; }
  });

  $("reveal").addEventListener("click", async () => {
    $("reveal").disabled = true;
    try {
      const secret = await api("POST", `/reveals/${encodeURIComponent(current.details.reveal_id)}`);
      $("secret").textContent = secret.password;
      $("copy").hidden = false;
      $("reveal-msg").textContent = "Shown once: it cannot be shown again.";
    } catch (error) {
      $("reveal-msg").textContent = error.status === 410
        ? "Already shown once (or expired): it cannot be shown again." : error.message;
    }
  });

  $("copy").addEventListener("click", async () => {
    await navigator.clipboard.writeText($("secret").textContent);
    $("reveal-msg").textContent = "Copied.";
  });

  api("GET", `/runs/${encodeURIComponent(runId)}`).then((run) => { render(run); follow(); },
    (error) => { $("status").textContent = "unavailable"; $("reason").textContent = error.message; });
})();
