/* Import page: start an import, then follow it live (coach:import.progress) or by polling the job.
   Also exposes window.TwinImport {api, watchJob} for the upload page. No inline script (strict CSP). */
(function () {
  "use strict";

  var POLL_MS = 2000;

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  var csrfPromise = null;
  function csrfToken() {
    var fromCookie = cookie("csrftoken");
    if (fromCookie) { return Promise.resolve(fromCookie); }
    if (!csrfPromise) {
      csrfPromise = fetch("/api/auth/csrf", { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (body) { return body.csrfToken || cookie("csrftoken"); });
    }
    return csrfPromise;
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return String(Date.now()) + "-" + Math.random().toString(16).slice(2);
  }

  /* fetch JSON; resolves {status, body}; a non-2xx answer rejects with an Error carrying the API message. */
  function api(method, url, payload, extraHeaders) {
    var headers = { "Accept": "application/json" };
    Object.keys(extraHeaders || {}).forEach(function (k) { headers[k] = extraHeaders[k]; });
    var ready = method === "GET" ? Promise.resolve("") : csrfToken();
    return ready.then(function (token) {
      var init = { method: method, credentials: "same-origin", headers: headers };
      if (token) { headers["X-CSRFToken"] = token; }
      if (payload instanceof FormData) {
        init.body = payload;
      } else if (payload !== undefined && payload !== null) {
        headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(payload);
      }
      return fetch(url, init);
    }).then(function (response) {
      return response.text().then(function (text) {
        var body = {};
        try { body = text ? JSON.parse(text) : {}; } catch (e) { body = {}; }
        if (!response.ok) {
          var error = new Error((body.error && body.error.message) || ("Request failed (" + response.status + ")."));
          error.status = response.status;
          error.code = body.error && body.error.code;
          error.fields = body.error && body.error.fields;
          throw error;
        }
        return { status: response.status, body: body };
      });
    });
  }

  /* Follow a job until it is finished. onUpdate gets {status, counts, pages, error, report?, done}. */
  function watchJob(jobId, onUpdate) {
    var finished = false;
    var timer = null;

    function finish() {
      finished = true;
      if (timer) { window.clearTimeout(timer); }
      document.removeEventListener("coach:import.progress", onEvent);
    }

    function onEvent(event) {
      var envelope = event.detail || {};
      var p = envelope.payload || {};
      if (finished || p.jobId !== jobId) { return; }
      var update = {
        status: p.status || (p.done ? "done" : "running"),
        counts: { fetched: p.fetched || 0, inserted: p.inserted || 0, duplicates: p.duplicates || 0,
                  skipped: p.skipped || 0 },
        pages: p.page || 0, error: p.error || null, done: !!p.done
      };
      if (update.done) { poll(); } else { onUpdate(update); }
    }

    function poll() {
      if (finished) { return; }
      api("GET", "/api/trades/import/" + encodeURIComponent(jobId)).then(function (result) {
        var job = result.body;
        var done = job.status === "done" || job.status === "failed" || job.status === "parked";
        onUpdate({ status: job.status, counts: job.counts, pages: job.pages, error: job.error,
                   report: job.report, done: done });
        if (done) { finish(); } else { timer = window.setTimeout(poll, POLL_MS); }
      }).catch(function (error) {
        onUpdate({ status: "unknown", error: error.message, done: false });
        timer = window.setTimeout(poll, POLL_MS * 2);
      });
    }

    document.addEventListener("coach:import.progress", onEvent);
    poll();
    return { stop: finish };
  }

  /* What a person reads about a job that is not done: retrying (with the reason), failed, parked. */
  function statusText(update) {
    var reason = update.error || "no reason was given";
    if (update.status === "failed") {
      return "The import failed: " + reason + " Fix that, then start the same import again: it resumes where it stopped.";
    }
    if (update.status === "parked") {
      return "The import stopped after several attempts: " + reason + " It is kept for an operator to look at.";
    }
    if (update.error) {
      return "Retrying shortly (" + reason + ")";
    }
    return "Importing… (" + update.status + ")";
  }

  window.TwinImport = { api: api, watchJob: watchJob, newKey: newKey, statusText: statusText };

  function setText(id, value) {
    var el = document.getElementById(id);
    if (el) { el.textContent = value; }
  }

  function isoDay(value, endOfDay) {
    if (!value) { return undefined; }
    return value + (endOfDay ? "T23:59:00Z" : "T00:00:00Z");
  }

  function initImportPage() {
    var form = document.getElementById("import-form");
    if (!form) { return; }
    var errorBox = document.getElementById("import-error");
    var panel = document.getElementById("import-progress");
    var bar = document.getElementById("import-bar");
    var button = document.getElementById("import-button");
    var watcher = null;

    function showError(message) {
      errorBox.textContent = message;
      errorBox.hidden = !message;
    }

    function render(update) {
      panel.hidden = false;
      var counts = update.counts || {};
      setText("count-fetched", counts.fetched || 0);
      setText("count-inserted", counts.inserted || 0);
      setText("count-duplicates", counts.duplicates || 0);
      setText("count-pages", update.pages || 0);
      if (update.done) {
        bar.value = 100;
        button.disabled = false;
        if (update.status === "done") {
          setText("import-status", "Done: " + (counts.inserted || 0) + " new trades, " +
                  (counts.duplicates || 0) + " already stored.");
          document.getElementById("import-trades-link").hidden = false;
        } else {
          setText("import-status", statusText(update));
        }
      } else {
        bar.removeAttribute("value");
        setText("import-status", statusText(update));
      }
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      showError("");
      var payload = { broker: form.broker.value };
      var since = isoDay(form.since.value, false);
      var today = new Date().toISOString().slice(0, 10);
      var until = form.until.value && form.until.value < today ? isoDay(form.until.value, true) : undefined;
      if (since) { payload.since = since; }
      if (until) { payload.until = until; }
      button.disabled = true;
      api("POST", "/api/trades/import", payload, { "Idempotency-Key": newKey() }).then(function (result) {
        if (watcher) { watcher.stop(); }
        render({ status: "queued", counts: {}, pages: 0, done: false });
        watcher = watchJob(result.body.jobId, render);
      }).catch(function (error) {
        button.disabled = false;
        showError(error.message);
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initImportPage);
  } else {
    initImportPage();
  }
}());
