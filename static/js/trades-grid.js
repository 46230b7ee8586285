// Trades grid: /api/bias/trades with label filter, sort and nextCursor paging. No inline code (strict CSP).
(function () {
  "use strict";
  const form = document.getElementById("trade-filters");
  if (!form) return;
  const rows = document.getElementById("trade-rows");
  const more = document.getElementById("trade-more");
  const empty = document.getElementById("trade-empty");
  const errorBox = document.getElementById("trade-error");
  const labelSelect = document.getElementById("filter-label");
  const sortSelect = document.getElementById("filter-sort");
  let cursor = null;
  let loading = false;

  function cell(text, className) {
    const td = document.createElement("td");
    if (className) td.className = className;
    td.textContent = text == null ? "" : String(text);
    return td;
  }

  function chip(label) {
    const span = document.createElement("button");
    span.type = "button";
    span.className = "chip chip-" + label.name.toLowerCase();
    span.textContent = label.name + " " + Math.round(label.confidence * 100) + "%";
    span.title = "Show only " + label.name;
    span.addEventListener("click", function (event) {
      event.preventDefault();
      labelSelect.value = label.name;
      reload();
    });
    return span;
  }

  function render(trade) {
    const tr = document.createElement("tr");
    const timeCell = document.createElement("td");
    const link = document.createElement("a");
    link.href = "/trades/" + encodeURIComponent(trade.id) + "/";
    link.appendChild(TwinFormat.timeElement(trade.ts));
    timeCell.appendChild(link);
    tr.appendChild(timeCell);
    tr.appendChild(cell(trade.symbol));
    tr.appendChild(cell(trade.side, trade.side === "BUY" ? "buy" : "sell"));
    tr.appendChild(cell(TwinFormat.qty(trade.qty), "num"));
    tr.appendChild(cell(TwinFormat.price(trade.price), "num"));
    const pnlCell = cell(trade.realizedPnl == null ? (trade.side === "SELL" ? "unknown" : "") : "", "num");
    if (trade.realizedPnl != null) pnlCell.appendChild(TwinFormat.pnlElement(trade.realizedPnl, trade.quoteAsset));
    tr.appendChild(pnlCell);
    const labels = document.createElement("td");
    if (!trade.labels.length) labels.textContent = "not scored yet";
    trade.labels.forEach(function (label) {
      labels.appendChild(chip(label));
      const about = document.createElement("a");
      about.href = "/labels/#" + label.name.toLowerCase();
      about.className = "label-about";
      about.textContent = "?";
      about.title = "What " + label.name + " means";
      about.setAttribute("aria-label", "What " + label.name + " means");
      labels.appendChild(about);
    });
    tr.appendChild(labels);
    return tr;
  }

  function load() {
    if (loading) return;
    loading = true;
    const params = new URLSearchParams({ limit: "50", sort: sortSelect.value });
    if (labelSelect.value) params.set("label", labelSelect.value);
    ["symbol", "broker", "dayFrom", "dayTo"].forEach(function (name) {
      const value = form.elements[name] && form.elements[name].value.trim();
      if (value) params.set(name, value);
    });
    if (cursor) params.set("cursor", cursor);
    fetch(form.dataset.endpoint + "?" + params.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error((body.error && body.error.message) || "Could not load trades.");
          return body;
        });
      })
      .then(function (body) {
        body.results.forEach(function (trade) { rows.appendChild(render(trade)); });
        cursor = body.nextCursor;
        more.hidden = !cursor;
        empty.hidden = rows.children.length > 0;
        errorBox.hidden = true;
      })
      .catch(function (error) {
        errorBox.textContent = error.message;
        errorBox.hidden = false;
      })
      .finally(function () { loading = false; });
  }

  function reload() {
    cursor = null;
    rows.replaceChildren();
    load();
  }

  labelSelect.addEventListener("change", reload);
  ["filter-broker", "filter-from", "filter-to"].forEach(function (id) {
    document.getElementById(id).addEventListener("change", reload);
  });
  document.getElementById("filter-symbol").addEventListener("change", reload);
  sortSelect.addEventListener("change", reload);
  document.querySelectorAll("[data-sort]").forEach(function (button) {
    button.addEventListener("click", function () {
      const field = button.dataset.sort;
      sortSelect.value = sortSelect.value === "-" + field ? field : "-" + field;
      reload();
    });
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); reload(); });
  more.addEventListener("click", load);
  load();
})();
