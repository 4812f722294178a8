// Crisis pages: the room re-renders its live parts from the server when the crisis changes, and
// a statement waiting for approval refreshes it. Event data is never written as HTML: the
// parts are fetched as server-rendered (escaped) HTML, and toasts use textContent.
(function () {
  "use strict";
  const room = () => document.getElementById("crisis-room");
  let pending = null;

  // Someone choosing a person or a time in the live part is not interrupted: the refresh waits.
  function editing(live) {
    const active = document.activeElement;
    return Boolean(active && live.contains(active) && active.matches("select, input, textarea"));
  }

  async function refreshRoom() {
    const header = room();
    const live = document.getElementById("crisis-live");
    if (!header || !live) return;
    if (editing(live)) { scheduleRefresh(2000); return; }
    const response = await fetch(header.dataset.liveUrl, { headers: { "HX-Request": "true" } });
    if (!response.ok) return;
    const open = Array.from(live.querySelectorAll("details[open][data-keep-open]"), (node) => node.dataset.keepOpen);
    live.innerHTML = await response.text();
    open.forEach((key) => {
      const details = live.querySelector(`details[data-keep-open="${CSS.escape(key)}"]`);
      if (details) details.open = true;
    });
  }

  function scheduleRefresh(delay) {
    if (pending) return;
    pending = setTimeout(() => { pending = null; refreshRoom(); }, delay || 200);
  }

  function isThisCrisis(detail) {
    const header = room();
    return header && detail && Number(header.dataset.crisisId) === Number(detail.id || detail.crisis_id);
  }

  document.addEventListener("console:crisis.updated", (event) => { if (isThisCrisis(event.detail)) scheduleRefresh(); });
  document.addEventListener("console:crisis.changed", (event) => {
    if (isThisCrisis(event.detail) && event.detail.change !== "declared") location.reload();
  });
  document.addEventListener("console:statement.decided", (event) => { if (isThisCrisis(event.detail)) scheduleRefresh(); });
  document.addEventListener("console:resync", () => { if (room()) refreshRoom(); });

  // An alert acknowledged anywhere (console, a message's link, Slack) shows as such on every open page.
  document.addEventListener("console:alert.acknowledged", (event) => {
    const detail = event.detail || {};
    document.querySelectorAll(`[data-alert-ack="${Number(detail.id)}"]`).forEach((element) => {
      element.textContent = `${element.dataset.ackedText || "✓"} ${detail.by || ""}`.trim();
      element.dataset.acknowledged = "true";
    });
    document.querySelectorAll(`#alert-detail[data-alert-id="${Number(detail.id)}"] [data-testid="alert-acknowledge"]`)
      .forEach((button) => button.remove());
  });

  // The toast and the bell for these events are the notification centre's (notifications.js).
  document.addEventListener("console:statement.pending", (event) => { if (isThisCrisis(event.detail)) scheduleRefresh(); });
})();
