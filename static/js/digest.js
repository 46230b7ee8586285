// Weekly digest: a toast when `digest.ready` arrives on the coach socket (every page), and the latest
// digest's card on the dashboard (#digest-latest), from the newest of GET /api/digests.
(function () {
  "use strict";

  function text(tag, value, className) {
    const el = document.createElement(tag);
    el.textContent = value == null ? "" : String(value);
    if (className) el.className = className;
    return el;
  }

  function toast(envelope) {
    const payload = (envelope && envelope.payload) || {};
    const box = document.createElement("div");
    box.className = "toast card notice";
    box.setAttribute("role", "status");
    box.id = "digest-toast";
    box.appendChild(text("strong", "Your weekly digest is ready. "));
    const link = text("a", "Read it");
    link.href = payload.digestId ? "/digest/" + encodeURIComponent(payload.digestId) + "/" : "/digest/";
    box.appendChild(link);
    const close = text("button", "×", "link toast-close");
    close.type = "button";
    close.setAttribute("aria-label", "Dismiss");
    close.addEventListener("click", function () { box.remove(); });
    box.appendChild(close);
    const previous = document.getElementById("digest-toast");
    if (previous) previous.remove();
    document.body.appendChild(box);
    window.setTimeout(function () { box.remove(); }, 15000);
    if (document.getElementById("digest-latest")) loadLatest();
  }

  document.addEventListener("coach:digest.ready", function (event) { toast(event.detail); });

  function money(perQuote) {
    const parts = Object.keys(perQuote || {}).sort().map(function (quote) {
      const value = perQuote[quote];
      return (value.charAt(0) === "-" || value === "0" ? value : "+" + value) + " " + quote;
    });
    return parts.length ? parts.join(", ") : "—";
  }

  function render(box, digest) {
    const payload = digest.payload || {};
    box.replaceChildren();
    box.appendChild(text("h2", "Your week · " + digest.week));
    box.appendChild(text("p", (payload.narrative || {}).text || "", "digest-narrative"));
    const labels = payload.labels || {};
    const names = Object.keys(labels).sort(function (a, b) { return labels[b] - labels[a] || (a < b ? -1 : 1); });
    if (names.length) {
      const chips = document.createElement("p");
      names.forEach(function (name) { chips.appendChild(text("span", name + " " + labels[name], "chip chip-" + name.toLowerCase())); });
      box.appendChild(chips);
    }
    box.appendChild(text("p", "Realised P/L: " + money(payload.realizedPnl), "muted"));
    if (payload.suggestion) box.appendChild(text("p", "One habit: " + payload.suggestion.text));
    const more = text("a", "Open the digest");
    more.href = "/digest/" + encodeURIComponent(digest.id) + "/";
    box.appendChild(more);
    box.hidden = false;
  }

  function loadLatest() {
    const box = document.getElementById("digest-latest");
    if (!box) return;
    // The list (newest first) answers 200 with no results for a new account, where /weekly/latest is a 404
    // that the browser would log as an error on every dashboard visit.
    fetch("/api/digests?limit=1", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (page) { if (page && page.results && page.results.length) render(box, page.results[0]); })
      .catch(function () { /* the dashboard works without the card */ });
  }

  loadLatest();
})();
