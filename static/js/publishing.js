// The publishing calendar: when someone else schedules, approves, suspends or releases, say so and offer a
// reload (a reload would lose what is being typed in the form).
(() => {
  const notice = document.getElementById("publishing-changed");
  if (!notice) return;
  document.addEventListener("console:publishing.changed", () => {
    notice.hidden = false;
  });
})();
