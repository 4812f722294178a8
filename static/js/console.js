// Crisis Desk console: one websocket per browser, events re-dispatched as DOM events.
// Every piece of text from an event is written with textContent or fetched as server-rendered
// (escaped) HTML: mentions are written by strangers.
(function () {
  "use strict";
  const status = () => document.getElementById("live-status");
  let socket = null;
  let attempts = 0;
  // Each group's events are numbered (crisisdesk.realtime.stream_numbers): a number skipped is an event
  // the server dropped on the way, so what the page shows may be stale.
  const streams = new Map();

  function missedBefore(payload) {
    if (typeof payload.stream !== "string" || !Number.isInteger(payload.seq) || payload.seq < 1) return 0;
    const last = streams.get(payload.stream);
    streams.set(payload.stream, payload.seq);
    return last !== undefined && payload.seq > last + 1 ? payload.seq - last - 1 : 0;
  }

  // `console:resync`: every page re-loads what it shows over HTTP, after a reconnect or a missed event.
  function resync(detail) {
    document.dispatchEvent(new CustomEvent("console:resync", { detail }));
  }

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
      streams.clear();
      setStatus("open");
      if (reconnected) {
        document.dispatchEvent(new CustomEvent("console:reconnected"));
        resync({ reason: "reconnected" });
      }
    });
    socket.addEventListener("message", (message) => {
      let payload;
      try { payload = JSON.parse(message.data); } catch (error) { return; }
      if (!payload || typeof payload.type !== "string") return;
      const missed = missedBefore(payload);
      // One change to many mentions (the auto-assigner's run) arrives as one `mentions.changed`; the
      // page's listeners hear it as a `mention.changed` per mention.
      const details = payload.type === "mentions.changed" && Array.isArray(payload.mentions)
        ? payload.mentions.map((state) => ({ ...state, type: "mention.changed", change: payload.change }))
        : [payload];
      details.forEach((detail) => document.dispatchEvent(new CustomEvent(`console:${detail.type}`, { detail })));
      if (missed > 0) resync({ reason: "missed", missed });
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
    toast(text, kind) {
      const box = document.getElementById("toasts");
      if (!box) return;
      const item = document.createElement("div");
      item.className = "toast";
      if (kind) item.dataset.kind = String(kind);
      item.textContent = text;
      box.appendChild(item);
      setTimeout(() => item.remove(), 6000);
    },
    send(payload) {
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(payload));
    },
    refreshRow(mentionId) { return refreshInboxRow(mentionId); },
  };

  // Inbox: arrivals never move the rows under the cursor. A pill counts them; clicking it re-fetches the
  // first page in the current filter and order, and the cursor stays on the same mention.
  let arrived = 0;
  function pill() { return document.getElementById("new-pill"); }
  function showPill(stale) {
    const button = pill();
    if (!button) return;
    button.textContent = arrived || !stale
      ? (button.dataset.template || "%(count)s").replace("%(count)s", String(arrived))
      : button.dataset.stale || "";
    button.dataset.count = String(arrived);
    button.hidden = false;
  }
  async function showArrivals() {
    const table = document.getElementById("mention-table");
    const body = document.getElementById("mention-rows");
    if (!table || !body) return;
    const current = body.querySelector("tr.is-current");
    const currentId = current ? current.dataset.mentionId : "";
    const url = new URL(table.dataset.rowsUrl, location.href);
    url.searchParams.delete("cursor");
    const response = await fetch(url, { headers: { "HX-Request": "true" } });
    if (!response.ok) return;
    const template = document.createElement("template");
    template.innerHTML = (await response.text()).trim();
    body.replaceChildren(...template.content.querySelectorAll("tr"));
    arrived = 0;
    pill().hidden = true;
    const more = document.getElementById("load-more");
    const next = response.headers.get("X-Next-Cursor") || "";
    if (more) { more.dataset.cursor = next; more.hidden = !next; }
    const empty = document.getElementById("empty-inbox");
    if (empty && body.children.length) empty.remove();
    const again = currentId && body.querySelector(`[data-mention-id="${currentId}"]`);
    if (again) document.dispatchEvent(new CustomEvent("inbox:select", { detail: { row: again, focus: true } }));
    document.dispatchEvent(new CustomEvent("inbox:rows-changed"));
  }
  document.addEventListener("console:mention.new", (event) => {
    if (!pill()) return;
    arrived += Math.max(0, Number(event.detail && event.detail.count) || 0);
    showPill(false);
  });
  document.addEventListener("console:resync", () => showPill(true));

  // Inbox: "Load more" appends the next page of the queue (by cursor) instead of following the link.
  async function loadMore(link) {
    const table = document.getElementById("mention-table");
    const body = document.getElementById("mention-rows");
    if (!table || !body || !link.dataset.cursor) return;
    const url = new URL(table.dataset.rowsUrl, location.href);
    url.searchParams.set("cursor", link.dataset.cursor);
    link.setAttribute("aria-busy", "true");
    const response = await fetch(url, { headers: { "HX-Request": "true" } });
    link.removeAttribute("aria-busy");
    if (!response.ok) return;
    const template = document.createElement("template");
    template.innerHTML = (await response.text()).trim();
    template.content.querySelectorAll("tr").forEach((row) => {
      if (!body.querySelector(`[data-mention-id="${row.dataset.mentionId}"]`)) body.appendChild(row);
    });
    const next = response.headers.get("X-Next-Cursor") || "";
    link.dataset.cursor = next;
    link.hidden = !next;
    document.dispatchEvent(new CustomEvent("inbox:rows-changed"));
  }
  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    if (target.closest("#new-pill")) { showArrivals(); return; }
    const link = target.closest("#load-more");
    if (link) { event.preventDefault(); loadMore(link); }
  });

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
      const wasCurrent = current.classList.contains("is-current");
      row.setAttribute("aria-selected", "false");
      row.classList.add("changed");
      const hadFocus = current.contains(document.activeElement);
      current.replaceWith(row);
      if (wasCurrent) document.dispatchEvent(new CustomEvent("inbox:select", { detail: { row, focus: hadFocus } }));
    } else if (current.isConnected) {
      // The row left the view (assigned away, closed, hidden): the cursor goes to the next one.
      const next = current.classList.contains("is-current")
        ? current.nextElementSibling || current.previousElementSibling : null;
      current.remove();
      if (next) document.dispatchEvent(new CustomEvent("inbox:select", { detail: { row: next, focus: true } }));
    }
    document.dispatchEvent(new CustomEvent("inbox:rows-changed"));
  }
  document.addEventListener("console:mention.changed", (event) => {
    const mentionId = Number(event.detail && event.detail.id);
    refreshInboxRow(mentionId);
  });
  // The model tier relabelled mentions (priority, sentiment, category): the rows on screen follow.
  document.addEventListener("console:mention.triaged", (event) => {
    const mentions = (event.detail && Array.isArray(event.detail.mentions)) ? event.detail.mentions : [];
    mentions.forEach((mention) => refreshInboxRow(Number(mention && mention.id)));
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

  // On a narrow screen the navigation and the account links fold behind one menu button, and the
  // inbox's less used filters behind another.
  document.addEventListener("click", (event) => {
    const more = event.target instanceof Element ? event.target.closest("#filters-toggle") : null;
    if (more) {
      const shown = more.getAttribute("aria-expanded") !== "true";
      more.setAttribute("aria-expanded", String(shown));
      document.getElementById("inbox-filters").classList.toggle("show-all", shown);
      return;
    }
    const button = event.target instanceof Element ? event.target.closest("#menu-button") : null;
    if (!button) return;
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    document.querySelector(".topbar").classList.toggle("menu-open", open);
  });

  document.addEventListener("DOMContentLoaded", connect);
})();
