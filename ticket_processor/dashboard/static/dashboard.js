// ticketbot dashboard: pages that update themselves. The overview refreshes its body every
// few seconds while the tab is visible; with live updates (/events, Server-Sent Events from
// the same server) the overview, the ticket list and a ticket's page fetch themselves again
// when a decision arrives that concerns them. Nothing else runs, and nothing leaves ticketbot;
// without JavaScript every page is what the server rendered.
"use strict";
(function () {
  const box = document.getElementById("overview");
  const rows = document.getElementById("ticket-rows");
  const ticket = document.querySelector("[data-live-ticket]");

  async function refresh() {
    if (!box || document.hidden) return;
    try {
      const answer = await fetch(box.dataset.url || "/?partial=1", { credentials: "same-origin", cache: "no-store" });
      if (answer.ok) box.innerHTML = await answer.text();
    } catch (e) {
      // the server is restarting or the network dropped: the next tick tries again
    }
  }

  // This page fetched again, and the parts named swapped for their new versions; a fetch that
  // fails (offline for a moment) is tried again a few times.
  async function swap(ids, tries = 5) {
    try {
      const answer = await fetch(window.location.href, { credentials: "same-origin", cache: "no-store" });
      if (!answer.ok) throw new Error(String(answer.status));
      const fresh = new DOMParser().parseFromString(await answer.text(), "text/html");
      for (const id of ids) {
        const now = document.getElementById(id);
        const then = fresh.getElementById(id);
        if (now && then) now.replaceWith(document.importNode(then, true));
      }
    } catch (e) {
      if (tries > 1) setTimeout(() => swap(ids, tries - 1), 2000);
    }
  }

  let pending = null;
  function soon(work) {
    if (pending) return;
    pending = setTimeout(() => { pending = null; work(); }, 250);
  }

  if (box) {
    const seconds = Math.max(5, parseInt(box.dataset.refresh || "30", 10));
    setInterval(refresh, seconds * 1000);
    document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
  }

  const events = document.body.dataset.events;
  if (!events || !window.EventSource || !(box || rows || ticket)) return;
  // The browser reconnects by itself after a drop, sending the last event's id: the server
  // sends what was missed.
  const source = new EventSource(events);
  function everything() {
    if (box) soon(refresh);
    if (rows) soon(() => swap(["ticket-rows", "count"]));
    if (ticket) soon(() => swap(["history", "ratings"]));
  }
  source.addEventListener("decision", (message) => {
    let decision;
    try { decision = JSON.parse(message.data); } catch (e) { return; }
    if (box) soon(refresh);
    if (rows) soon(() => swap(["ticket-rows", "count"]));
    if (ticket && String(decision.ticket_id) === ticket.dataset.liveTicket) {
      soon(() => swap(["history", "ratings"]));
    }
  });
  // Back online: whatever an event could not fetch while the network was gone.
  window.addEventListener("online", everything);
})();
