// The reply approvals queue follows the requests live: a new request, or a decision taken elsewhere
// (a colleague, the time limit, the author withdrawing), re-renders the queue from the server; while the
// approver is editing a reply or a comment the queue is left alone and a "Reload" notice says it changed.
(function () {
  "use strict";

  function busy(queue) {
    return Array.from(queue.querySelectorAll("textarea")).some(
      (box) => box === document.activeElement || box.value !== box.defaultValue);
  }

  async function refresh() {
    const queue = document.getElementById("approval-queue");
    const notice = document.getElementById("approvals-changed");
    if (!queue) return;
    if (busy(queue)) { if (notice) notice.hidden = false; return; }
    const response = await fetch(location.pathname, { credentials: "same-origin" });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById("approval-queue");
    if (fresh) queue.replaceChildren(...Array.from(fresh.childNodes).map((node) => document.importNode(node, true)));
  }

  document.addEventListener("console:reply.approval", () => { refresh(); });
  document.addEventListener("console:resync", () => { refresh(); });
})();
