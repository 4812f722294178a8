// Escalation: the desk's live cards and countdowns, and the escalation status on a mention page.
// Events only say *what* changed; the HTML is always fetched from the server (rendered, so escaped).
(function () {
  "use strict";

  function parse(html) {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content;
  }

  async function fetchHtml(url) {
    const response = await fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" });
    return response.ok ? response.text() : null;
  }

  // --- countdowns -------------------------------------------------------------------------
  function formatRemaining(milliseconds) {
    const total = Math.floor(Math.abs(milliseconds) / 1000);
    const hours = Math.floor(total / 3600);
    const minutes = Math.floor((total % 3600) / 60);
    const seconds = total % 60;
    const pad = (value) => String(value).padStart(2, "0");
    return (hours ? `${hours}:${pad(minutes)}` : String(minutes)) + `:${pad(seconds)}`;
  }

  function tick() {
    const now = Date.now();
    document.querySelectorAll("[data-due-at]").forEach((element) => {
      const due = Date.parse(element.dataset.dueAt);
      if (Number.isNaN(due)) return;
      const remaining = due - now;
      element.textContent = remaining >= 0
        ? formatRemaining(remaining)
        : `−${formatRemaining(remaining)} ${element.dataset.labelOverdue || ""}`.trim();
      element.classList.toggle("late", remaining < 0);
      element.classList.toggle("soon", remaining >= 0 && remaining < 5 * 60 * 1000);
    });
  }

  // --- the desk ---------------------------------------------------------------------------
  function deskList() {
    const list = document.getElementById("escalation-requests");
    return list && list.dataset.cardsUrl ? list : null;
  }

  async function addNewCards() {
    const list = deskList();
    if (!list) return;
    const ids = Array.from(list.querySelectorAll("[data-request-id]")).map((card) => Number(card.dataset.requestId));
    const url = new URL(list.dataset.cardsUrl, location.href);
    url.searchParams.set("after", String(ids.length ? Math.max(...ids) : 0));
    const html = await fetchHtml(url);
    if (html === null) return;
    const cards = Array.from(parse(html).querySelectorAll(".escalation-card"));
    cards.reverse().forEach((card) => {
      if (list.querySelector(`#${card.id}`)) return;
      card.classList.add("slide-in");
      list.prepend(card);
    });
    const empty = document.getElementById("escalation-empty");
    if (empty && list.querySelector(".escalation-card")) empty.hidden = true;
    tick();
  }

  async function refreshCard(requestId, force) {
    const card = document.getElementById(`escalation-${requestId}`);
    if (!card) return;
    const draft = card.querySelector("textarea[name=text]");
    if (!force && draft && draft.value.trim()) return;  // never throw away an answer being written
    const url = new URL(card.dataset.cardUrl, location.href);
    if (document.querySelector("#escalation-requests[data-single]")) url.searchParams.set("single", "1");
    const html = await fetchHtml(url);
    if (html === null) { card.remove(); return; }
    const fresh = parse(html).querySelector(".escalation-card");
    if (fresh) card.replaceWith(fresh);
    tick();
  }

  // --- the mention page -------------------------------------------------------------------
  async function refreshMentionStatus(detail) {
    const box = document.getElementById("escalation-status");
    if (!box) return;
    const mentionId = Number(box.dataset.mentionId);
    if (!Array.isArray(detail.mention_ids) || !detail.mention_ids.includes(mentionId)) return;
    const html = await fetchHtml(box.dataset.panelUrl);
    if (html === null) return;
    box.replaceChildren(parse(html));
  }

  function onEscalation(type, handler) {
    document.addEventListener(`console:escalation.${type}`, (event) => handler(event.detail || {}));
  }

  onEscalation("created", (detail) => { addNewCards(); refreshMentionStatus(detail); });
  ["acknowledged", "escalated", "overdue"].forEach((type) =>
    onEscalation(type, (detail) => { refreshCard(detail.request_id, false); refreshMentionStatus(detail); }));
  ["answered", "closed"].forEach((type) =>
    onEscalation(type, (detail) => { refreshCard(detail.request_id, true); refreshMentionStatus(detail); }));
  onEscalation("reminder", (detail) => {
    if (window.CrisisDesk && deskList()) window.CrisisDesk.toast(`⏰ #${detail.request_id} · ${detail.department || ""}`);
    refreshCard(detail.request_id, false);
  });
  document.addEventListener("console:resync", () => {
    addNewCards();
    document.querySelectorAll(".escalation-card").forEach((card) => refreshCard(card.dataset.requestId, false));
  });

  // The deadline field follows the chosen department's policy until the user types their own.
  document.addEventListener("change", (event) => {
    if (event.target.id !== "escalate-department") return;
    const minutes = document.getElementById("escalate-minutes");
    const option = event.target.selectedOptions[0];
    if (minutes && option && !minutes.dataset.touched) minutes.value = option.dataset.defaultMinutes || "";
  });
  document.addEventListener("input", (event) => {
    if (event.target.id === "escalate-minutes") event.target.dataset.touched = "1";
  });

  document.addEventListener("DOMContentLoaded", () => {
    const select = document.getElementById("escalate-department");
    const minutes = document.getElementById("escalate-minutes");
    if (select && minutes && !minutes.value && select.selectedOptions[0]) {
      minutes.value = select.selectedOptions[0].dataset.defaultMinutes || "";
    }
    tick();
    setInterval(tick, 1000);
  });
})();
