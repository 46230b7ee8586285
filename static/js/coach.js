// Coach: reflections history (GET /api/events, coach.reflect only) plus live ones from the socket
// (document "coach:coach.reflect" events from coach-socket.js); thumbs up/down and "ask about this trade"
// go back over the socket as chat.feedback / chat.ask_reflection.
(function () {
  "use strict";
  const stream = document.getElementById("coach-stream");
  if (!stream) return;
  const template = document.getElementById("reflection-template");
  const empty = document.getElementById("coach-empty");
  const status = document.getElementById("coach-status");
  const askForm = document.getElementById("ask-form");
  const seen = new Set();
  const HISTORY_PAGES = 20;

  function send(type, payload) {
    const socket = window.coachSocket;
    if (!socket || typeof socket.send !== "function") {
      status.textContent = "Not connected to the live coach yet; try again in a moment.";
      return false;
    }
    if (!socket.send(type, payload)) {
      status.textContent = "Not connected to the live coach yet; try again in a moment.";
      return false;
    }
    return true;
  }

  function sparkline(container, values) {
    if (!values || values.length < 2) return;
    const min = Math.min.apply(null, values);
    const max = Math.max.apply(null, values);
    const span = max - min || 1;
    values.forEach(function (value) {
      const bar = document.createElement("span");
      bar.className = "spark-bar";
      bar.style.height = Math.round(4 + 28 * (value - min) / span) + "px";
      container.appendChild(bar);
    });
  }

  function render(envelope, prepend) {
    if (!envelope || envelope.type !== "coach.reflect" || seen.has(envelope.eventId)) return;
    seen.add(envelope.eventId);
    const payload = envelope.payload || {};
    const node = template.content.firstElementChild.cloneNode(true);
    node.dataset.eventId = envelope.eventId;
    node.dataset.tradeId = payload.tradeId || "";
    const labels = node.querySelector(".labels");
    (payload.labels || []).forEach(function (label) {
      const chip = document.createElement("a");
      chip.className = "chip chip-" + String(label.name).toLowerCase();
      chip.href = "/labels/#" + String(label.name).toLowerCase();
      chip.title = "What " + label.name + " means";
      chip.textContent = label.name + " " + Math.round(label.confidence * 100) + "%";
      labels.appendChild(chip);
    });
    const link = node.querySelector(".trade-link");
    link.href = "/trades/" + encodeURIComponent(payload.tradeId || "") + "/";
    link.textContent = [payload.side, payload.symbol].filter(Boolean).join(" ") || "trade";
    if ((payload.labels || []).some(function (label) { return label.name === "FOMO" || label.name === "PANIC"; })) {
      const simulation = document.createElement("a");  // the trade page's "What if…" panel, run on arrival
      simulation.className = "open-simulation";
      simulation.href = "/trades/" + encodeURIComponent(payload.tradeId || "") + "/#what-if";
      simulation.textContent = "Open simulation";
      link.after(" · ", simulation);
    }
    node.querySelector("time").textContent = payload.ts ? TwinFormat.dateTime(payload.ts) : "";
    if (payload.ts) node.querySelector("time").dateTime = new Date(payload.ts).toISOString();
    node.querySelector(".insight").textContent = payload.insight || "";
    sparkline(node.querySelector(".sparkline"), payload.sparklines);
    node.querySelectorAll(".vote").forEach(function (button) {
      button.addEventListener("click", function () {
        if (send("chat.feedback", { eventId: envelope.eventId, vote: button.dataset.vote })) {
          node.querySelectorAll(".vote").forEach(function (b) { b.setAttribute("aria-pressed", String(b === button)); });
        }
      });
    });
    node.querySelector(".ask").addEventListener("click", function () {
      if (send("chat.ask_reflection", { tradeId: payload.tradeId })) status.textContent = "Asked the coach…";
    });
    place(node, payload.tradeId, prepend);
    empty.hidden = true;
  }

  // One card per trade: the latest reflection shows, earlier ones fold into its "Earlier reflections".
  function place(node, tradeId, newest) {
    const existing = tradeId ? stream.querySelector(':scope > article[data-trade-id="' + CSS.escape(tradeId) + '"]') : null;
    if (!existing) {
      if (newest) stream.prepend(node); else stream.appendChild(node);
      return;
    }
    if (newest) {
      const olderList = node.querySelector(".older-list");
      existing.querySelectorAll(".older-list > article").forEach(function (old) { olderList.appendChild(old); });
      olderList.prepend(existing);
      existing.classList.add("folded");
      existing.querySelector(".older").hidden = true;
      stream.prepend(node);
      node.querySelector(".older").hidden = false;
    } else {
      node.classList.add("folded");
      node.querySelector(".older").hidden = true;
      existing.querySelector(".older-list").appendChild(node);
      existing.querySelector(".older").hidden = false;
    }
    const host = newest ? node : existing;
    host.querySelector(".older summary").textContent = "Earlier reflections on this trade (" +
      host.querySelectorAll(".older-list > article").length + ")";
  }

  function loadHistory() {
    const found = [];
    function page(cursor, remaining) {
      const params = new URLSearchParams({ limit: "200" });
      if (cursor) params.set("since", cursor);
      return fetch(stream.dataset.historyUrl + "?" + params.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("Could not load earlier reflections.");
          return response.json();
        })
        .then(function (body) {
          (body.results || []).forEach(function (env) { if (env.type === "coach.reflect") found.push(env); });
          if (body.nextCursor && remaining > 1) return page(body.nextCursor, remaining - 1);
          return null;
        });
    }
    page(null, HISTORY_PAGES)
      .then(function () {
        found.reverse().forEach(function (env) { render(env, false); });
        empty.hidden = stream.children.length > 0;
      })
      .catch(function (error) { status.textContent = error.message; });
  }

  document.addEventListener("coach:coach.reflect", function (event) {
    render(event.detail, true);
    status.textContent = "";
  });
  document.addEventListener("coach:reply", function (event) {
    const frame = event.detail || {};
    if (frame.type === "error") {
      status.textContent = frame.message || "The coach could not do that.";
    } else if (frame.type === "chat.ask_reflection.ok") {
      status.textContent = "The coach is on it — the reflection appears at the top.";
    } else if (frame.type === "chat.feedback.ok") {
      status.textContent = "Thanks — feedback saved.";
    }
  });
  askForm.addEventListener("submit", function (event) {
    event.preventDefault();
    const tradeId = askForm.elements.tradeId.value.trim();
    if (!tradeId) {
      status.textContent = "Pick a trade first: open it from Trades and use “Ask the coach about this trade”.";
      return;
    }
    if (send("chat.ask_reflection", { tradeId: tradeId })) status.textContent = "Asked the coach…";
  });
  const asked = new URLSearchParams(window.location.search).get("trade");
  if (asked) {
    askForm.elements.tradeId.value = asked;
    status.textContent = "Press “Ask the coach” for a fresh reflection on this trade.";
  }
  loadHistory();
})();
