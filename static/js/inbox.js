// Keyboard-driven triage. On the inbox: j/k move, Enter/o open, a assign to me, r reply, e escalate,
// h hide (asks a reason), x select for bulk, / search, 1–6 correct the category. On a mention: r, e, h,
// a and 1–6 act on it. ? shows help.
// Rows are server-rendered; this script only moves focus, ticks boxes and submits forms.
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.closest) return false;
    return Boolean(target.closest("input, textarea, select, [contenteditable=''], [contenteditable=true]"));
  }

  function helpDialog() { return document.getElementById("shortcuts-help"); }

  // One key corrects triage's category; the order of the categories in the model (and in the help).
  const CATEGORY_KEYS = { 1: "complaint", 2: "question", 3: "praise", 4: "troll", 5: "spam", 6: "other" };

  function showHelp() {
    const dialog = helpDialog();
    if (dialog && !dialog.open) dialog.showModal();
  }

  // --- the inbox list -----------------------------------------------------------------------
  function rowsBody() { return document.getElementById("mention-rows"); }
  function rows() {
    const body = rowsBody();
    return body ? Array.from(body.querySelectorAll("tr.mention-row")) : [];
  }
  function currentRow() {
    const body = rowsBody();
    return body ? body.querySelector("tr.mention-row.is-current") : null;
  }

  // Exactly one row is the cursor: class is-current, aria-selected="true", the only one in the tab order.
  function setCurrent(row, options) {
    rows().forEach((item) => {
      item.classList.remove("is-current");
      item.setAttribute("tabindex", "-1");
      item.setAttribute("aria-selected", "false");
    });
    if (!row) return;
    row.classList.add("is-current");
    row.setAttribute("tabindex", "0");
    row.setAttribute("aria-selected", "true");
    if (options && options.quiet) return;
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    const list = rows();
    if (!list.length) return;
    const index = list.indexOf(currentRow());
    const next = index < 0 ? 0 : Math.min(list.length - 1, Math.max(0, index + step));
    setCurrent(list[next]);
  }

  function updateCount() {
    const label = document.getElementById("bulk-count");
    if (!label) return;
    const count = document.querySelectorAll("#mention-rows .row-select:checked").length;
    label.textContent = (label.dataset.template || "%(count)s").replace("%(count)s", String(count));
    const bar = document.getElementById("bulk-form");
    if (bar) bar.classList.toggle("has-selection", count > 0);
  }

  function toggleSelected(row) {
    const box = row && row.querySelector(".row-select");
    if (!box) return;
    box.checked = !box.checked;
    updateCount();
  }

  function open(row, hash) {
    if (row && row.dataset.detailUrl) location.assign(row.dataset.detailUrl + (hash || ""));
  }

  // One action on the row under the cursor (assign to me, correct the category): posted, told, the row refreshed.
  async function postRowAction(row, url, fields) {
    const form = document.getElementById("bulk-form");
    const data = new FormData();
    data.set("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    Object.entries(fields).forEach(([name, value]) => data.append(name, value));
    if (window.CrisisDeskNotifications) window.CrisisDeskNotifications.markOwn([row.dataset.mentionId]);
    const response = await fetch(url, {
      method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" },
    });
    let answer = {};
    try { answer = await response.json(); } catch (error) { answer = {}; }
    if (window.CrisisDesk) {
      window.CrisisDesk.toast(String(answer.message || answer.error || response.status));
      if (response.ok) window.CrisisDesk.refreshRow(Number(row.dataset.mentionId));
    }
  }

  async function assignToMe(row) {
    const table = document.getElementById("mention-table");
    const form = document.getElementById("bulk-form");
    if (!row || !table || !form || !table.dataset.mayAct) return;
    await postRowAction(row, table.dataset.assignUrl, { action: "assign", ids: row.dataset.mentionId });
  }

  async function submitBulk(form, submitter) {
    const data = new FormData(form);
    if (submitter && submitter.name) data.set(submitter.name, submitter.value);
    if (window.CrisisDeskNotifications) window.CrisisDeskNotifications.markOwn(data.getAll("ids"));
    // form.action would be the buttons named "action": the attribute is the URL.
    const response = await fetch(form.getAttribute("action"), {
      method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" },
    });
    let answer = {};
    try { answer = await response.json(); } catch (error) { answer = {}; }
    if (!window.CrisisDesk) return;
    window.CrisisDesk.toast(String(answer.message || answer.error || response.status));
    if (!response.ok) return;
    const reason = document.getElementById("bulk-reason");
    if (reason) reason.value = "";
    await Promise.all((answer.ids || []).map((id) => {
      const box = document.querySelector(`#mention-rows .row-select[value="${Number(id)}"]`);
      if (box) box.checked = false;
      return window.CrisisDesk.refreshRow(Number(id));
    }));
    updateCount();
  }

  async function correctRow(row, category) {
    const table = document.getElementById("mention-table");
    const form = document.getElementById("bulk-form");
    if (!row || !table || !form || !table.dataset.mayAct || !row.dataset.relabelUrl) return false;
    await postRowAction(row, row.dataset.relabelUrl, { field: "category", value: category });
    return true;
  }

  function askHideReason(row) {
    const reason = document.getElementById("bulk-reason");
    if (!reason || !row) return;
    const box = row.querySelector(".row-select");
    if (box && !box.checked) { box.checked = true; updateCount(); }
    reason.focus();
  }

  function listKey(event) {
    const row = currentRow();
    switch (event.key) {
      case "j": move(1); return true;
      case "k": move(-1); return true;
      case "Enter": case "o": if (row) { open(row, ""); return true; } return false;
      case "r": open(row, "#reply"); return Boolean(row);
      case "e": open(row, "#escalate"); return Boolean(row);
      case "a": assignToMe(row); return Boolean(row);
      case "x": toggleSelected(row); return Boolean(row);
      case "h": askHideReason(row); return Boolean(row);
      case "1": case "2": case "3": case "4": case "5": case "6":
        correctRow(row, CATEGORY_KEYS[event.key]); return Boolean(row);
      case "/": {
        const search = document.getElementById("id_q");
        if (search) { search.focus(); search.select(); return true; }
        return false;
      }
      default: return false;
    }
  }

  function startList() {
    const body = rowsBody();
    if (!body) return;
    body.addEventListener("change", (event) => {
      if (event.target.classList.contains("row-select")) updateCount();
    });
    body.addEventListener("click", (event) => {
      const row = event.target.closest("tr.mention-row");
      if (row && !event.target.closest("a, input")) setCurrent(row);
    });
    const form = document.getElementById("bulk-form");
    if (form) {
      form.addEventListener("submit", (event) => {
        // With nothing ticked, the bulk bar acts on the row under the cursor.
        if (!document.querySelector("#mention-rows .row-select:checked")) {
          const box = currentRow() && currentRow().querySelector(".row-select");
          if (box) box.checked = true;
        }
        // Acted on in place, so the cursor and the rest of the page stay where they are.
        event.preventDefault();
        submitBulk(form, event.submitter);
      });
      const reason = document.getElementById("bulk-reason");
      if (reason) {
        reason.addEventListener("keydown", (event) => {
          if (event.key !== "Enter") return;
          event.preventDefault();
          form.querySelector("[name=action][value=hide]").click();
        });
      }
    }
    updateCount();
  }

  // --- one mention --------------------------------------------------------------------------
  function focusField(id) {
    const field = document.getElementById(id);
    if (!field) return false;
    field.scrollIntoView({ block: "center" });
    field.focus();
    return true;
  }

  function detailKey(event) {
    switch (event.key) {
      case "r": return focusField("id_body");
      case "e": return focusField("escalate-question");
      case "h": return focusField("id_reason");
      case "1": case "2": case "3": case "4": case "5": case "6": {
        const select = document.getElementById("relabel-category");
        if (!select || !select.form) return false;
        select.value = CATEGORY_KEYS[event.key];
        select.form.requestSubmit();
        return true;
      }
      case "a": {
        const form = document.getElementById("assign-to-me-form");
        if (form) { form.requestSubmit(); return true; }
        return false;
      }
      default: return false;
    }
  }

  function startDetail() {
    if (!document.getElementById("mention-detail")) return;
    const target = { "#reply": "id_body", "#escalate": "escalate-question" }[location.hash];
    if (!target) return;
    // The browser scrolls to the fragment after "load" and resets focus then: focus after it.
    const focus = () => setTimeout(() => focusField(target), 0);
    if (document.readyState === "complete") focus();
    else window.addEventListener("load", focus, { once: true });
  }

  // --- every page ---------------------------------------------------------------------------
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape" && typing(event.target)) { event.target.blur(); return; }
    if (typing(event.target)) return;
    if (helpDialog() && helpDialog().open) return;
    let handled = false;
    if (event.key === "?") { showHelp(); handled = true; }
    else if (rowsBody()) handled = listKey(event);
    else if (document.getElementById("mention-detail")) handled = detailKey(event);
    if (handled) event.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", () => {
    const button = document.getElementById("shortcuts-button");
    if (button) button.addEventListener("click", showHelp);
    startList();
    startDetail();
  });
  document.addEventListener("inbox:rows-changed", updateCount);
  // The live parts of the page hand the cursor back: a row that left (assigned or closed out of the
  // view) passes it to the next row; re-fetched rows give it back to the same mention.
  document.addEventListener("inbox:select", (event) => {
    const detail = event.detail || {};
    if (detail.row && detail.row.isConnected) setCurrent(detail.row, { quiet: !detail.focus });
  });
})();
