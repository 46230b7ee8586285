// Dashboard: bias timeline (labels per day), realised P/L by label, disposition effect; empty state.
(function () {
  "use strict";
  const root = document.getElementById("dashboard");
  if (!root) return;
  const COLORS = { FOMO: "#f5b041", PANIC: "#ff6b6b", DISCIPLINE: "#3ecf8e", REVENGE: "#e056fd",
    OVERTRADING: "#4fa3ff", OVERCONFIDENCE: "#ffd166", NONE: "#8b98a5" };

  function text(tag, value, className) {
    const el = document.createElement(tag);
    el.textContent = value == null ? "" : String(value);
    if (className) el.className = className;
    return el;
  }

  // Labels per day as stacked bars: one histogram per label holding the running total up to it, drawn tallest
  // first so each label shows as its own band; whole-number axis; every series named in the legend with its count.
  const period = document.getElementById("dash-period");
  let chart = null;
  function timeline(days) {
    const container = document.getElementById("timeline-chart");
    const legend = document.getElementById("timeline-legend");
    legend.replaceChildren();
    if (chart) { chart.remove(); chart = null; }
    container.replaceChildren();
    if (!days.length || typeof LightweightCharts === "undefined") {
      container.textContent = "No labelled trades in this period.";
      return;
    }
    const labels = Array.from(new Set(days.flatMap(function (d) { return Object.keys(d.counts); }))).sort();
    chart = LightweightCharts.createChart(container, {
      width: container.clientWidth || 800, height: 260,
      layout: { background: { color: "#171e26" }, textColor: "#e6edf3", attributionLogo: false },
      grid: { vertLines: { color: "#243040" }, horzLines: { color: "#243040" } },
      rightPriceScale: { scaleMargins: { top: 0.1, bottom: 0 } },
      localization: { priceFormatter: function (value) { return String(Math.round(value)); } },
      handleScroll: false, handleScale: false,
    });
    const integer = { type: "custom", minMove: 1, formatter: function (value) { return String(Math.round(value)); } };
    const totals = {};
    for (let k = labels.length - 1; k >= 0; k -= 1) {
      const series = chart.addHistogramSeries({ color: COLORS[labels[k]] || "#ccc", priceFormat: integer,
                                                priceLineVisible: false, lastValueVisible: false, title: "" });
      series.setData(days.map(function (d) {
        let stacked = 0;
        for (let j = 0; j <= k; j += 1) stacked += d.counts[labels[j]] || 0;
        return { time: d.date, value: stacked };
      }));
    }
    labels.forEach(function (label) {
      totals[label] = days.reduce(function (sum, d) { return sum + (d.counts[label] || 0); }, 0);
      const chip = text("a", label + " · " + totals[label], "chip chip-" + label.toLowerCase());
      chip.href = "/labels/#" + label.toLowerCase();
      chip.title = "What " + label + " means";
      legend.appendChild(chip);
    });
    container.setAttribute("aria-label", "Labels per day, stacked bars over " + days.length + " day" +
      (days.length === 1 ? "" : "s") + ": " + labels.map(function (l) { return l + " " + totals[l]; }).join(", ") + ".");
    chart.timeScale().fitContent();
    container.dataset.rendered = "1";
  }

  function pnl(rows) {
    const body = document.querySelector("#pnl-table tbody");
    rows.forEach(function (row) {
      const tr = document.createElement("tr");
      tr.appendChild(text("td", row.label));
      tr.appendChild(text("td", row.trades, "num"));
      tr.appendChild(text("td", row.withRealizedPnl, "num"));
      const cell = text("td", row.realizedPnl == null ? "—" : "", "num");
      Object.keys(row.realizedPnl || {}).forEach(function (quote, index) {
        if (index) cell.appendChild(document.createTextNode(", "));
        cell.appendChild(TwinFormat.pnlElement(row.realizedPnl[quote], quote));
      });
      tr.appendChild(cell);
      body.appendChild(tr);
    });
  }

  function disposition(stat) {
    const box = document.getElementById("disposition");
    if (!stat) {
      box.textContent = "No sale days in this period yet, so there is nothing to measure.";
      return;
    }
    const pctOf = function (v) { return v == null ? "n/a" : (v * 100).toFixed(1) + "%"; };
    const signed = function (v, digits) { return v == null ? "n/a" : (v >= 0 ? "+" : "") + v.toFixed(digits); };
    box.appendChild(text("p", "PGR " + pctOf(stat.pgr) + " − PLR " + pctOf(stat.plr) + " = " + signed(stat.effect, 3),
      "disposition-figure"));
    const verdicts = {
      significant: "Significant at the 5% level (|t| ≥ " + stat.significantT + "): unlikely to be chance.",
      not_significant: "Not significant yet (|t| < " + stat.significantT + "): this could still be chance.",
      too_few: "Too few counts to tell yet (at least " + stat.minObservations + " gains and " +
        stat.minObservations + " losses are needed).",
    };
    box.appendChild(text("p", "Standard error " + (stat.standardError == null ? "n/a" : stat.standardError.toFixed(3)) +
      ", t = " + (stat.tStat == null ? "n/a" : stat.tStat.toFixed(2)) + ". " + (verdicts[stat.significance] || ""),
      "disposition-significance"));
    box.appendChild(text("p", "Gains realised " + stat.realizedGains + ", gains left on paper " + stat.paperGains +
      "; losses realised " + stat.realizedLosses + ", losses left on paper " + stat.paperLosses +
      ", over " + stat.saleDays + " sale day" + (stat.saleDays === 1 ? "" : "s") + ".", "muted disposition-counts"));
    const notes = [];
    if (stat.singleMarketDays) notes.push(stat.singleMarketDays + " sale day(s) with a single market held were not counted");
    if (stat.salesUnknown) notes.push(stat.salesUnknown + " sale(s) whose buy is not in your history could not be classified");
    if (stat.paperUnpriced) notes.push(stat.paperUnpriced + " holding(s) had no price data that day");
    if (notes.length) box.appendChild(text("p", notes.join("; ") + ".", "muted small"));
  }

  function load() {
    const days = period ? Number(period.value) : 90;
    const since = new Date(Date.now() - days * 86400 * 1000).toISOString();
    fetch(root.dataset.summaryUrl + "?since=" + encodeURIComponent(since),
          { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("Could not load your summary.");
        return response.json();
      })
      .then(function (summary) {
        if (!summary.hasTrades) {
          document.getElementById("dash-empty").hidden = false;
          return;
        }
        document.getElementById("dash-body").hidden = false;
        document.getElementById("dash-trades").textContent = summary.trades;
        document.querySelector("#pnl-table tbody").replaceChildren();
        document.getElementById("disposition").replaceChildren();
        timeline(summary.labelsPerDay);
        pnl(summary.pnlByLabel);
        disposition(summary.disposition);
        document.dispatchEvent(new CustomEvent("dashboard:summary", { detail: { summary: summary, since: since } }));
      })
      .catch(function (error) {
        const box = document.getElementById("dash-error");
        box.textContent = error.message;
        box.hidden = false;
      });
  }
  if (period) period.addEventListener("change", load);
  load();
})();
