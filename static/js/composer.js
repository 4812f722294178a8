// The reply composer: templates, live pre-send warnings, a preview with the signature, and the
// response-time clock. Warnings and templates are written with textContent / .value only.
(function () {
  "use strict";
  const CHECK_DELAY_MS = 400;

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
    const answered = clock.dataset.firstResponseAt ? Date.parse(clock.dataset.firstResponseAt) : NaN;
    function tick() {
      const end = Number.isNaN(answered) ? Date.now() : answered;
      const elapsed = end - received;
      const template = Number.isNaN(answered) ? clock.dataset.labelWaiting : clock.dataset.labelAnswered;
      clock.textContent = String(template || "%(time)s").replace("%(time)s", formatDuration(elapsed));
      clock.classList.toggle("late", elapsed > target);
      clock.classList.toggle("answered", !Number.isNaN(answered));
    }
    tick();
    if (Number.isNaN(answered)) setInterval(tick, 1000);
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
    const templates = templatesNode ? JSON.parse(templatesNode.textContent) : [];
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

    function renderPreview() {
      const body = box.value.trim();
      preview.hidden = !body;
      preview.textContent = body ? `${body}\n${form.dataset.signature || ""}`.trim() : "";
    }

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
      const warnings = await check();
      if (warnings.length && !window.confirm(form.dataset.confirm)) return;
      HTMLFormElement.prototype.submit.call(form);
    });
    renderPreview();
  }

  document.addEventListener("DOMContentLoaded", () => {
    startClock();
    startComposer();
  });
})();
