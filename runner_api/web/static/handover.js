// The hand-over of a run's one-time secret to its requester: telling them it is ready (its
// window starts then, not at the run's end), and a file (a VPN profile, with its private
// key) downloaded once: fetched into memory and saved, never put on the page.
"use strict";
(function () {
  const { api, when } = window.Fixline;
  const $ = (id) => document.getElementById(id);
  const path = (id) => `/reveals/${encodeURIComponent(id)}`;
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

  // The requester sees it is ready: the hand-over window starts now (once).
  const tell = (id) => api("POST", `${path(id)}/told`);

  function offerFile(id, state) {
    $("file-box").hidden = false;
    if (state.state === "ready") {
      $("download").hidden = false;
      $("file-msg").textContent = `Ready for one download, until ${when(state.expires_at)}.`;
      $("download").onclick = () => download(id, state.filename);
      return;
    }
    spent(state.state === "shown"
      ? "Already downloaded once: it cannot be downloaded again. A new VPN grant makes a new profile."
      : "Expired before it was downloaded, and wiped. A new VPN grant makes a new profile.");
  }

  function spent(message) {
    $("download").hidden = true;
    $("file-msg").textContent = message;
  }

  async function download(id, filename) {
    $("download").disabled = true;
    let answer;
    try {
      answer = await fetch(`${path(id)}/download`, {
        method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf() },
      });
    } catch (error) {
      $("download").disabled = false;
      $("file-msg").textContent = `Not downloaded (${error.message}): try again.`;
      return;
    }
    if (!answer.ok) {
      const body = await answer.json().catch(() => null);
      const message = body?.error?.message || `HTTP ${answer.status}`;
      if (answer.status === 410) { spent(`Not downloaded: ${message}.`); return; }
      $("download").disabled = false;
      $("file-msg").textContent = `Not downloaded: ${message}.`;
      return;
    }
    // A blob in memory, saved through a link that is never added to the page.
    const url = URL.createObjectURL(await answer.blob());
    const link = document.createElement("a");
    link.href = url;
    link.download = filename;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    spent(`Downloaded as ${filename}. It cannot be downloaded again.`);
  }

  window.Handover = { tell, offerFile };
})();
