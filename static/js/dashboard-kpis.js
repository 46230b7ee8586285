// Dashboard KPI tiles for the chosen period: trades, win rate and realised P/L per quote currency (closed
// positions, from /api/analytics/summary), the most frequent label and the disposition verdict (from the summary
// dashboard.js publishes as "dashboard:summary"). Amounts in different quote currencies are never added up.
(function () {
  "use strict";
  if (!document.getElementById("dash-kpis")) return;
  let latest = 0;

  function set(id, value) { document.getElementById(id).textContent = value == null ? "" : String(value); }

  function topLabel(rows) {
    const labelled = (rows || []).filter(function (row) { return row.label !== "NONE" && row.trades > 0; });
    labelled.sort(function (a, b) { return b.trades - a.trades || (a.label < b.label ? -1 : 1); });
    return labelled[0] || null;
  }

  function verdict(stat) {
    if (!stat) return ["No sales yet", "nothing to measure in this period"];
    const effect = stat.effect == null ? "n/a" : (stat.effect >= 0 ? "+" : "−") + Math.abs(stat.effect).toFixed(3);
    if (stat.significance === "significant") {
      return [stat.effect > 0 ? "Winners sold sooner" : "Losers sold sooner", "PGR − PLR " + effect + ", significant"];
    }
    if (stat.significance === "not_significant") return ["No clear effect", "PGR − PLR " + effect + ", could be chance"];
    return ["Too few sales to tell", "PGR − PLR " + effect];
  }

  function performance(body) {
    const currencies = (body.currencies || []).filter(function (c) { return c.closedPositions > 0; });
    const closed = currencies.reduce(function (sum, c) { return sum + c.closedPositions; }, 0);
    const wins = currencies.reduce(function (sum, c) { return sum + c.wins; }, 0);
    set("kpi-winrate", closed ? TwinFormat.percent(wins / closed) : "—");
    set("kpi-winrate-note", closed ? wins + " of " + closed + " closed positions" : "no closed positions");
    const box = document.getElementById("kpi-pnl");
    box.replaceChildren();
    if (!currencies.length) { box.textContent = "—"; return; }
    currencies.forEach(function (c, index) {
      if (index) box.appendChild(document.createElement("br"));
      box.appendChild(TwinFormat.pnlElement(c.realizedPnl, c.quote));
    });
  }

  document.addEventListener("dashboard:summary", function (event) {
    const summary = event.detail.summary;
    const request = ++latest;
    delete document.getElementById("dash-kpis").dataset.ready;
    set("kpi-trades", summary.trades);
    const top = topLabel(summary.pnlByLabel);
    set("kpi-label", top ? top.label : "None");
    set("kpi-label-note", top ? top.trades + " trade" + (top.trades === 1 ? "" : "s") : "no label fired");
    const words = verdict(summary.disposition);
    set("kpi-disposition", words[0]);
    set("kpi-disposition-note", words[1]);
    fetch("/api/analytics/summary?since=" + encodeURIComponent(event.detail.since),
          { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("Could not load your win rate.");
        return response.json();
      })
      .then(function (body) {
        if (request !== latest) return;  // a newer period was chosen meanwhile
        performance(body);
        document.getElementById("dash-kpis").dataset.ready = "1";
      })
      .catch(function (error) { set("kpi-winrate-note", error.message); });
  });
})();
