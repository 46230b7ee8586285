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
    const series = chart.addCandlestickSeries({
      upColor: "#3ecf8e", downColor: "#ff6b6b", borderVisible: false, wickUpColor: "#3ecf8e", wickDownColor: "#ff6b6b",
    });
    series.setData(data.candles);
    const first = data.candles[0].time;
    const step = data.candles.length > 1 ? data.candles[1].time - first : 3600;
    // Markers sit on the candle that contains the trade.
    const markers = data.markers.map(function (m) {
      const time = m.time < first ? first : first + Math.floor((m.time - first) / step) * step;
      const buy = m.side === "BUY";
      return {
        time: time,
        position: buy ? "belowBar" : "aboveBar",
        color: m.current ? "#4fa3ff" : (buy ? "#3ecf8e" : "#ff6b6b"),
        shape: buy ? "arrowUp" : "arrowDown",
        text: (buy ? "Buy " : "Sell ") + m.qty + " @ " + m.price,
      };
    }).sort(function (a, b) { return a.time - b.time; });
    series.setMarkers(markers);
    chart.timeScale().fitContent();
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
