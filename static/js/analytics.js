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
    return value == null ? "—" : TwinFormat.amount(value, quote);
  }
  function pct(value) { return value == null ? "—" : (value * 100).toFixed(1) + "%"; }
  function pick(body) {
    return (body.currencies || []).find(function (c) { return c.quote === quote; }) || null;
  }

  function params() {
    const query = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (value && key !== "quote" && key !== "csrfmiddlewaretoken") query.set(key, String(value).trim());
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
      ["Average hold, winners / losers", TwinFormat.hours(c.averageHoldHoursWinners) + " / " + TwinFormat.hours(c.averageHoldHoursLosers)],
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
      // Size shows through a bar inside the cell; the cell keeps full colour so its text stays readable.
      cell.style.setProperty("--strength", String(Math.round(100 * Math.abs(value) / largest)) + "%");
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

  function reporting(body) {
    const box = document.getElementById("reporting");
    const r = body.reporting;
    box.hidden = !r;
    if (!r) return;
    document.getElementById("reporting-currency").textContent = r.currency;
    document.getElementById("reporting-total").textContent = "Realised P/L across every quote currency: " +
      num(r.realizedPnl) + " " + r.currency + ".";
    fill(document.querySelector("#reporting-table tbody"), r.conversions.map(function (c) {
      const how = c.pair == null ? "same currency" : (c.inverse ? "1 ÷ " : "") + c.pair + " closes";
      return row([c.quote, how, c.positions, c.withoutRate, num(c.realizedPnl), num(c.converted)], true);
    }));
  }

  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attributes) {
    const node = document.createElementNS(SVG, tag);
    Object.keys(attributes).forEach(function (k) { node.setAttribute(k, attributes[k]); });
    return node;
  }

  function excursions(body) {
    const c = pick(body);
    const positions = c ? c.positions.filter(function (p) { return p.mfe != null; }) : [];
    const box = document.getElementById("excursions-chart");
    box.replaceChildren();
    document.getElementById("excursions-caption").textContent = c
      ? c.withCandles + " of " + c.closedPositions + " closed positions have candles for their holding period" +
        (c.averageExitEfficiency == null ? "." : "; on average you kept " +
          (Number(c.averageExitEfficiency) * 100).toFixed(0) + "% of the best moment (exit efficiency).") +
        (c.positions.length < c.closedPositions ? " The chart and table show the newest " + c.positions.length + "." : "")
      : "No closed positions with these filters.";
    if (positions.length) {
      const W = 640, H = 320, P = 40;
      const maxMae = positions.reduce(function (m, p) { return Math.max(m, -Number(p.mae)); }, 0) || 1;
      const maxMfe = positions.reduce(function (m, p) { return Math.max(m, Number(p.mfe)); }, 0) || 1;
      const chart = svg("svg", { viewBox: "0 0 " + W + " " + H, "aria-hidden": "true" });
      chart.appendChild(svg("line", { x1: P, y1: H - P, x2: W - 10, y2: H - P, class: "axis" }));
      chart.appendChild(svg("line", { x1: P, y1: 10, x2: P, y2: H - P, class: "axis" }));
      const xLabel = svg("text", { x: W / 2, y: H - 8, class: "axis-label", "text-anchor": "middle" });
      xLabel.textContent = "MAE (worst moment, " + c.quote + ") →";
      const yLabel = svg("text", { x: 12, y: H / 2, class: "axis-label", transform: "rotate(-90 12 " + H / 2 + ")",
        "text-anchor": "middle" });
      yLabel.textContent = "MFE (best moment) →";
      chart.appendChild(xLabel);
      chart.appendChild(yLabel);
      positions.forEach(function (p) {
        const x = P + (W - P - 10) * (-Number(p.mae) / maxMae);
        const y = (H - P) - (H - P - 10) * (Number(p.mfe) / maxMfe);
        const dot = svg("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: 4,
          class: Number(p.pnl) >= 0 ? "point-win" : "point-loss" });
        const title = svg("title", {});
        title.textContent = p.symbol + " " + TwinFormat.dateTime(p.exitTs) + ": MAE " + num(p.mae) + ", MFE " + num(p.mfe) + ", P/L " + num(p.pnl);
        dot.appendChild(title);
        chart.appendChild(dot);
      });
      box.appendChild(chart);
      box.dataset.rendered = "1";
    }
    fill(document.querySelector("#excursions-table tbody"), (c ? c.positions : []).map(function (p) {
      return row([TwinFormat.dateTime(p.exitTs), p.symbol, num(p.pnl), num(p.mae), num(p.mfe),
        p.exitEfficiency == null ? "—" : (Number(p.exitEfficiency) * 100).toFixed(0) + "%"], true);
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
    reporting(data.summary);
    excursions(data.excursions);
    root.dataset.loaded = "1";
  }

  function refresh() {
    errorBox.hidden = true;
    const by = document.getElementById("breakdown-by").value;
    Promise.all([load("summary"), load("equity"), load("calendar"), load("breakdown", { by: by }), load("excursions")])
      .then(function (bodies) {
        data = { summary: bodies[0], equity: bodies[1], calendar: bodies[2], breakdown: bodies[3], excursions: bodies[4] };
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
