// Crisis pages: the room re-renders its live parts from the server when the crisis changes, and
// approvers are told about statements waiting for them. Event data is never written as HTML: the
// parts are fetched as server-rendered (escaped) HTML, and toasts use textContent.
(function () {
  "use strict";
  const room = () => document.getElementById("crisis-room");
  let pending = null;

  async function refreshRoom() {
    const header = room();
    const live = document.getElementById("crisis-live");
    if (!header || !live) return;
    const response = await fetch(header.dataset.liveUrl, { headers: { "HX-Request": "true" } });
    if (response.ok) live.innerHTML = await response.text();
  }

  function scheduleRefresh() {
    if (pending) return;
    pending = setTimeout(() => { pending = null; refreshRoom(); }, 200);
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
  document.addEventListener("console:reconnected", () => { if (room()) refreshRoom(); });

  const say = (text) => window.CrisisDesk && window.CrisisDesk.toast(text);
  const lang = document.documentElement.lang === "en" ? "en" : "es";
  const TEXT = {
    es: { statement: "Hay un comunicado esperando tu aprobación.", alert: "Nueva alerta de crisis (gravedad %s).", notice: "Se ha declarado una crisis en la que se te nombra." },
    en: { statement: "A statement is waiting for your approval.", alert: "New crisis alert (severity %s).", notice: "A crisis naming you has been declared." },
  }[lang];
  document.addEventListener("console:statement.pending", (event) => {
    say(TEXT.statement);
    if (isThisCrisis(event.detail)) scheduleRefresh();
  });
  document.addEventListener("console:alert.new", (event) => {
    say(TEXT.alert.replace("%s", String(Number(event.detail.severity) || "")));
  });
  document.addEventListener("console:crisis.notice", () => say(TEXT.notice));
})();
