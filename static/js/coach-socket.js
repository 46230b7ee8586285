/*
 * Live events for signed-in pages: /ws/coach with resume, dedupe and reconnect.
 *
 * Pages listen on `document`:
 *   coach:event   detail = envelope {type, eventId, ts, v, payload, requestId?}   (every event, once;
 *                 requestId: the X-Request-ID of the request that caused it; unknown fields are ignored)
 *   coach:<type>  detail = envelope, e.g. `coach:coach.reflect`, `coach:import.progress`
 *   coach:reply   detail = any other frame (handler answers, errors `{type: "error", code, message}`)
 *   coach:state   detail = {state: "connected" | "reconnecting" | "offline"}
 * and send with `window.coachSocket.send(type, payload)` (returns the requestId echoed in the answer).
 *
 * Close codes: 4401 the session ended (stop), 4429 too many sockets (back off longer).
 */
(function () {
  "use strict";

  if (!document.body || document.body.dataset.authenticated !== "1" || !("WebSocket" in window)) {
    return;
  }

  var STORAGE_KEY = "coach:lastEventId";
  var SEEN_LIMIT = 2000;
  var CLOSE_SESSION_ENDED = 4401;
  var CLOSE_TOO_MANY = 4429;
  var LABELS = { connected: "live", reconnecting: "reconnecting", offline: "offline" };

  var indicator = document.getElementById("live-indicator");
  var socket = null;
  var attempt = 0;
  var timer = null;
  var stopped = false;
  var syncing = false;
  var newestDuringSync = null;
  var seen = new Set();
  var seenOrder = [];
  var requestCounter = 0;
  var memoryLastEventId = null;

  function setState(state) {
    if (indicator) {
      indicator.dataset.state = state;
      indicator.textContent = LABELS[state];
    }
    document.dispatchEvent(new CustomEvent("coach:state", { detail: { state: state } }));
  }

  function readLastEventId() {
    try {
      return window.localStorage.getItem(STORAGE_KEY) || memoryLastEventId;
    } catch (err) {
      return memoryLastEventId;
    }
  }

  function storeLastEventId(eventId) {
    memoryLastEventId = eventId;
    try {
      window.localStorage.setItem(STORAGE_KEY, eventId);
    } catch (err) {
      /* storage unavailable (private mode): the in-memory copy still resumes this page */
    }
  }

  function remember(eventId) {
    seen.add(eventId);
    seenOrder.push(eventId);
    if (seenOrder.length > SEEN_LIMIT) {
      seen.delete(seenOrder.shift());
    }
  }

  function deliver(envelope, fromSocket) {
    if (!envelope || typeof envelope.eventId !== "string" || seen.has(envelope.eventId)) {
      return;
    }
    remember(envelope.eventId);
    if (syncing && fromSocket) {
      newestDuringSync = envelope.eventId;
    } else if (!syncing) {
      storeLastEventId(envelope.eventId);
    }
    document.dispatchEvent(new CustomEvent("coach:event", { detail: envelope }));
    document.dispatchEvent(new CustomEvent("coach:" + envelope.type, { detail: envelope }));
  }

  function catchUp() {
    // The server dropped buffered events: replay them from the API, then continue from the newest.
    if (syncing) {
      return;
    }
    syncing = true;
    newestDuringSync = null;
    var lastReplayed = null;

    function page(since) {
      var url = "/api/events?limit=200" + (since ? "&since=" + encodeURIComponent(since) : "");
      return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("replay failed: " + response.status);
          }
          return response.json();
        })
        .then(function (body) {
          body.results.forEach(function (envelope) {
            deliver(envelope, false);
            lastReplayed = envelope.eventId;
          });
          return body.nextCursor ? page(body.nextCursor) : null;
        });
    }

    page(readLastEventId())
      .then(function () {
        var newest = newestDuringSync || lastReplayed;
        if (newest) {
          storeLastEventId(newest);
        }
      })
      .catch(function () {
        /* keep the old lastEventId: the next reconnect resumes from it */
      })
      .then(function () {
        syncing = false;
      });
  }

  function socketUrl() {
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    var last = readLastEventId();
    return scheme + "//" + window.location.host + "/ws/coach" + (last ? "?lastEventId=" + encodeURIComponent(last) : "");
  }

  function scheduleReconnect(slow) {
    if (stopped || timer) {
      return;
    }
    attempt += 1;
    var cap = slow ? 60000 : 15000;
    var base = Math.min(cap, 500 * Math.pow(2, Math.min(attempt, 8)));
    var delay = base / 2 + Math.random() * (base / 2); // jittered exponential backoff
    setState("reconnecting");
    timer = window.setTimeout(function () {
      timer = null;
      connect();
    }, delay);
  }

  function onMessage(message) {
    var frame;
    try {
      frame = JSON.parse(message.data);
    } catch (err) {
      return;
    }
    if (!frame || typeof frame.type !== "string") {
      return;
    }
    if (frame.type === "sync" && frame.synced === false) {
      catchUp();
    } else if (typeof frame.eventId === "string" && "payload" in frame && "ts" in frame) {
      deliver(frame, true);
    } else {
      document.dispatchEvent(new CustomEvent("coach:reply", { detail: frame }));
    }
  }

  function connect() {
    if (stopped || socket) {
      return;
    }
    var current;
    try {
      current = new WebSocket(socketUrl());
    } catch (err) {
      scheduleReconnect(false);
      return;
    }
    socket = current;
    current.addEventListener("open", function () {
      attempt = 0;
      setState("connected");
    });
    current.addEventListener("message", onMessage);
    current.addEventListener("close", function (event) {
      if (socket === current) {
        socket = null;
      }
      if (event.code === CLOSE_SESSION_ENDED) {
        stopped = true;
        setState("offline");
        return;
      }
      scheduleReconnect(event.code === CLOSE_TOO_MANY);
    });
  }

  function reconnectNow() {
    if (stopped || socket) {
      return;
    }
    if (timer) {
      window.clearTimeout(timer);
      timer = null;
    }
    connect();
  }

  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      reconnectNow();
    }
  });

  window.coachSocket = {
    send: function (type, payload) {
      requestCounter += 1;
      var requestId = "r" + requestCounter;
      if (!socket || socket.readyState !== WebSocket.OPEN) {
        return null;
      }
      socket.send(JSON.stringify({ type: type, payload: payload || {}, requestId: requestId }));
      return requestId;
    },
    lastEventId: readLastEventId,
  };

  setState("reconnecting");
  connect();
})();
