/* Upload page: drag-and-drop an export, import it, show what was imported, skipped (by type) and unreadable
   (by line); map the columns of a generic CSV once per source. Uses window.TwinImport from import.js. */
(function () {
  "use strict";

  var FORMAT_NAMES = {
    coinbase_transactions: "Coinbase transactions", coinbase_pro_fills: "Coinbase Pro fills",
    binance_spot_trade_history: "Binance spot trade history", binance_transaction_history: "Binance transaction history",
    binance_order_history: "Binance order history", binance_order_history_old: "Binance order history (old layout)",
    binance_trade_history_old: "Binance trade history (old layout)", kraken_trades: "Kraken trades",
    kraken_ledgers: "Kraken ledgers", bybit_spot_trades: "Bybit spot trades", kucoin_spot_trades: "KuCoin filled orders",
    okx_trading_history: "OKX trading history", generic: "Your mapped CSV",
  };

  var MAPPING_FIELDS = [
    ["timestamp", "Date/time", true], ["symbol", "Pair (e.g. BTC-USD)", false], ["base", "Base asset", false],
    ["quote", "Quote asset", false], ["side", "Side (buy/sell)", true], ["qty", "Quantity", true],
    ["price", "Price", true], ["fee", "Fee", false], ["fee_asset", "Fee asset", false],
    ["ext_id", "Trade id", false]
  ];

  function byId(id) { return document.getElementById(id); }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  function row(cells) {
    var tr = document.createElement("tr");
    cells.forEach(function (value) {
      var td = document.createElement("td");
      td.textContent = String(value);
      tr.appendChild(td);
    });
    return tr;
  }

  function init() {
    var form = byId("upload-form");
    if (!form || !window.TwinImport) { return; }
    var api = window.TwinImport.api;
    var fileInput = byId("upload-file");
    var dropzone = byId("dropzone");
    var errorBox = byId("upload-error");
    var mappingSection = byId("mapping-section");
    var mappingForm = byId("mapping-form");
    var mappingSelect = byId("upload-mapping");
    var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10) || 0;
    var chosen = null;
    var watcher = null;

    function showError(box, message) {
      box.textContent = message || "";
      box.hidden = !message;
    }

    function choose(file) {
      chosen = file || null;
      byId("upload-filename").textContent = chosen ? chosen.name + " (" + chosen.size + " bytes)" : "";
      showError(errorBox, "");
      if (chosen && maxBytes && chosen.size > maxBytes) {
        showError(errorBox, "This file is larger than " + Math.round(maxBytes / 1048576) + " MB.");
      }
    }

    fileInput.addEventListener("change", function () { choose(fileInput.files[0]); });
    ["dragenter", "dragover"].forEach(function (name) {
      dropzone.addEventListener(name, function (event) {
        event.preventDefault();
        dropzone.classList.add("dropzone-active");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      dropzone.addEventListener(name, function (event) {
        event.preventDefault();
        dropzone.classList.remove("dropzone-active");
      });
    });
    dropzone.addEventListener("drop", function (event) {
      if (event.dataTransfer && event.dataTransfer.files.length) { choose(event.dataTransfer.files[0]); }
    });

    function renderReport(update) {
      var panel = byId("upload-result");
      panel.hidden = false;
      var counts = update.counts || {};
      var report = update.report || {};
      byId("result-format").textContent = FORMAT_NAMES[report.format] || report.format || "";
      byId("result-rows").textContent = report.totalRows === undefined ? "" : report.totalRows;
      byId("result-inserted").textContent = counts.inserted || 0;
      byId("result-duplicates").textContent = counts.duplicates || 0;
      byId("result-skipped").textContent = counts.skipped || 0;
      var types = report.skippedByType || {};
      var typesBody = byId("skipped-types-body");
      clear(typesBody);
      Object.keys(types).sort().forEach(function (kind) { typesBody.appendChild(row([kind, types[kind]])); });
      byId("result-skipped-types").hidden = Object.keys(types).length === 0;
      var errors = report.errors || [];
      var errorsBody = byId("row-errors-body");
      clear(errorsBody);
      errors.forEach(function (e) { errorsBody.appendChild(row([e.line, e.reason])); });
      byId("result-errors").hidden = errors.length === 0;
      var more = (report.errorCount || 0) - errors.length;
      byId("row-errors-more").hidden = more <= 0;
      byId("row-errors-more").textContent = more > 0 ? "… and " + more + " more." : "";
      var bar = byId("upload-bar");
      if (update.done) {
        bar.value = 100;
        byId("upload-status").textContent = update.status === "done"
          ? "Imported: " + (counts.duplicates || 0) + " already imported, " + (counts.inserted || 0) + " new."
          : window.TwinImport.statusText(update);
        byId("upload-trades-link").hidden = update.status !== "done";
      } else {
        bar.removeAttribute("value");
        byId("upload-status").textContent = window.TwinImport.statusText(update);
      }
    }

    function upload(mappingName) {
      if (!chosen) { showError(errorBox, "Choose a file first."); return Promise.resolve(); }
      var data = new FormData();
      data.append("file", chosen, chosen.name);
      if (mappingName) { data.append("mapping", mappingName); }
      showError(errorBox, "");
      return api("POST", "/api/trades/upload", data).then(function (result) {
        mappingSection.hidden = true;
        if (result.body.repeat) { renderRepeat(result.body); return; }
        if (watcher) { watcher.stop(); }
        watcher = window.TwinImport.watchJob(result.body.jobId, renderReport);
      }).catch(function (error) {
        if (error.code === "mapping_required") {
          // Not an error: an unknown CSV is mapped once, then it imports like a known export.
          showError(errorBox, "");
          showMapping();
          return;
        }
        showError(errorBox, error.message);
        if (error.code === "ambiguous_date_format") {
          // The saved mapping needs its timestamp format: show the form with that field to fill in.
          if (mappingSection.hidden) { showMapping(); }
          byId("mapping-timestamp-format").focus();
        }
      });
    }

    function renderSample(headers, rows) {
      var head = byId("mapping-sample-head");
      var body = byId("mapping-sample-body");
      clear(head);
      clear(body);
      head.appendChild(row(headers));
      head.firstChild.childNodes.forEach(function (cell) {
        var th = document.createElement("th");
        th.textContent = cell.textContent;
        head.firstChild.replaceChild(th, cell);
      });
      rows.forEach(function (cells) { body.appendChild(row(cells)); });
      byId("mapping-sample").hidden = rows.length === 0;
    }

    /* The same file again: nothing is imported twice; the report says what this upload did. */
    function renderRepeat(accepted) {
      if (watcher) { watcher.stop(); }
      api("GET", "/api/trades/import/" + encodeURIComponent(accepted.jobId)).then(function (result) {
        var job = result.body;
        renderReport({ status: job.status, report: job.report, done: true,
                       counts: { inserted: 0, duplicates: accepted.alreadyImported, skipped: job.counts.skipped } });
        byId("upload-status").textContent = "You imported this file before: " + accepted.alreadyImported +
          " already imported, " + accepted["new"] + " new.";
      }).catch(function (error) { showError(errorBox, error.message); });
    }

    function showMapping() {
      var data = new FormData();
      data.append("file", chosen, chosen.name);
      api("POST", "/api/trades/upload/headers", data).then(function (result) {
        var container = byId("mapping-fields");
        clear(container);
        MAPPING_FIELDS.forEach(function (spec) {
          var label = document.createElement("label");
          label.setAttribute("for", "map-" + spec[0]);
          label.textContent = spec[1] + (spec[2] ? " *" : "");
          var select = document.createElement("select");
          select.id = "map-" + spec[0];
          select.name = spec[0];
          var none = document.createElement("option");
          none.value = "";
          none.textContent = "—";
          select.appendChild(none);
          result.body.headers.forEach(function (header) {
            var option = document.createElement("option");
            option.value = header;
            option.textContent = header;
            if ((result.body.guess || {})[spec[0]] === header) { option.selected = true; }
            select.appendChild(option);
          });
          container.appendChild(label);
          container.appendChild(select);
        });
        renderSample(result.body.headers, result.body.sample || []);
        mappingSection.hidden = false;
      }).catch(function (error) { showError(errorBox, error.message); });
    }

    mappingForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var mapping = {};
      MAPPING_FIELDS.forEach(function (spec) {
        var value = mappingForm.elements[spec[0]].value;
        if (value) { mapping[spec[0]] = value; }
      });
      var format = byId("mapping-timestamp-format").value;
      if (format) { mapping.timestamp_format = format; }
      var name = byId("mapping-name").value.trim();
      showError(byId("mapping-error"), "");
      api("POST", "/api/trades/mappings", { name: name, mapping: mapping }).then(function () {
        var exists = Array.prototype.some.call(mappingSelect.options, function (o) { return o.value === name; });
        if (!exists) {
          var option = document.createElement("option");
          option.value = name;
          option.textContent = name;
          mappingSelect.appendChild(option);
        }
        mappingSelect.value = name;
        return upload(name);
      }).catch(function (error) { showError(byId("mapping-error"), error.message); });
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      upload(mappingSelect.value);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
