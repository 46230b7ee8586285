/* /intents/new: submit an intent, show the gate's decision live (coach:pretrade.decision.returned, with a
   polling fallback), complete friction tasks, record an override. No inline script (strict CSP). */
(function () {
  "use strict";

  var EVENT_VERSION = 1; /* consumers accept N and N-1 */
  var POLL_MS = 2000;
  var OVERRIDABLE = ["WAIT", "SIZE_DOWN", "NO_GO"];
  var form = document.getElementById("intent-form");
  if (!form) { return; }
  var errors = document.getElementById("intent-errors");
  var decisionCard = document.getElementById("intent-decision");
  var overrideCard = document.getElementById("intent-override");
  var current = { id: null, key: null, decided: false, timer: null };

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function csrfToken() {
    var token = cookie("csrftoken");
    if (token) { return Promise.resolve(token); }
    return fetch("/api/auth/csrf", { credentials: "same-origin" })
      .then(function (r) { return r.json(); }).then(function (b) { return b.csrfToken; });
  }

  function api(method, url, payload, headers) {
    var ready = method === "GET" ? Promise.resolve("") : csrfToken();
    return ready.then(function (token) {
      var all = { "Accept": "application/json" };
      Object.keys(headers || {}).forEach(function (k) { all[k] = headers[k]; });
      if (token) { all["X-CSRFToken"] = token; }
      var init = { method: method, credentials: "same-origin", headers: all };
      if (payload !== undefined) { all["Content-Type"] = "application/json"; init.body = JSON.stringify(payload); }
      return fetch(url, init);
    }).then(function (response) {
      return response.text().then(function (text) {
        var body = {};
        try { body = text ? JSON.parse(text) : {}; } catch (e) { body = {}; }
        if (!response.ok) {
          var error = new Error((body.error && body.error.message) || ("Request failed (" + response.status + ")."));
          error.fields = body.error && body.error.fields;
          error.code = body.error && body.error.code;
          throw error;
        }
        return body;
      });
    });
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return String(Date.now()) + "-" + Math.random().toString(16).slice(2);
  }

  function value(id) { return document.getElementById(id).value.trim(); }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function showErrors(error) {
    errors.textContent = "";
    var fields = error.fields || {};
    var keys = Object.keys(fields);
    if (!keys.length) { errors.appendChild(element("li", "", error.message)); }
    keys.forEach(function (path) {
      fields[path].forEach(function (message) { errors.appendChild(element("li", "", path + ": " + message)); });
    });
    errors.hidden = false;
  }

  function body() {
    var payload = {
      symbol: value("intent-symbol").toUpperCase(),
      direction: value("intent-direction"),
      timeframe: value("intent-timeframe"),
      size: {},
      plan: { entry: value("intent-entry"), thesis: value("intent-thesis") }
    };
    payload.size[value("intent-size-kind")] = value("intent-size");
    if (value("intent-stop")) { payload.plan.stop = value("intent-stop"); }
    if (value("intent-target")) { payload.plan.target = value("intent-target"); }
    var risk = {};
    if (value("intent-risk-pct")) { risk.riskPct = Number(value("intent-risk-pct")); }
    if (value("intent-max-loss")) { risk.maxLoss = value("intent-max-loss"); }
    if (Object.keys(risk).length) { payload.risk = risk; }
    var context = {};
    if (value("intent-capital")) { context.capital = value("intent-capital"); }
    if (value("intent-mood")) { context.mood = value("intent-mood"); }
    if (Object.keys(context).length) { payload.context = context; }
    return payload;
  }

  function renderTasks(intentId, tasks) {
    var list = document.getElementById("decision-tasks");
    list.textContent = "";
    document.getElementById("decision-tasks-title").hidden = !tasks.length;
    tasks.forEach(function (task) {
      var item = element("li", "task task-" + task.kind);
      item.dataset.ctaId = task.ctaId;
      item.dataset.status = task.status;
      item.appendChild(element("p", "", task.payload.prompt || ""));
      if (task.kind === "journal_pre") {
        var note = element("textarea");
        note.rows = 2;
        note.maxLength = 2000;
        note.value = task.payload.text || "";
        var save = element("button", "task-done", task.status === "done" ? "Saved" : "Save note");
        save.type = "button";
        save.addEventListener("click", function () {
          api("POST", "/api/pretrade-intents/" + intentId + "/tasks/" + task.ctaId, { text: note.value })
            .then(function () { save.textContent = "Saved"; item.dataset.status = "done"; })
            .catch(function (error) { save.textContent = error.message; });
        });
        item.appendChild(note);
        item.appendChild(save);
      } else if (task.kind === "wait") {
        item.appendChild(element("p", "muted", "Until " + new Date(task.payload.until).toLocaleString()));
      } else if (task.kind === "simulate") {
        var run = element("button", "task-done", "Replay this market");
        run.type = "button";
        run.addEventListener("click", function () {
          api("POST", task.payload.endpoint, task.payload.body)
            .then(function () {
              run.textContent = "Replay requested";
              return api("POST", "/api/pretrade-intents/" + intentId + "/tasks/" + task.ctaId, {});
            })
            .then(function () { item.dataset.status = "done"; })
            .catch(function (error) { run.textContent = error.message; });
        });
        item.appendChild(run);
      } else if (task.kind === "checklist") {
        var boxes = [];
        (task.payload.items || []).forEach(function (entry) {
          var label = element("label", "check");
          var box = element("input");
          box.type = "checkbox";
          box.checked = task.status === "done";
          boxes.push(box);
          box.addEventListener("change", function () {
            if (boxes.every(function (b) { return b.checked; })) {
              api("POST", "/api/pretrade-intents/" + intentId + "/tasks/" + task.ctaId, {})
                .then(function () { item.dataset.status = "done"; });
            }
          });
          label.appendChild(box);
          label.appendChild(document.createTextNode(" " + entry.text));
          item.appendChild(label);
        });
      }
      list.appendChild(item);
    });
  }

  function renderDecision(intentId, decision) {
    if (intentId !== current.id || !decision.decision) { return; }
    current.decided = true;
    if (current.timer) { window.clearTimeout(current.timer); current.timer = null; }
    var badge = document.getElementById("decision-badge");
    badge.textContent = decision.decision.replace("_", " ");
    badge.className = "decision decision-" + decision.decision;
    badge.dataset.decision = decision.decision;
    document.getElementById("decision-status").textContent = "Decided " + new Date(decision.decidedAt).toLocaleTimeString();
    var until = document.getElementById("decision-until");
    until.hidden = !decision.until;
    until.textContent = decision.until ? "Wait until " + new Date(decision.until).toLocaleString() : "";
    var reasons = document.getElementById("decision-reasons");
    reasons.textContent = "";
    decision.reasons.forEach(function (reason) {
      var item = element("li", "reason");
      item.dataset.code = reason.code;
      item.appendChild(element("span", "", reason.message));
      var evidence = reason.evidence || {};
      item.appendChild(element("span", "muted evidence", " (" + evidence.value + " vs " + evidence.threshold + ")"));
      reasons.appendChild(item);
    });
    renderTasks(intentId, decision.tasks || []);
    overrideCard.hidden = OVERRIDABLE.indexOf(decision.decision) < 0;
    api("GET", "/api/pretrade-intents/" + intentId).then(function (intent) {
      document.getElementById("decision-summary").textContent = intent.summary;
      var checks = document.getElementById("decision-check-list");
      checks.textContent = "";
      intent.checks.forEach(function (check) {
        checks.appendChild(element("li", "check-" + check.status, check.code + " — " + check.status + ": " + check.message));
      });
    });
  }

  function poll(intentId) {
    current.timer = window.setTimeout(function () {
      if (current.decided || intentId !== current.id) { return; }
      api("GET", "/api/pretrade-intents/" + intentId).then(function (intent) {
        if (intent.decision) { renderDecision(intentId, intent); } else { poll(intentId); }
      }).catch(function () { poll(intentId); });
    }, POLL_MS);
  }

  document.addEventListener("coach:pretrade.decision.returned", function (event) {
    var envelope = event.detail || {};
    if (envelope.v !== EVENT_VERSION && envelope.v !== EVENT_VERSION - 1) { return; }
    renderDecision(envelope.payload.intentId, envelope.payload);
  });

  form.addEventListener("input", function () { current.key = null; });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    errors.hidden = true;
    current.key = current.key || newKey();
    var button = document.getElementById("intent-submit");
    button.disabled = true;
    api("POST", "/api/pretrade-intents", body(), { "Idempotency-Key": current.key })
      .then(function (answer) {
        current.id = answer.intentId;
        current.decided = false;
        current.key = null;
        decisionCard.hidden = false;
        decisionCard.dataset.intentId = answer.intentId;
        overrideCard.hidden = true;
        document.getElementById("decision-badge").textContent = "";
        document.getElementById("decision-status").textContent = "Waiting for the gate…";
        document.getElementById("override-status").textContent = "";
        poll(answer.intentId);
      })
      .catch(showErrors)
      .then(function () { button.disabled = false; });
  });

  document.getElementById("override-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var status = document.getElementById("override-status");
    var safeguards = value("override-safeguards").split("\n").map(function (s) { return s.trim(); })
      .filter(function (s) { return s; });
    api("POST", "/api/pretrade-intents/" + current.id + "/override",
        { rationale: value("override-rationale"), riskStatement: value("override-risk"), safeguards: safeguards })
      .then(function (override) { status.textContent = "Override recorded: " + override.status + "."; })
      .catch(function (error) {
        var fields = error.fields || {};
        status.textContent = error.message + " " + Object.keys(fields).map(function (k) {
          return k + ": " + fields[k].join(" ");
        }).join(" ");
      });
  });
})();
