// One run, live: facts, status and task lines over SSE, cancel, re-run, the one-time reveal.
"use strict";
(function () {
  const { api, el, when } = window.Fixline;
  const $ = (id) => document.getElementById(id);
  const runId = $("run").dataset.runId;
  const ACTIVE = ["awaiting_approval", "queued", "running"];
  const ENDED_BADLY = ["refused", "failed", "rejected", "timed_out", "interrupted", "canceled"];
  // What each event kind says of its task. Playbook runs (playbooks/events.py) report per
  // host and item; the in-process runs (directory, mailbox, Graph, certificates) report
  // steps, where a write is "change" or "issued" and a stop is "refused" or "unreachable".
  // Kinds not named here (lookup, guardrails, graph, routing ...) are steps that went well.
  const MARKS = { ok: "ok", item_ok: "ok", changed: "changed", item_changed: "changed",
    change: "changed", issued: "changed", unresolved_removed: "changed",
    failed: "failed", item_failed: "failed", unreachable: "failed", refused: "failed",
    skipped: "skipped", item_skipped: "skipped", no_hosts: "skipped" };
  // Worst first: a task is marked with the worst of its lines.
  const RANK = ["failed", "changed", "ok", "skipped", "running"];
  const tasks = new Map();
  let current = null;
  let cancelling = false;
  let revealSpent = false;
  let revealAsked = false;
  let lastSeq = 0;

  const mark = (kind) => (kind === "task_start" ? null : MARKS[kind] || "ok");

  // One line per task name: a name seen again (loop items, hosts, every step of a directory
  // fix) adds to that line's count and to its folded details instead of a new line.
  function addEvent(event) {
    // A stream opened again after a break starts after the last line shown: none twice.
    if (event.seq <= lastSeq) return;
    lastSeq = event.seq;
    const line = el("li", { class: `ev-${event.kind}` },
      el("time", {}, new Date(event.created_at).toLocaleTimeString()), " ", event.message);
    if (!event.task) { $("events").append(line); return; }
    let task = tasks.get(event.task);
    if (!task) {
      const badge = el("span", { class: "mark m-running" }, "running");
      const count = el("span", { class: "count" });
      const lines = el("ol", { class: "task-lines" });
      const node = el("li", { class: "task", "data-task": event.task },
        el("details", {}, el("summary", {}, badge, " ", el("strong", {}, event.task), count), lines));
      task = { node, badge, count, lines, marks: [], results: 0 };
      tasks.set(event.task, task);
      $("events").append(node);
    }
    task.lines.append(line);
    const seen = mark(event.kind);
    if (seen === null) return;
    task.marks.push(seen);
    task.results += 1;
    setMark(task, RANK.find((m) => task.marks.includes(m)));
    task.count.textContent = task.results > 1 ? ` ×${task.results}` : "";
  }

  function setMark(task, value) {
    task.badge.textContent = value;
    task.badge.className = `mark m-${value}`;
    task.node.dataset.mark = value;
  }

  // The run failed but no line said where (a directory error, a timeout): its last task is
  // the one that stopped (a cancel or a rejection is no failure of a task); a task that never
  // reported is no longer running.
  function settle(run) {
    if (ACTIVE.includes(run.status)) return;
    const all = [...tasks.values()];
    for (const task of all) if (task.node.dataset.mark === undefined) setMark(task, "skipped");
    const last = all[all.length - 1];
    const stopped = ["refused", "failed", "timed_out", "interrupted"].includes(run.status);
    if (stopped && last && !all.some((t) => t.node.dataset.mark === "failed")) {
      setMark(last, "failed");
    }
  }

  function render(run) {
    current = run;
    const active = ACTIVE.includes(run.status);
    cancelling = active && (cancelling || run.cancel_requested);
    // A cancel takes until the run stops between steps: say so until it has ended.
    $("status").textContent = cancelling ? "cancelling…" : run.status.replace(/_/g, " ");
    $("status").className = `status s-${cancelling ? "cancelling" : run.status}`;
    $("preview").hidden = !run.check_mode;
    $("progress").hidden = !active;
    const approval = run.details?.approval;
    const facts = [["Ticket", run.ticket_id], ["Customer", run.customer], ["Fix", run.action],
      ["Target", run.target], ["Requested by", run.requested_by], ["Check mode", run.check_mode ? "yes" : "no"],
      ["Created", when(run.created_at)], ["Finished", when(run.finished_at)]];
    // A held run: who decided, when, and what they said (the requester reads it here, live).
    if (approval?.decided_by) {
      const said = approval.comment ? `: ${approval.comment}` : "";
      facts.push([`${approval.status === "approved" ? "Approved" : "Rejected"} by`,
        `${approval.decided_by}, ${when(approval.decided_at)}${said}`]);
    }
    $("facts").replaceChildren(...facts.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value || "–")]));
    $("reason").textContent = run.status === "awaiting_approval" && approval
      ? `Waiting for a second person to approve: ${approval.reasons.map((r) => r.message).join("; ")}`
      : ENDED_BADLY.includes(run.status)
        ? `${run.status === "refused" ? "Refused" : "Reason"}: ${run.error || run.summary || run.status}` : "";
    $("summary").textContent = run.status === "succeeded" ? run.summary : "";
    $("cancel").hidden = !active || cancelling;
    $("rerun").hidden = active;
    const revealable = run.details?.reveal_id && run.requester_id === window.Fixline.user;
    if (revealable && !revealAsked) { revealAsked = true; checkReveal(); }
    $("reveal").hidden = revealSpent;
    settle(run);
  }

  function follow() {
    const source = new EventSource(`/runs/${encodeURIComponent(runId)}/events?after=${lastSeq}`);
    source.addEventListener("run_event", (message) => {
      addEvent(JSON.parse(message.data));
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
    cancelling = true;
    render(current);
    try { render(await api("POST", `/runs/${encodeURIComponent(runId)}/cancel`)); }
    catch (error) { cancelling = false; render(current); $("reason").textContent = error.message; }
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
      spend();
      $("secret").textContent = secret.password;
      $("copy").hidden = false;
      $("reveal-msg").textContent = "Shown once: it cannot be shown again.";
    } catch (error) {
      if (error.status === 410) spend();
      else $("reveal").disabled = false;
      $("reveal-msg").textContent = error.status === 410
        ? "Already shown once (or expired): it cannot be shown again." : error.message;
    }
  });

  // The reveal is used up: its button goes for good (a render after a live event included).
  function spend() {
    revealSpent = true;
    $("reveal").hidden = true;
  }

  // Telling the requester it is ready starts its hand-over window. A file goes to its own
  // box (downloaded, never shown); a page opened again after the secret was shown (or
  // expired) offers no Show button: the API says so without spending anything.
  async function checkReveal() {
    try {
      const told = await window.Handover.tell(current.details.reveal_id);
      if (told.filename) { window.Handover.offerFile(current.details.reveal_id, told); return; }
      $("reveal-box").hidden = false;
      const { state } = told;
      if (state === "ready") return;
      spend();
      $("reveal-msg").textContent = state === "shown"
        ? "Already shown once: it cannot be shown again." : "Expired unshown: it cannot be shown any more.";
    } catch (error) { $("reveal-box").hidden = false; $("reveal-msg").textContent = error.message; }
  }

  $("copy").addEventListener("click", async () => {
    await navigator.clipboard.writeText($("secret").textContent);
    $("reveal-msg").textContent = "Copied.";
  });

  api("GET", `/runs/${encodeURIComponent(runId)}`).then((run) => { render(run); follow(); },
    (error) => { $("status").textContent = "unavailable"; $("reason").textContent = error.message; });
})();
