// Presence on a mention page: who else has it open and who is typing a reply.
// Names come from other people's accounts: they are written with textContent only.
(function () {
  "use strict";
  const TYPING_EVERY_MS = 3000;
  const TYPING_SHOWN_MS = 6000;

  function start() {
    const root = document.getElementById("mention-detail");
    const list = document.getElementById("presence");
    if (!root || !list || !window.CrisisDesk) return;
    const mentionId = Number(root.dataset.mentionId);
    const myId = Number(root.dataset.userId);
    const people = new Map(); // user id -> {name, typingUntil}

    // The name goes in its own <bdi>, so a right-to-left name cannot reorder the sentence around it.
    function label(person) {
      const template = person.typingUntil > Date.now() ? root.dataset.presenceTyping : root.dataset.presenceViewing;
      const [before, after = ""] = template.split("%(name)s");
      const name = document.createElement("bdi");
      name.textContent = person.name;
      return [document.createTextNode(before), name, document.createTextNode(after)];
    }

    function render() {
      list.replaceChildren();
      people.forEach((person, id) => {
        const item = document.createElement("li");
        item.dataset.userId = String(id);
        item.className = person.typingUntil > Date.now() ? "typing" : "viewing";
        item.replaceChildren(...label(person));
        list.appendChild(item);
      });
    }

    function join() { window.CrisisDesk.send({ type: "presence.join", mention_id: mentionId }); }

    document.addEventListener("console:presence.changed", (event) => {
      const data = event.detail || {};
      if (data.mention_id !== mentionId || !data.user || data.user.id === myId) return;
      const id = Number(data.user.id);
      if (data.state === "left") {
        people.delete(id);
      } else {
        const person = people.get(id) || { name: String(data.user.name || ""), typingUntil: 0 };
        person.typingUntil = data.state === "typing" ? Date.now() + TYPING_SHOWN_MS : 0;
        people.set(id, person);
        if (data.state === "typing") setTimeout(render, TYPING_SHOWN_MS + 50);
      }
      render();
    });

    // The socket may open after this script runs, and re-opens after a reconnect: (re)join then.
    document.addEventListener("console:hello", join);
    document.addEventListener("console:reconnected", () => { people.clear(); render(); });
    join();

    // Reply delivery: the state tag follows the retries live.
    const labelsNode = document.getElementById("reply-state-labels");
    const stateLabels = labelsNode ? JSON.parse(labelsNode.textContent) : {};
    document.addEventListener("console:reply.changed", (event) => {
      const data = event.detail || {};
      if (data.mention_id !== mentionId) return;
      const tag = document.querySelector(`[data-reply-id="${Number(data.id)}"] .reply-state`);
      if (!tag || typeof stateLabels[data.state] !== "string") return;
      tag.className = `tag reply-state reply-${data.state}`;
      tag.textContent = stateLabels[data.state];
    });

    let lastTyping = 0;
    const box = document.querySelector(".reply-form textarea");
    if (box) {
      box.addEventListener("input", () => {
        const now = Date.now();
        if (now - lastTyping < TYPING_EVERY_MS) return;
        lastTyping = now;
        window.CrisisDesk.send({ type: "presence.typing", mention_id: mentionId });
      });
    }
    window.addEventListener("pagehide", () => {
      window.CrisisDesk.send({ type: "presence.leave", mention_id: mentionId });
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
