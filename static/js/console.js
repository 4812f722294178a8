// Crisis Desk console: one websocket per browser, events re-dispatched as DOM events.
// Every piece of text from an event is written with textContent or fetched as server-rendered
// (escaped) HTML: mentions are written by strangers.
(function () {
  "use strict";
  const status = () => document.getElementById("live-status");
  let socket = null;
  let attempts = 0;

  function setStatus(state) {
    const dot = status();
    if (dot) dot.dataset.state = state;
  }

  function connect() {
    if (!document.body.dataset.role) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/console/`);
    socket.addEventListener("open", () => {
      const reconnected = attempts > 0;
      attempts = 0;
      setStatus("open");
      if (reconnected) document.dispatchEvent(new CustomEvent("console:reconnected"));
    });
    socket.addEventListener("message", (message) => {
      let payload;
      try { payload = JSON.parse(message.data); } catch (error) { return; }
      if (!payload || typeof payload.type !== "string") return;
      document.dispatchEvent(new CustomEvent(`console:${payload.type}`, { detail: payload }));
    });
    socket.addEventListener("close", (closed) => {
      setStatus("closed");
      // 4401: the session ended (logout, password change, deactivation); reloading leads to the login page.
      if (closed.code === 4401) { location.reload(); return; }
      // 4409: role or departments changed; reconnect at once into the new groups, then re-load state.
      if (closed.code === 4409) { attempts = 1; connect(); return; }
      attempts += 1;
      const delay = Math.min(15000, 500 * 2 ** Math.min(attempts, 5));
      setTimeout(connect, delay);
    });
  }

  window.CrisisDesk = {
    toast(text) {
      const box = document.getElementById("toasts");
      if (!box) return;
      const item = document.createElement("div");
      item.className = "toast";
      item.textContent = text;
      box.appendChild(item);
      setTimeout(() => item.remove(), 6000);
    },
    send(payload) {
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(payload));
    },
    refreshRow(mentionId) { return refreshInboxRow(mentionId); },
  };

  // Inbox: new mentions slide in at the top, fetched as server-rendered rows.
  async function refreshInboxRows() {
    const table = document.getElementById("mention-table");
    const body = document.getElementById("mention-rows");
    if (!table || !body) return;
    const ids = Array.from(body.querySelectorAll("[data-mention-id]")).map((row) => Number(row.dataset.mentionId));
    const after = ids.length ? Math.max(...ids) : 0;
    const url = new URL(table.dataset.rowsUrl, location.href);
    url.searchParams.set("after", String(after));
    const response = await fetch(url, { headers: { "HX-Request": "true" } });
    if (!response.ok) return;
    const template = document.createElement("template");
    template.innerHTML = (await response.text()).trim();
    const rows = Array.from(template.content.querySelectorAll("tr"));
    rows.reverse().forEach((row) => {
      if (body.querySelector(`[data-mention-id="${row.dataset.mentionId}"]`)) return;
      row.classList.add("slide-in");
      body.prepend(row);
    });
    const empty = document.getElementById("empty-inbox");
    if (empty && rows.length) empty.remove();
  }
  let pending = null;
  document.addEventListener("console:mention.new", () => {
    if (pending) return;
    pending = setTimeout(() => { pending = null; refreshInboxRows(); }, 250);
  });
  document.addEventListener("console:reconnected", () => refreshInboxRows());

  // Inbox: a changed mention's row is re-rendered in place; if it no longer matches the filters
  // (hidden, closed, someone else's) the server sends nothing and the row leaves.
  async function refreshInboxRow(mentionId) {
    const table = document.getElementById("mention-table");
    const body = document.getElementById("mention-rows");
    if (!table || !body || !Number.isInteger(mentionId)) return;
    const current = body.querySelector(`[data-mention-id="${mentionId}"]`);
    if (!current) return;
    const url = new URL(table.dataset.rowsUrl, location.href);
    url.searchParams.delete("after");
    url.searchParams.set("id", String(mentionId));
    const response = await fetch(url, { headers: { "HX-Request": "true" } });
    if (!response.ok) return;
    const template = document.createElement("template");
    template.innerHTML = (await response.text()).trim();
    const row = template.content.querySelector("tr");
    if (row) {
      // Keep what the person was doing with the row: the keyboard cursor and the bulk tick.
      const box = current.querySelector(".row-select");
      const newBox = row.querySelector(".row-select");
      if (box && newBox) newBox.checked = box.checked;
      if (current.classList.contains("is-current")) {
        row.classList.add("is-current");
        row.setAttribute("tabindex", "0");
        row.setAttribute("aria-current", "true");
      }
      row.classList.add("changed");
      const hadFocus = current.contains(document.activeElement);
      current.replaceWith(row);
      if (hadFocus) row.focus({ preventScroll: true });
    } else {
      current.remove();
    }
    document.dispatchEvent(new CustomEvent("inbox:rows-changed"));
  }
  document.addEventListener("console:mention.changed", (event) => {
    const mentionId = Number(event.detail && event.detail.id);
    refreshInboxRow(mentionId);
  });

  // Crisis banner on every page.
  document.addEventListener("console:crisis.changed", async () => {
    const banner = document.getElementById("crisis-banner");
    if (!banner) return;
    const response = await fetch("/crises/banner/");
    if (response.ok) banner.innerHTML = await response.text();
  });

  // A <select data-submit-on-change> (the language switch) submits its form when changed: no inline handler,
  // which the Content-Security-Policy would refuse.
  document.addEventListener("change", (event) => {
    const select = event.target;
    if (select instanceof HTMLSelectElement && select.hasAttribute("data-submit-on-change") && select.form) {
      select.form.submit();
    }
  });

  document.addEventListener("DOMContentLoaded", connect);
})();
