/*
 * Trade page journal panel: the entries about this trade (text, emotions, adherence checks, images) and
 * "Attach chart snapshot", which stores the chart's own takeScreenshot() image on this trade's post entry
 * (creating one when there is none). All user text goes in through textContent. No inline script (strict CSP).
 */
(function () {
  "use strict";

  var panel = document.getElementById("trade-journal");
  if (!panel) { return; }
  var tradeId = panel.dataset.tradeId;
  var list = document.getElementById("trade-journal-entries");
  var button = document.getElementById("trade-journal-snapshot");
  var status = document.getElementById("trade-journal-status");
  var entries = [];

  var request = window.journalApi.request;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function renderAdherence(adherence) {
    var table = element("table", "adherence");
    table.appendChild(element("caption", "", "Against the plan: " + adherence.passed + " of " + adherence.judged +
      " checks kept" + (adherence.complete ? "" : " (exit not imported yet)")));
    var body = element("tbody");
    adherence.checks.forEach(function (check) {
      var row = element("tr");
      row.dataset.check = check.name;
      row.appendChild(element("th", "", check.name));
      row.appendChild(element("td", "", check.value === null ? "—" : check.value));
      row.appendChild(element("td", "muted", "threshold " + (check.threshold === null ? "—" : check.threshold)));
      row.appendChild(element("td", "", check.passed === null ? "not yet" : (check.passed ? "kept" : "missed")));
      row.appendChild(element("td", "muted", check.explain));
      body.appendChild(row);
    });
    table.appendChild(body);
    return table;
  }

  function render() {
    list.textContent = "";
    if (!entries.length) {
      list.appendChild(element("p", "muted", "No journal entries about this trade yet."));
      return;
    }
    entries.forEach(function (entry) {
      var item = element("article", "journal-entry");
      item.dataset.entryId = entry.id;
      var head = element("div");
      head.appendChild(element("span", "chip", entry.type));
      if (entry.status === "draft") { head.appendChild(element("span", "chip", "draft")); }
      item.appendChild(head);
      if (entry.content.text) { item.appendChild(element("p", "entry-text", entry.content.text)); }
      var feelings = Object.keys(entry.emotions || {});
      if (feelings.length) {
        var chips = element("div", "emotions");
        feelings.forEach(function (name) { chips.appendChild(element("span", "chip emotion", name + " " + entry.emotions[name] + "/5")); });
        item.appendChild(chips);
      }
      if (entry.adherence) { item.appendChild(renderAdherence(entry.adherence)); }
      (entry.attachments || []).forEach(function (attachment) {
        var image = element("img", "journal-attachment");
        image.src = attachment.url;
        image.alt = "Attached image";
        image.width = Math.min(attachment.width, 480);
        item.appendChild(image);
      });
      list.appendChild(item);
    });
  }

  function load() {
    return request("GET", "/api/journal-entries?tradeId=" + encodeURIComponent(tradeId)).then(function (data) {
      entries = data.results;
      render();
    }).catch(function (error) {
      list.textContent = "";
      list.appendChild(element("p", "error", error.message));
    });
  }

  function postEntry() {
    var existing = entries.filter(function (entry) { return entry.type === "post"; })[0];
    if (existing) { return Promise.resolve(existing); }
    return request("POST", "/api/journal-entries",
      { type: "post", tradeId: tradeId, content: { text: "Chart snapshot", tags: [] } });
  }

  function snapshot() {
    var chart = window.tradeChart;
    if (!chart || typeof chart.takeScreenshot !== "function") {
      status.textContent = "The chart is not drawn yet.";
      return;
    }
    button.disabled = true;
    status.textContent = "Attaching…";
    new Promise(function (resolve) { chart.takeScreenshot().toBlob(resolve, "image/png"); }).then(function (blob) {
      return postEntry().then(function (entry) {
        var form = new FormData();
        form.append("file", blob, "chart.png");
        return request("POST", "/api/journal-entries/" + encodeURIComponent(entry.id) + "/attachments", form);
      });
    }).then(function () {
      status.textContent = "Snapshot attached.";
      return load();
    }).catch(function (error) {
      status.textContent = error.message;
    }).then(function () {
      button.disabled = false;
    });
  }

  button.addEventListener("click", snapshot);
  button.disabled = false;
  load();
})();
