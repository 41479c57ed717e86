// ticketbot dashboard: the overview refreshes itself (its body fetched from the same server
// every few seconds while the tab is visible); nothing else runs, and nothing leaves ticketbot.
"use strict";
(function () {
  const box = document.getElementById("overview");
  if (!box) return;
  const seconds = Math.max(5, parseInt(box.dataset.refresh || "30", 10));
  async function refresh() {
    if (document.hidden) return;
    try {
      const answer = await fetch(box.dataset.url || "/?partial=1", { credentials: "same-origin", cache: "no-store" });
      if (answer.ok) box.innerHTML = await answer.text();
    } catch (e) {
      // the server is restarting or the network dropped: the next tick tries again
    }
  }
  setInterval(refresh, seconds * 1000);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
})();
