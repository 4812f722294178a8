// The reply composer: templates (refreshed live when a department answer is approved), live pre-send
// warnings, a preview with the signature, the network's character counter, the undo window, and the
// response-time clock. Everything is written with textContent / .value only.
(function () {
  "use strict";
  const CHECK_DELAY_MS = 400;

  // --- counting as the network counts (the same rules as inbox/reply_length.py) ---------------------
  const URL_SOURCE = String.raw`(?:https?:\/\/|www\.)[^\s<>"]+|(?<![\w@.])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:com|org|net|es|io|co|info|eu|me|tv|ly|app|dev)(?![\w-])(?:\/[^\s<>"]*)?`;
  const EMOJI_PART = "\\u{1F000}-\\u{1FAFF}\\u2600-\\u27BF\\u2B00-\\u2BFF\\u3030\\u303D\\u3297\\u3299";
  const EMOJI_SOURCE = `[\\u{1F1E6}-\\u{1F1FF}]{2}|[${EMOJI_PART}][\\uFE0F\\u{1F3FB}-\\u{1F3FF}]*(?:\\u200D[${EMOJI_PART}][\\uFE0F\\u{1F3FB}-\\u{1F3FF}]*)*|[#*0-9]\\uFE0F?\\u20E3`;
  const URL_WEIGHT = 23;
  const X_LIGHT = [[0, 4351], [8192, 8205], [8208, 8223], [8242, 8247]];

  function xWeight(text) {
    let total = 0;
    for (const char of text) {
      const point = char.codePointAt(0);
      total += X_LIGHT.some(([low, high]) => point >= low && point <= high) ? 1 : 2;
    }
    return total;
  }

  function countX(text) {
    const tokens = new RegExp(`(${URL_SOURCE})|(${EMOJI_SOURCE})`, "giu");
    const normal = text.normalize("NFC");
    let total = 0;
    let position = 0;
    for (const match of normal.matchAll(tokens)) {
      total += xWeight(normal.slice(position, match.index));
      total += match[1] ? URL_WEIGHT : 2;
      position = match.index + match[0].length;
    }
    return total + xWeight(normal.slice(position));
  }

  function countMastodon(text) {
    const withoutDomains = text.replace(/(?<![\w/])(@\w+)@[\w.-]+\w/gu, "$1");
    const urls = new RegExp(URL_SOURCE, "giu");
    const count = (withoutDomains.match(urls) || []).length;
    return Array.from(withoutDomains.replace(urls, "")).length + URL_WEIGHT * count;
  }

  // Extended grapheme clusters (UAX #29): a family emoji, a flag or "e" + a combining accent count once.
  const GRAPHEMES = typeof Intl !== "undefined" && Intl.Segmenter
    ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;

  function countGraphemes(text) {
    if (!GRAPHEMES) return Array.from(text).length; // never fewer than the server counts: on the safe side
    let count = 0;
    for (const _segment of GRAPHEMES.segment(text)) count += 1;
    return count;
  }

  function countBytes(text) {
    return new TextEncoder().encode(text).length;
  }

  function countReply(text, mode) {
    if (mode === "x") return countX(text);
    if (mode === "mastodon") return countMastodon(text);
    if (mode === "bytes") return new TextEncoder().encode(text).length;
    if (mode === "graphemes") return countGraphemes(text);
    return Array.from(text).length;
  }

  function fill(template, values) {
    return Object.entries(values).reduce(
      (text, [key, value]) => text.split(`%(${key})s`).join(String(value)), String(template || ""));
  }

  function formatDuration(milliseconds) {
    const total = Math.max(0, Math.floor(milliseconds / 1000));
    const hours = Math.floor(total / 3600);
    const minutes = Math.floor((total % 3600) / 60);
    const seconds = total % 60;
    const pad = (value) => String(value).padStart(2, "0");
    return hours ? `${hours}:${pad(minutes)}:${pad(seconds)}` : `${minutes}:${pad(seconds)}`;
  }

  function startClock() {
    const clock = document.getElementById("response-clock");
    if (!clock) return;
    const received = Date.parse(clock.dataset.receivedAt);
    const target = Number(clock.dataset.targetMinutes || 15) * 60 * 1000;
    if (Number.isNaN(received)) return;
    if (clock.dataset.hidden) {
      clock.textContent = clock.dataset.labelHidden || "";
      return;
    }
    let answered = clock.dataset.firstResponseAt ? Date.parse(clock.dataset.firstResponseAt) : NaN;
    // A reply that waited for approval answers the mention when it is approved: the clock stops then.
    const root = document.getElementById("mention-detail");
    document.addEventListener("console:reply.approval", (event) => {
      const data = event.detail || {};
      if (!root || data.mention_id !== Number(root.dataset.mentionId) || !Number.isNaN(answered)) return;
      if (data.change === "approved" || data.change === "edited") { answered = Date.now(); tick(); }
    });
    function tick() {
      const end = Number.isNaN(answered) ? Date.now() : answered;
      const elapsed = end - received;
      const template = Number.isNaN(answered) ? clock.dataset.labelWaiting : clock.dataset.labelAnswered;
      clock.textContent = String(template || "%(time)s").replace("%(time)s", formatDuration(elapsed));
      clock.classList.toggle("late", elapsed > target);
      clock.classList.toggle("answered", !Number.isNaN(answered));
    }
    tick();
    const interval = setInterval(() => { tick(); if (!Number.isNaN(answered)) clearInterval(interval); }, 1000);
  }

  function startComposer() {
    const form = document.getElementById("reply-form");
    const root = document.getElementById("mention-detail");
    if (!form || !root) return;
    const box = form.querySelector("textarea[name=body]");
    const list = document.getElementById("reply-warnings");
    const preview = document.getElementById("reply-preview");
    const picker = document.getElementById("reply-template");
    const templatesNode = document.getElementById("reply-templates");
    let templates = templatesNode ? JSON.parse(templatesNode.textContent) : [];
    const counter = document.getElementById("reply-counter");
    const submit = form.querySelector("[type=submit]");
    const limit = Number(form.dataset.maxLength || 0);
    const maxBytes = Number(form.dataset.maxBytes || 0);
    let timer = null;
    let lastChecked = null;
    let lastWarnings = [];

    function renderWarnings(warnings) {
      lastWarnings = warnings;
      list.replaceChildren(...warnings.map((warning) => {
        const item = document.createElement("li");
        item.className = `warning warning-${String(warning.code)}`;
        item.dataset.code = String(warning.code);
        item.textContent = String(warning.message);
        return item;
      }));
    }

    function signed() {
      const body = box.value.trim();
      return form.dataset.signature ? `${body}\n${form.dataset.signature}` : body;
    }

    // The count is of what will be published: the text and the signature, as the network counts.
    function bytesOver() {
      return maxBytes ? countBytes(signed()) - maxBytes : 0;
    }

    function over() {
      if (!limit) return 0;
      return Math.max(countReply(signed(), form.dataset.countMode) - limit, bytesOver() > 0 ? bytesOver() : 0);
    }

    function renderCounter() {
      if (!counter || !limit) return;
      const count = countReply(signed(), form.dataset.countMode);
      const byteExcess = bytesOver();
      const excess = Math.max(count - limit, byteExcess);
      if (byteExcess > 0 && count <= limit) {
        counter.textContent = fill(form.dataset.labelOverBytes, { over: byteExcess, limit: maxBytes });
      } else {
        counter.textContent = excess > 0
          ? fill(form.dataset.labelOver, { over: count - limit, limit })
          : fill(form.dataset.labelCount, { count, limit });
      }
      counter.classList.toggle("over", excess > 0);
      counter.classList.toggle("near", excess <= 0 && count > limit * 0.9);
      counter.dataset.count = String(count);
      box.classList.toggle("over", excess > 0);
      box.setAttribute("aria-invalid", excess > 0 ? "true" : "false");
      submit.setAttribute("aria-disabled", excess > 0 ? "true" : "false");
    }

    function renderPreview() {
      const body = box.value.trim();
      preview.hidden = !body;
      preview.textContent = body ? `${body}\n${form.dataset.signature || ""}`.trim() : "";
      renderCounter();
    }

    function renderTemplates() {
      if (!picker) return;
      const groups = new Map();
      templates.forEach((template, index) => {
        const source = String(template.source);
        if (!groups.has(source)) {
          const group = document.createElement("optgroup");
          group.label = source === "playbook" ? picker.dataset.labelPlaybook
            : source === "case" ? picker.dataset.labelCase : picker.dataset.labelDepartment;
          groups.set(source, group);
        }
        const option = document.createElement("option");
        option.value = String(index);
        option.dir = "auto";
        const body = String(template.body);
        option.textContent = `${template.name || picker.dataset.labelAnswer}: ${body.length > 60 ? `${body.slice(0, 59)}…` : body}`;
        groups.get(source).appendChild(option);
      });
      const first = document.createElement("option");
      first.value = "";
      first.textContent = picker.dataset.labelChoose;
      picker.replaceChildren(first, ...groups.values());
      document.getElementById("template-picker").hidden = templates.length === 0;
    }

    // An approved department answer becomes a template at once, without reloading the page.
    async function refreshTemplates() {
      try {
        const response = await fetch(form.dataset.templatesUrl, {
          credentials: "same-origin", headers: { Accept: "application/json" },
        });
        if (!response.ok) return;
        const answer = await response.json();
        templates = Array.isArray(answer.templates) ? answer.templates : [];
        renderTemplates();
      } catch (error) {
        /* offline: the list stays as it was */
      }
    }
    document.addEventListener("console:escalation.answered", refreshTemplates);
    // An approved crisis statement becomes a template too.
    document.addEventListener("console:statement.template_added", refreshTemplates);
    document.addEventListener("console:resync", refreshTemplates);

    async function check() {
      const text = box.value;
      if (text === lastChecked) return lastWarnings;
      const data = new FormData();
      data.set("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      data.set("text", text);
      data.set("mention", root.dataset.mentionId);
      try {
        const response = await fetch(form.dataset.checksUrl, {
          method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" },
        });
        if (!response.ok) return lastWarnings;
        const answer = await response.json();
        lastChecked = text;
        renderWarnings(Array.isArray(answer.warnings) ? answer.warnings : []);
      } catch (error) {
        return lastWarnings;
      }
      return lastWarnings;
    }

    box.addEventListener("input", () => {
      renderPreview();
      clearTimeout(timer);
      timer = setTimeout(check, CHECK_DELAY_MS);
    });

    if (picker) {
      picker.addEventListener("change", () => {
        const chosen = templates[Number(picker.value)];
        if (!chosen) return;
        box.value = String(chosen.body);
        box.dispatchEvent(new Event("input", { bubbles: true }));
        box.focus();
      });
    }

    // Warnings never block: the community manager confirms and sends anyway.
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearTimeout(timer);
      if (over() > 0) {
        renderCounter();
        box.focus();
        return;
      }
      const warnings = await check();
      if (warnings.length && !window.confirm(form.dataset.confirm)) return;
      HTMLFormElement.prototype.submit.call(form);
    });
    renderPreview();
  }

  function showStatus(text, tone) {
    const status = document.getElementById("reply-status");
    if (!status) return;
    status.textContent = text;
    status.className = `reply-status ${tone || ""}`.trim();
  }

  // The undo window: each reply still waiting shows "Undo (n s)" until it goes, then the button leaves.
  function startUndo(form) {
    // The server's clock decides: the time left is measured against the moment it rendered the page.
    const due = Date.now() + Date.parse(form.dataset.sendAfter) - Date.parse(form.dataset.serverNow);
    const button = form.querySelector("button");
    let interval = null;
    function tick() {
      const left = Math.ceil((due - Date.now()) / 1000);
      if (Number.isNaN(due) || left <= 0) {
        clearInterval(interval);
        form.remove();
        return;
      }
      button.textContent = fill(form.dataset.label, { seconds: left });
    }
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      button.disabled = true;
      try {
        const response = await fetch(form.action, {
          method: "POST", body: new FormData(form), credentials: "same-origin", headers: { Accept: "application/json" },
        });
        const answer = await response.json();
        clearInterval(interval);
        form.remove();
        showStatus(String(answer.message || answer.error || ""), response.ok ? "ok" : "bad");
      } catch (error) {
        button.disabled = false;
      }
    });
    tick();
    interval = setInterval(tick, 250);
  }

  function startLiveState() {
    const root = document.getElementById("mention-detail");
    if (!root) return;
    const mentionId = Number(root.dataset.mentionId);
    const status = document.getElementById("reply-status");
    const stateLabelsNode = document.getElementById("reply-state-labels");
    const stateLabels = stateLabelsNode ? JSON.parse(stateLabelsNode.textContent) : {};
    document.addEventListener("console:reply.changed", (event) => {
      const data = event.detail || {};
      if (data.mention_id !== mentionId || !status) return;
      const item = document.querySelector(`[data-reply-id="${Number(data.id)}"]`);
      if (data.state !== "queued" && item) {
        const undo = item.querySelector(".undo-form");
        if (undo) undo.remove();
      }
      if (data.state === "sent") showStatus(status.dataset.labelSent, "ok");
      else if (data.state === "failed") showStatus(fill(status.dataset.labelFailed, { error: data.error || "" }), "bad");
      else if (data.state === "cancelled") showStatus(status.dataset.labelCancelled, "ok");
      else if (data.state === "sending") showStatus(status.dataset.labelSending, "");
      if (item) item.classList.toggle("reply-cancelled", data.state === "cancelled");
      const tag = item && item.querySelector(".reply-state");
      if (tag && typeof stateLabels[data.state] === "string") {
        tag.textContent = stateLabels[data.state];
        tag.className = `tag reply-state reply-${String(data.state)}`;
      }
    });
    // A held reply's decision reaches its page: approved, corrected, rejected (with the comment) or expired.
    document.addEventListener("console:reply.approval", (event) => {
      const data = event.detail || {};
      if (data.mention_id !== mentionId || !status || data.change === "requested") return;
      const label = status.dataset[`label${String(data.change).charAt(0).toUpperCase()}${String(data.change).slice(1)}`];
      const text = fill(label, { name: data.decided_by || "", comment: data.comment || "" });
      const tone = data.change === "approved" || data.change === "edited" ? "ok" : "bad";
      showStatus(text, tone);
      const box = document.querySelector(`[data-reply-id="${Number(data.id)}"] .reply-approval`);
      if (box) {
        box.textContent = text;
        box.dataset.decision = String(data.change);
        box.className = `reply-approval approval-${String(data.change)}`;
      }
    });
    const network = document.getElementById("network-hidden-state");
    const labelsNode = document.getElementById("network-hidden-labels");
    const labels = labelsNode ? JSON.parse(labelsNode.textContent) : {};
    document.addEventListener("console:mention.changed", (event) => {
      const data = event.detail || {};
      if (Number(data.id) !== mentionId || !network || typeof labels[data.network_hidden_state] !== "string") return;
      network.textContent = labels[data.network_hidden_state];
      network.dataset.state = String(data.network_hidden_state);
    });
    // The author's escalations slot (served by escalation) follows the escalations as they change.
    const slot = document.getElementById("author-escalations");
    ["escalation.created", "escalation.answered", "escalation.closed"].forEach((type) => {
      document.addEventListener(`console:${type}`, () => {
        if (slot && window.htmx) window.htmx.trigger(slot, "author-escalations-refresh");
      });
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    startClock();
    startComposer();
    startLiveState();
    document.querySelectorAll(".undo-form[data-send-after]").forEach(startUndo);
  });
})();
