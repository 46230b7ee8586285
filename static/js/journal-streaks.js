/* Rule streaks panel (journal and rules pages): one row per active rule; the panel stays hidden without rules. */
(function () {
  "use strict";

  var panel = document.getElementById("rule-streaks");
  var rows = document.getElementById("rule-streaks-rows");
  if (!panel || !rows || !window.journalApi) { return; }

  function cell(tag, text) {
    var node = document.createElement(tag);
    node.textContent = String(text);
    return node;
  }

  window.journalApi.request("GET", "/api/rule-streaks").then(function (data) {
    rows.textContent = "";
    data.results.forEach(function (streak) {
      var row = document.createElement("tr");
      row.dataset.rule = streak.kind;
      row.appendChild(cell("th", streak.kind));
      [streak.current, streak.best, streak.daysHeld, streak.daysBroken, streak.lastBroken || "—"].forEach(function (value) {
        row.appendChild(cell("td", value));
      });
      rows.appendChild(row);
    });
    panel.hidden = data.results.length === 0;
  }).catch(function () {
    panel.hidden = true;
  });
})();
