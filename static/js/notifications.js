// The notification centre on every page: a bell with an unread count, the last notifications in a
// dropdown, a toast for each, and (opt-in only) a sound and a desktop notification for severe alerts.
// Texts are the server's translated templates (data attributes of #notify-texts) filled with numbers
// and names from events, always written with textContent.
(function () {
  "use strict";
  const KEEP = 20;
  const LOUD_SEVERITY = 7;
  const OWN_ACTION_MS = 10000;

  function texts() {
    const node = document.getElementById("notify-texts");
    return node ? node.dataset : {};
  }
  function userId() { return Number(document.body.dataset.userId) || 0; }
  function storageKey() { return `crisisdesk.notifications.${userId()}`; }
  function loudKey() { return `crisisdesk.notifications.loud.${userId()}`; }

  function load() {
    try {
      const items = JSON.parse(localStorage.getItem(storageKey()) || "[]");
      return Array.isArray(items) ? items.slice(0, KEEP) : [];
    } catch (error) { return []; }
  }
  function save(items) {
    try { localStorage.setItem(storageKey(), JSON.stringify(items.slice(0, KEEP))); } catch (error) { /* full or private */ }
  }

  function fill(template, values) {
    return String(template || "").replace(/%\((\w+)\)s/g, (match, name) => String(values[name] ?? ""));
  }

  function render() {
    const list = document.getElementById("notify-list");
    const count = document.getElementById("notify-count");
    const empty = document.getElementById("notify-empty");
    if (!list || !count) return;
    const items = load();
    list.replaceChildren(...items.map((item) => {
      const entry = document.createElement("li");
      entry.className = item.read ? "read" : "unread";
      entry.dataset.kind = item.kind;
      const time = document.createElement("time");
      const when = new Date(item.at);
      time.dateTime = when.toISOString();
      time.textContent = when.toLocaleTimeString(document.documentElement.lang || undefined, { hour: "2-digit", minute: "2-digit" });
      const text = document.createElement(item.url ? "a" : "span");
      if (item.url) text.href = item.url;
      text.textContent = item.text;
      entry.append(time, " ", text);
      return entry;
    }));
    const unread = items.filter((item) => !item.read).length;
    count.textContent = String(unread);
    count.hidden = unread === 0;
    if (empty) empty.hidden = items.length > 0;
    const button = document.getElementById("notify-button");
    if (button) button.dataset.unread = String(unread);
  }

  function beep() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    const context = new Context();
    const tone = context.createOscillator();
    const gain = context.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, context.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, context.currentTime + 0.6);
    tone.connect(gain).connect(context.destination);
    tone.start();
    tone.stop(context.currentTime + 0.6);
    tone.addEventListener("ended", () => context.close());
  }

  function loud() { return localStorage.getItem(loudKey()) === "1"; }

  function notify(kind, text, options) {
    const extra = options || {};
    const items = load();
    items.unshift({ kind, text, url: extra.url || "", at: Date.now(), read: false });
    save(items);
    render();
    if (window.CrisisDesk) window.CrisisDesk.toast(text, kind);
    if (Number(extra.severity) >= LOUD_SEVERITY && loud()) {
      beep();
      if ("Notification" in window && Notification.permission === "granted") new Notification(text);
    }
  }

  // Mentions this tab just acted on: their "assigned to you" echo is not news to this person.
  const ownActions = new Map();
  function markOwn(ids) { ids.forEach((id) => ownActions.set(Number(id), Date.now())); }
  function isOwn(id) { return Date.now() - (ownActions.get(Number(id)) || 0) < OWN_ACTION_MS; }

  const handlers = {
    "alert.new": (data) => notify("alert", fill(texts().alert, { severity: Number(data.severity) || "" }),
      { severity: data.severity, url: texts().alertsUrl }),
    "statement.pending": (data) => notify("statement", texts().statement || "",
      { url: data.crisis_id ? `/crises/${Number(data.crisis_id)}/` : "" }),
    "crisis.notice": (data) => notify("crisis", texts().notice || "",
      { url: data.id ? `/crises/${Number(data.id)}/` : "" }),
    "escalation.answered": (data) => notify("escalation", fill(texts().answered, { department: data.department || "" }),
      { url: texts().escalationsUrl }),
    "escalation.overdue": (data) => notify("overdue", fill(texts().overdue, { department: data.department || "" }),
      { url: texts().escalationsUrl }),
    "checklist.reminder": (data) => notify(data.stage === "overdue" ? "overdue" : "checklist",
      { soon: texts().stepSoon, due: texts().stepDue, overdue: texts().stepOverdue }[data.stage] || texts().stepDue || "",
      { url: data.crisis_id ? `/crises/${Number(data.crisis_id)}/#step-${Number(data.id)}` : "" }),
    "mention.changed": (data) => {
      if (data.change !== "assigned" || Number(data.assignee_id) !== userId() || isOwn(data.id)) return;
      notify("assigned", fill(texts().assigned, { number: Number(data.id) }), { url: `/inbox/mentions/${Number(data.id)}/` });
    },
    // Reply approvals: approvers hear of a reply waiting, and of one nobody decided in time; its author
    // hears every decision.
    "reply.approval": (data) => {
      const mine = Number(data.author_id) === userId();
      const values = { number: Number(data.mention_id), name: data.decided_by || "", comment: data.comment || "" };
      const mentionUrl = `/inbox/mentions/${Number(data.mention_id)}/`;
      if (!mine && (data.change === "requested" || data.change === "expired")) {
        const text = data.change === "requested" ? texts().approvalRequested : texts().approvalExpiredApprover;
        notify("approval", fill(text, values), { url: texts().approvalsUrl });
      } else if (mine && ["approved", "edited", "rejected", "expired"].includes(data.change)) {
        const key = { approved: "approvalApproved", edited: "approvalEdited", rejected: "approvalRejected", expired: "approvalExpired" }[data.change];
        notify(data.change === "rejected" || data.change === "expired" ? "overdue" : "approval", fill(texts()[key], values), { url: mentionUrl });
      }
    },
    "mention.returned": (data) => {
      if (Number(data.previous_assignee_id) !== userId()) return;
      notify("returned", fill(texts().returned, { number: Number(data.id) }), { url: `/inbox/mentions/${Number(data.id)}/` });
    },
  };
  Object.entries(handlers).forEach(([type, handler]) => {
    document.addEventListener(`console:${type}`, (event) => handler(event.detail || {}));
  });

  function setOpen(open) {
    const button = document.getElementById("notify-button");
    const panel = document.getElementById("notify-panel");
    if (!button || !panel) return;
    panel.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
  }

  function start() {
    const button = document.getElementById("notify-button");
    const panel = document.getElementById("notify-panel");
    if (!button || !panel) return;
    button.addEventListener("click", () => setOpen(panel.hidden));
    document.addEventListener("click", (event) => {
      if (!panel.hidden && !event.target.closest("#notify")) setOpen(false);
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !panel.hidden) { setOpen(false); button.focus(); }
    });
    const readAll = document.getElementById("notify-read");
    if (readAll) readAll.addEventListener("click", () => { save(load().map((item) => ({ ...item, read: true }))); render(); });
    const toggle = document.getElementById("notify-loud");
    if (toggle) {
      toggle.checked = loud();
      toggle.addEventListener("change", () => {
        localStorage.setItem(loudKey(), toggle.checked ? "1" : "0");
        // Asked only now, on the person's own click: never a prompt nor a sound without it.
        if (toggle.checked && "Notification" in window && Notification.permission === "default") Notification.requestPermission();
      });
    }
    window.addEventListener("storage", (event) => { if (event.key === storageKey()) render(); });
    render();
  }

  window.CrisisDeskNotifications = { notify, markOwn };
  document.addEventListener("DOMContentLoaded", start);
})();
