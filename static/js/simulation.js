/* Trade page "What if…" panel: POST /api/simulations/simple, then draw the three P/L curves.
   A pending simulation is followed by `coach:simulation.ready` when the socket is up and by polling
   GET /api/simulations/{id} in any case (works with the socket down). No inline script (strict CSP). */
(function () {
  "use strict";

  var panel = document.getElementById("what-if");
  if (!panel) return;
  var form = document.getElementById("whatif-form");
  var status = document.getElementById("whatif-status");
  var result = document.getElementById("whatif-result");
  var POLL_MS = 1500;
  var GIVE_UP_MS = 180000;
  var SERIES = [
    { key: "actual", label: "What happened", color: "#4fa3ff" },
    { key: "hold", label: "Hold", color: "#3ecf8e" },
    { key: "waitPullback", label: "Wait for the pullback", color: "#f5b041" },
  ];
  var chart = null;
  var waiting = null;  // {id, started, timer}

  var request = window.TwinSimulationApi.request;

  function money(text, quote) { return TwinFormat.amount(text, quote); }

  function when(iso) { return iso ? TwinFormat.dateTime(iso) : "—"; }

  function stopWaiting() {
    if (waiting && waiting.timer) clearTimeout(waiting.timer);
    waiting = null;
  }

  function draw(doc) {
    stopWaiting();
    form.querySelector("button").disabled = false;
    status.textContent = "Simulated " + doc.horizonDays + " day(s) on hourly candles from " + when(doc.candles.from) + " to " + when(doc.candles.to) + ".";
    result.hidden = false;
    var container = document.getElementById("whatif-chart");
    if (chart) { chart.remove(); chart = null; }
    chart = LightweightCharts.createChart(container, {
      width: container.clientWidth || 800,
      height: 300,
      layout: { background: { color: "#171e26" }, textColor: "#e6edf3", attributionLogo: false },
      grid: { vertLines: { color: "#243040" }, horzLines: { color: "#243040" } },
      timeScale: { timeVisible: true, secondsVisible: false },
    });
    var legend = document.getElementById("whatif-legend");
    legend.textContent = "";
    SERIES.forEach(function (spec) {
      var series = chart.addLineSeries({ color: spec.color, lineWidth: 2, title: spec.label });
      series.setData(doc[spec.key].curve.map(function (p) { return { time: p.t, value: p.value }; }));
      var item = document.createElement("span");
      item.className = "legend-item";
      item.dataset.series = spec.key;
      var swatch = document.createElement("span");
      swatch.textContent = "━ ";
      swatch.style.color = spec.color;
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(spec.label + ": " + money(doc[spec.key].pnl, doc.quoteCurrency) + " " + doc.quoteCurrency + "   "));
      legend.appendChild(item);
    });
    chart.timeScale().fitContent();
    container.dataset.rendered = String(SERIES.length);

    var summary = document.getElementById("whatif-summary");
    summary.textContent = "";
    doc.summary.forEach(function (line) {
      var li = document.createElement("li");
      li.textContent = line;
      summary.appendChild(li);
    });
    var rows = [
      ["P/L", function (o) { return money(o.pnl, doc.quoteCurrency) + " " + doc.quoteCurrency; }],
      ["P/L %", function (o) { return o.pnlPct + "%"; }],
      ["Entry", function (o) { return o.entryPrice ? TwinFormat.price(o.entryPrice) + " · " + when(o.entryTs) : "no entry"; }],
      ["Exit", function (o) { return o.exitPrice ? TwinFormat.price(o.exitPrice) + " · " + when(o.exitTs) : "—"; }],
    ];
    var tbody = document.querySelector("#whatif-table tbody");
    tbody.textContent = "";
    rows.forEach(function (row) {
      var tr = document.createElement("tr");
      var th = document.createElement("th");
      th.textContent = row[0];
      tr.appendChild(th);
      SERIES.forEach(function (spec) {
        var td = document.createElement("td");
        td.textContent = row[1](doc[spec.key]);
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
    var assumptions = document.getElementById("whatif-assumptions");
    assumptions.textContent = "";
    doc.assumptions.forEach(function (line) {
      var li = document.createElement("li");
      li.textContent = line;
      assumptions.appendChild(li);
    });
    document.getElementById("whatif-json").textContent = JSON.stringify(doc, null, 2);
  }

  function fail(message) {
    stopWaiting();
    form.querySelector("button").disabled = false;
    status.textContent = message;
    status.dataset.state = "error";
  }

  function poll() {
    if (!waiting) return;
    var id = waiting.id;
    request("GET", "/api/simulations/" + encodeURIComponent(id)).then(function (answer) {
      if (!waiting || waiting.id !== id) return;
      if (answer.body.status === "done") { draw(answer.body); return; }
      var seconds = Math.round((Date.now() - waiting.started) / 1000);
      if (Date.now() - waiting.started > GIVE_UP_MS) { fail("The simulation is taking longer than expected; try again later."); return; }
      status.textContent = "Fetching candles from the exchange… " + seconds + " s";
      waiting.timer = setTimeout(poll, POLL_MS);
    }).catch(function (error) { if (waiting && waiting.id === id) fail(error.message); });
  }

  document.addEventListener("coach:simulation.ready", function (event) {
    var payload = event.detail && event.detail.payload;
    if (!waiting || !payload || payload.simulationId !== waiting.id) return;
    if (payload.status === "done") draw(payload);
    else fail((payload.error && payload.error.message) || "The simulation failed.");
  });

  function run() {
    var horizon = Number(form.elements.horizonDays.value);
    var pullback = form.elements.pullbackPct.value;
    status.dataset.state = "";
    status.textContent = "Simulating…";
    form.querySelector("button").disabled = true;
    stopWaiting();
    request("POST", panel.dataset.simulateUrl, { tradeId: panel.dataset.tradeId, horizonDays: horizon, pullbackPct: pullback })
      .then(function (answer) {
        if (answer.body.status === "done") { draw(answer.body); return; }
        waiting = { id: answer.body.simulationId, started: Date.now(), timer: null };
        status.textContent = "Fetching candles from the exchange…";
        waiting.timer = setTimeout(poll, POLL_MS);
      })
      .catch(function (error) { fail(error.message); });
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
  function openFromLink() {
    if (window.location.hash !== "#what-if") return;
    panel.scrollIntoView();
    run();
  }
  window.addEventListener("hashchange", openFromLink);
  openFromLink();
})();
