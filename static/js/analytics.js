// Performance page: summary, equity + drawdown (lightweight-charts), P/L calendar (click a day → its trades),
// breakdowns as bars; every chart has a table beside it. Figures are per quote currency, never summed.
(function () {
  "use strict";
  const root = document.getElementById("analytics");
  if (!root) return;
  const api = root.dataset.api;
  const form = document.getElementById("analytics-filters");
  const quoteSelect = document.getElementById("analytics-quote");
  const errorBox = document.getElementById("analytics-error");
  const charts = [];
  let quote = "";
  let data = {};

  function el(tag, value, className) {
    const node = document.createElement(tag);
    if (value != null) node.textContent = String(value);
    if (className) node.className = className;
    return node;
  }
  function row(cells, header) {
    const tr = document.createElement("tr");
    cells.forEach(function (cell, i) { tr.appendChild(el(header && i === 0 ? "th" : "td", cell)); });
    if (header) tr.firstChild.setAttribute("scope", "row");
    return tr;
  }
  function fill(tbody, rows) {
    tbody.replaceChildren();
    rows.forEach(function (r) { tbody.appendChild(r); });
  }
  function num(value) {
    return value == null ? "—" : Number(value).toLocaleString(undefined, { maximumFractionDigits: 8 });
  }
  function pct(value) { return value == null ? "—" : (value * 100).toFixed(1) + "%"; }
  function pick(body) {
    return (body.currencies || []).find(function (c) { return c.quote === quote; }) || null;
  }

  function params() {
    const query = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (value && key !== "quote") query.set(key, String(value).trim());
    });
    return query;
  }
  function load(path, extra) {
    const query = params();
    Object.keys(extra || {}).forEach(function (k) { query.set(k, extra[k]); });
    return fetch(api + path + "?" + query.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error((body.error && body.error.message) || "Could not load the figures.");
          return body;
        });
      });
  }

  function summary(body) {
    const c = pick(body);
    const tbody = document.querySelector("#summary-table tbody");
    if (!c) { fill(tbody, [row(["No closed positions with these filters."])]); return; }
    const q = " " + c.quote;
    fill(tbody, [
      ["Trades", c.trades], ["Closed positions", c.closedPositions],
      ["Wins / losses / break-even", c.wins + " / " + c.losses + " / " + c.breakeven],
      ["Win rate", pct(c.winRate)], ["Realised P/L", num(c.realizedPnl) + q],
      ["Profit factor", c.profitFactor == null ? "—" : c.profitFactor.toFixed(2)],
      ["Expectancy per closed position", num(c.expectancy) + q],
      ["Average win / average loss", num(c.averageWin) + " / " + num(c.averageLoss) + q],
      ["Largest win / largest loss", num(c.largestWin) + " / " + num(c.largestLoss) + q],
      ["Longest winning / losing streak", c.longestWinStreak + " / " + c.longestLossStreak],
      ["Average hold, winners / losers (hours)", num(c.averageHoldHoursWinners) + " / " + num(c.averageHoldHoursLosers)],
      ["Fees", num(c.fees) + q + (c.feesPctOfPnl == null ? "" : " (" + c.feesPctOfPnl + "% of P/L)")],
    ].map(function (r) { return row(r, true); }));
    const other = Object.keys(body.otherFees || {});
    document.getElementById("other-fees").textContent = other.length
      ? "Fees paid in other assets: " + other.map(function (a) { return num(body.otherFees[a]) + " " + a; }).join(", ") : "";
  }

  function lineChart(container, points, field, color, kind) {
    if (typeof LightweightCharts === "undefined" || !points.length) { container.textContent = points.length ? "" : "No data."; return; }
    const chart = LightweightCharts.createChart(container, {
      width: container.clientWidth || 800, height: container.classList.contains("chart-small") ? 140 : 260,
      layout: { background: { color: "#171e26" }, textColor: "#e6edf3", attributionLogo: false },
      grid: { vertLines: { color: "#243040" }, horzLines: { color: "#243040" } },
    });
    const series = kind === "area"
      ? chart.addAreaSeries({ lineColor: color, topColor: "rgba(255,107,107,0.1)", bottomColor: "rgba(255,107,107,0.5)" })
      : chart.addLineSeries({ color: color, lineWidth: 2 });
    series.setData(points.map(function (p) { return { time: p.date, value: Number(p[field]) }; }));
    chart.timeScale().fitContent();
    charts.push(chart);
    container.dataset.rendered = "1";
  }

  function equity(body) {
    charts.splice(0).forEach(function (chart) { chart.remove(); });
    const c = pick(body);
    const points = c ? c.points : [];
    const equityBox = document.getElementById("equity-chart");
    const drawdownBox = document.getElementById("drawdown-chart");
    equityBox.replaceChildren();
    drawdownBox.replaceChildren();
    lineChart(equityBox, points, "equity", "#4fa3ff", "line");
    lineChart(drawdownBox, points, "drawdown", "#ff6b6b", "area");
    document.getElementById("equity-caption").textContent = c
      ? "Final " + num(c.final) + " " + c.quote + ", maximum drawdown " + num(c.maxDrawdown) + " " + c.quote + "." : "";
    fill(document.querySelector("#equity-table tbody"), points.map(function (p) {
      return row([p.date, num(p.pnl), num(p.equity), num(p.drawdown)], true);
    }));
  }

  function dayTrades(date, target) {
    const since = date + "T00:00:00Z";
    const next = new Date(Date.parse(since) + 86400000).toISOString();
    const query = new URLSearchParams({ since: since, until: next, limit: "200" });
    target.replaceChildren(el("p", "Loading the trades of " + date + " …", "muted"));
    fetch(root.dataset.tradesApi + "?" + query.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        const table = el("table");
        table.appendChild(row(["Time", "Symbol", "Side", "Qty", "Price"], false));
        (body.results || []).forEach(function (t) {
          const tr = row([t.ts.slice(11, 19), t.symbol, t.side, num(t.qty), num(t.price)], false);
          const link = el("a", t.ts.slice(11, 19));
          link.href = "/trades/" + encodeURIComponent(t.id) + "/";
          tr.firstChild.replaceChildren(link);
          table.appendChild(tr);
        });
        target.replaceChildren(el("h3", "Trades on " + date), table);
      })
      .catch(function () { target.replaceChildren(el("p", "Could not load the trades of " + date + ".", "error")); });
  }

  function calendar(body) {
    const c = pick(body);
    const days = c ? c.days : [];
    const box = document.getElementById("calendar");
    const detail = document.getElementById("calendar-day");
    box.replaceChildren();
    const largest = days.reduce(function (m, d) { return Math.max(m, Math.abs(Number(d.pnl))); }, 0) || 1;
    days.forEach(function (d) {
      const value = Number(d.pnl);
      const cell = el("button", d.date.slice(5), "day " + (value > 0 ? "day-gain" : value < 0 ? "day-loss" : "day-flat"));
      cell.type = "button";
      cell.style.opacity = String(0.35 + 0.65 * Math.abs(value) / largest);
      cell.title = d.date + ": " + num(d.pnl) + " " + c.quote + ", " + d.closedPositions + " closed";
      cell.setAttribute("aria-label", cell.title + ". Show the trades of this day.");
      cell.addEventListener("click", function () { dayTrades(d.date, detail); });
      box.appendChild(cell);
    });
    if (!days.length) box.textContent = "No closed positions with these filters.";
    fill(document.querySelector("#calendar-table tbody"), days.map(function (d) {
      return row([d.date, num(d.pnl), d.closedPositions, d.wins], true);
    }));
  }

  function breakdown(body) {
    const c = pick(body);
    const buckets = c ? c.buckets : [];
    const bars = document.getElementById("breakdown-bars");
    bars.replaceChildren();
    const largest = buckets.reduce(function (m, b) { return Math.max(m, Math.abs(Number(b.pnl))); }, 0) || 1;
    buckets.forEach(function (b) {
      const line = el("div", null, "bar-row");
      line.appendChild(el("span", b.name, "bar-label"));
      const bar = el("span", null, "bar " + (Number(b.pnl) >= 0 ? "bar-gain" : "bar-loss"));
      bar.style.width = (100 * Math.abs(Number(b.pnl)) / largest).toFixed(1) + "%";
      line.appendChild(bar);
      line.appendChild(el("span", num(b.pnl), "bar-value"));
      bars.appendChild(line);
    });
    fill(document.querySelector("#breakdown-table tbody"), buckets.map(function (b) {
      return row([b.name, b.closedPositions, pct(b.winRate), num(b.pnl)], true);
    }));
  }

  function quotes(bodies) {
    const found = new Set();
    bodies.forEach(function (b) { (b.currencies || []).forEach(function (c) { found.add(c.quote); }); });
    const list = Array.from(found).sort();
    if (!list.includes(quote)) quote = list[0] || "";
    quoteSelect.replaceChildren();
    list.forEach(function (q) { const o = el("option", q); o.value = q; o.selected = q === quote; quoteSelect.appendChild(o); });
  }

  function render() {
    summary(data.summary);
    equity(data.equity);
    calendar(data.calendar);
    breakdown(data.breakdown);
    root.dataset.loaded = "1";
  }

  function refresh() {
    errorBox.hidden = true;
    const by = document.getElementById("breakdown-by").value;
    Promise.all([load("summary"), load("equity"), load("calendar"), load("breakdown", { by: by })])
      .then(function (bodies) {
        data = { summary: bodies[0], equity: bodies[1], calendar: bodies[2], breakdown: bodies[3] };
        quotes(bodies);
        render();
      })
      .catch(function (error) { errorBox.textContent = error.message; errorBox.hidden = false; });
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); refresh(); });
  quoteSelect.addEventListener("change", function () { quote = quoteSelect.value; render(); });
  document.getElementById("breakdown-by").addEventListener("change", function (event) {
    load("breakdown", { by: event.target.value }).then(function (body) { data.breakdown = body; breakdown(body); })
      .catch(function (error) { errorBox.textContent = error.message; errorBox.hidden = false; });
  });
  refresh();
})();
