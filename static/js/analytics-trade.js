// Trade page: MAE / MFE / exit efficiency of this exit (GET /api/analytics/excursions?tradeId=…).
(function () {
  "use strict";
  const root = document.getElementById("trade-excursion");
  if (!root) return;
  const out = document.getElementById("trade-excursion-text");
  fetch(root.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) { if (!response.ok) throw new Error(); return response.json(); })
    .then(function (body) {
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
    })
    .catch(function () { out.textContent = "Could not measure this position."; });
})();
