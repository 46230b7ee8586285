/*
 * Journal page: the quick note box writes through the socket (`note.add`) and reloads the timeline once the
 * server has answered `note.add.ok`; an error frame is shown beside the box.
 */
(function () {
  "use strict";

  var form = document.getElementById("journal-note");
  var input = document.getElementById("journal-note-text");
  var status = document.getElementById("journal-note-status");
  if (!form || !input || !status) {
    return;
  }
  var pending = null;

  document.addEventListener("coach:reply", function (event) {
    var frame = event.detail || {};
    if (pending === null || frame.requestId !== pending) {
      return;
    }
    pending = null;
    if (frame.type === "note.add.ok") {
      status.textContent = "Saved.";
      window.location.reload();
    } else {
      status.textContent = frame.message || "The note could not be saved.";
    }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) {
      return;
    }
    if (!window.coachSocket) {
      status.textContent = "Live connection unavailable; try again in a moment.";
      return;
    }
    pending = window.coachSocket.send("note.add", { text: text });
    status.textContent = pending === null ? "Not connected yet; try again in a moment." : "Saving…";
  });
})();

/*
 * The entry form: a pre entry when opened from an intent (?intent=), a post entry from a trade (?trade=),
 * else a note. Posts the `journal-entry` contract to the API and shows its field errors.
 */
(function () {
  "use strict";

  var form = document.getElementById("journal-entry-form");
  if (!form) {
    return;
  }
  var status = document.getElementById("journal-entry-status");

  function body() {
    var data = { type: form.dataset.type, content: { text: form.elements.text.value.trim(), tags: [] } };
    form.elements.tags.value.toLowerCase().split(/[\s,]+/).forEach(function (tag) {
      if (tag && data.content.tags.indexOf(tag) < 0) { data.content.tags.push(tag); }
    });
    if (form.dataset.intentId) { data.intentId = form.dataset.intentId; }
    if (form.dataset.tradeId) { data.tradeId = form.dataset.tradeId; }
    var emotions = {};
    form.querySelectorAll("[data-emotion]").forEach(function (input) {
      if (input.value !== "") { emotions[input.dataset.emotion] = Number(input.value); }
    });
    if (Object.keys(emotions).length) { data.emotions = emotions; }
    return data;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    status.textContent = "Saving…";
    window.journalApi.request("POST", "/api/journal-entries", body()).then(function () {
      window.location.assign("/journal/");
    }).catch(function (error) {
      status.textContent = error.message;
    });
  });
})();
