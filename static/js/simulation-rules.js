/* /rules/: the user's rules with toggles (saved through /api/rules/upsert), and the back-test of the
   switched-on rules over the last 90 days (/api/simulations/rules). No inline script (strict CSP). */
(function () {
  "use strict";

  var section = document.getElementById("rules");
  if (!section) return;
  var status = document.getElementById("rules-status");
  var backtest = document.getElementById("backtest");
  var backtestStatus = document.getElementById("backtest-status");
  var DAY_MS = 86400000;

  var request = window.TwinSimulationApi.request;

  function cards() { return Array.prototype.slice.call(section.querySelectorAll(".rule-card")); }

  function paramsOf(card) {
    var params = {};
    card.querySelectorAll("input[type=number]").forEach(function (input) {
      if (input.value !== "") params[input.name] = Number(input.value);
    });
    return params;
  }

  function save(card) {
    var active = card.querySelector(".rule-active").checked;
    var state = card.querySelector(".rule-state");
    state.textContent = "saving…";
    return request("POST", section.dataset.upsertUrl, { kind: card.dataset.kind, params: paramsOf(card), active: active })
      .then(function () { state.textContent = active ? "on" : "off"; card.dataset.saved = "1"; })
      .catch(function (error) { state.textContent = ""; status.textContent = error.message; });
  }

  cards().forEach(function (card) {
    card.querySelector(".rule-active").addEventListener("change", function () { save(card); });
    card.querySelector(".rule-save").addEventListener("click", function () { save(card); });
  });

  request("GET", section.dataset.rulesUrl).then(function (answer) {
    var data = answer.body;
    var byKind = {};
    (data.results || []).forEach(function (rule) { byKind[rule.kind] = rule; });
    cards().forEach(function (card) {
      var rule = byKind[card.dataset.kind];
      if (!rule) return;
      card.querySelector(".rule-active").checked = !!rule.active;
      card.querySelector(".rule-state").textContent = rule.active ? "on" : "off";
      card.querySelectorAll("input[type=number]").forEach(function (input) {
        if (rule.params[input.name] !== undefined) input.value = rule.params[input.name];
      });
    });
    section.dataset.loaded = "1";
  }).catch(function (error) { status.textContent = error.message; });

  function cell(tr, text) {
    var td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "—" : String(text);
    tr.appendChild(td);
  }

  function fill(tbodySelector, rows) {
    var tbody = document.querySelector(tbodySelector + " tbody");
    tbody.textContent = "";
    rows.forEach(function (values) {
      var tr = document.createElement("tr");
      values.forEach(function (value) { cell(tr, value); });
      tbody.appendChild(tr);
    });
  }

  function show(result) {
    var quotes = Object.keys(result.perQuoteCurrency);
    fill("#backtest-summary", quotes.map(function (q) {
      var f = result.perQuoteCurrency[q];
      return [q, TwinFormat.amount(f.actualPnl, q), TwinFormat.amount(f.rulesPnl, q), TwinFormat.amount(f.difference, q)];
    }));
    var byRule = [];
    quotes.forEach(function (q) {
      result.perQuoteCurrency[q].byRule.forEach(function (r) { byRule.push([r.kind, q, r.tradesAffected, TwinFormat.amount(r.pnlEffect, q)]); });
    });
    fill("#backtest-by-rule", byRule);
    fill("#backtest-trades", result.trades.filter(function (t) { return t.action !== "kept"; }).map(function (t) {
      return [t.side + " " + t.symbol, TwinFormat.dateTime(t.ts), t.action, t.rule,
              t.pnlEffect == null ? "—" : TwinFormat.amount(t.pnlEffect, t.quoteCurrency || t.symbol.split("-").pop())];
    }));
    var notes = document.getElementById("backtest-notes");
    notes.textContent = "";
    result.notes.forEach(function (line) {
      var li = document.createElement("li");
      li.textContent = line;
      notes.appendChild(li);
    });
    document.getElementById("backtest-result").hidden = false;
    var changed = result.trades.filter(function (t) { return t.action !== "kept"; }).length;
    backtestStatus.textContent = result.tradeCount + " trades replayed; the rules would have changed " + changed + ".";
  }

  document.getElementById("backtest-run").addEventListener("click", function () {
    var rules = cards().filter(function (card) { return card.querySelector(".rule-active").checked; })
      .map(function (card) { return { kind: card.dataset.kind, params: paramsOf(card) }; });
    var until = new Date();
    var since = new Date(until.getTime() - 90 * DAY_MS);
    backtestStatus.textContent = "Replaying your trades…";
    request("POST", backtest.dataset.backtestUrl, { since: since.toISOString(), until: until.toISOString(), rules: rules })
      .then(function (answer) { show(answer.body); })
      .catch(function (error) { backtestStatus.textContent = error.message; });
  });
})();
