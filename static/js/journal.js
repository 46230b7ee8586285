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
