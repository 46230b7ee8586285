// Trade page: MAE / MFE / exit efficiency of this exit (GET /api/analytics/excursions?tradeId=…).
// A failed request (network, 429 or 5xx) is tried again twice, a second apart (or after Retry-After, at most 5 s).
(function () {
  "use strict";
  const root = document.getElementById("trade-excursion");
  if (!root) return;
  const out = document.getElementById("trade-excursion-text");
  const ATTEMPTS = 3;

  function show(body) {
    const currency = body.currencies[0];
    const position = currency && currency.positions[0];
    if (!position || position.mfe == null) {
      out.textContent = "No stored candles cover this holding period yet.";
      return;
    }
    const q = currency.quote;
    out.textContent = "Worst moment (MAE) " + TwinFormat.money(position.mae, q) + ", best moment (MFE) " +
      TwinFormat.money(position.mfe, q) + ", realised " + TwinFormat.money(position.pnl, q) + (position.exitEfficiency == null ? "." :
        " — you kept " + (Number(position.exitEfficiency) * 100).toFixed(0) + "% of the best moment.");
    out.classList.remove("muted");
    root.dataset.loaded = "1";
  }

  function load(attempt) {
    fetch(root.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.ok) return response.json().then(show);
        const passing = response.status === 429 || response.status >= 500;
        if (passing && attempt < ATTEMPTS) {
          const wait = Math.min(Number(response.headers.get("Retry-After")) || 1, 5);
          setTimeout(function () { load(attempt + 1); }, wait * 1000);
          return null;
        }
        out.textContent = "Could not measure this position (the server answered " + response.status + ").";
        return null;
      }, function () {
        if (attempt < ATTEMPTS) { setTimeout(function () { load(attempt + 1); }, 1000); return; }
        out.textContent = "Could not measure this position: the server could not be reached.";
      })
      .catch(function (error) {
        console.error("trade excursion:", error);
        out.textContent = "Could not measure this position.";
      });
  }

  load(1);
})();
