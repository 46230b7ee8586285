// Trade detail: candlestick chart (vendored lightweight-charts) with the user's entries and exits marked.
(function () {
  "use strict";
  const container = document.getElementById("trade-chart");
  if (!container) return;
  const status = document.getElementById("chart-status");

  function draw(data) {
    if (!data.candles.length) {
      status.textContent = "No market data stored for this period yet.";
      return;
    }
    const chart = LightweightCharts.createChart(container, {
      width: container.clientWidth || 800,
      height: 360,
      layout: { background: { color: "#171e26" }, textColor: "#e6edf3", attributionLogo: false },
      grid: { vertLines: { color: "#243040" }, horzLines: { color: "#243040" } },
      timeScale: { timeVisible: true, secondsVisible: false },
    });
    window.tradeChart = chart; // the journal panel's "Attach chart snapshot" takes its screenshot
    const series = chart.addCandlestickSeries({
      upColor: "#3ecf8e", downColor: "#ff6b6b", borderVisible: false, wickUpColor: "#3ecf8e", wickDownColor: "#ff6b6b",
    });
    series.setData(data.candles);
    const first = data.candles[0].time;
    const step = data.candles.length > 1 ? data.candles[1].time - first : 3600;
    // Markers sit on the candle that contains the trade: arrows only (details on hover or tap), this trade
    // highlighted and named; the view is centred on it.
    const byTime = {};
    let current = null;
    const markers = data.markers.map(function (m) {
      const time = m.time < first ? first : first + Math.floor((m.time - first) / step) * step;
      const buy = m.side === "BUY";
      (byTime[time] = byTime[time] || []).push(m);
      if (m.current) current = time;
      return {
        time: time,
        position: buy ? "belowBar" : "aboveBar",
        color: m.current ? "#4fa3ff" : (buy ? "#3ecf8e" : "#ff6b6b"),
        shape: buy ? "arrowUp" : "arrowDown",
        size: m.current ? 2 : 1,
        text: m.current ? "This trade" : "",
      };
    }).sort(function (a, b) { return a.time - b.time; });
    series.setMarkers(markers);
    const tip = document.createElement("div");
    tip.className = "chart-tip";
    tip.hidden = true;
    tip.setAttribute("role", "status");
    container.appendChild(tip);
    chart.subscribeCrosshairMove(function (param) {
      const here = param.time != null && byTime[param.time];
      if (!here || !param.point) { tip.hidden = true; return; }
      tip.textContent = here.map(function (m) {
        return (m.current ? "This trade: " : "") + (m.side === "BUY" ? "Buy " : "Sell ") + TwinFormat.qty(m.qty) +
          " @ " + TwinFormat.price(m.price) + " · " + TwinFormat.dateTime(m.time);
      }).join("\n");
      tip.hidden = false;
      const left = Math.min(Math.max(param.point.x + 12, 0), Math.max(0, container.clientWidth - tip.offsetWidth - 4));
      tip.style.left = left + "px";
      tip.style.top = Math.max(0, param.point.y - tip.offsetHeight - 12) + "px";
    });
    if (current != null) {
      container.dataset.currentTime = String(current);
      const index = Math.round((current - first) / step);
      const span = Math.min(60, data.candles.length);
      chart.timeScale().setVisibleLogicalRange({ from: index - span / 2, to: index + span / 2 });
    } else {
      chart.timeScale().fitContent();
    }
    container.dataset.rendered = "1";
    status.textContent = data.markers.length + " of your trades on " + data.symbol + " in view (hourly candles).";
    window.addEventListener("resize", function () { chart.applyOptions({ width: container.clientWidth }); });
  }

  fetch(container.dataset.chartUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) throw new Error("Could not load the chart.");
      return response.json();
    })
    .then(draw)
    .catch(function (error) { status.textContent = error.message; });
})();
