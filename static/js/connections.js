/* Connections page: connect Coinbase (OAuth redirect), add a Binance read-only key, pause/resume/disconnect.
   Talks to /api/brokers/*; no inline script (strict CSP). Secrets are sent once and never read back. */
(function () {
  "use strict";

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function showError(message) {
    var box = document.getElementById("connections-error");
    if (!box) { return; }
    box.textContent = message;
    box.hidden = !message;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), "Accept": "application/json" },
      body: body ? JSON.stringify(body) : "{}"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var message = (data && data.error && data.error.message) || ("Request failed (" + response.status + ").");
          throw new Error(message);
        }
        return data;
      });
    });
  }

  function busy(button, isBusy) {
    if (button) { button.disabled = isBusy; }
  }

  var connect = document.getElementById("coinbase-connect");
  if (connect) {
    connect.addEventListener("click", function () {
      showError("");
      busy(connect, true);
      post("/api/brokers/coinbase/connect/start").then(function (data) {
        window.location.assign(data.redirectUrl);
      }).catch(function (error) {
        busy(connect, false);
        showError(error.message);
      });
    });
  }

  var form = document.getElementById("binance-form");
  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      showError("");
      var submit = document.getElementById("binance-submit");
      var key = form.elements.apiKey;
      var secret = form.elements.apiSecret;
      busy(submit, true);
      post("/api/brokers/binance/keys", { apiKey: key.value, apiSecret: secret.value }).then(function () {
        secret.value = "";
        window.location.assign("/connections/?linked=binance");
      }).catch(function (error) {
        secret.value = "";
        busy(submit, false);
        showError(error.message);
      });
    });
  }

  var table = document.getElementById("connections-table");
  if (table) {
    table.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-action]");
      if (!button) { return; }
      var row = button.closest("tr[data-connection-id]");
      var action = button.getAttribute("data-action");
      if (action === "disconnect" &&
          !window.confirm("Disconnect this exchange? Its stored tokens or keys are deleted; imported trades stay.")) {
        return;
      }
      showError("");
      busy(button, true);
      post("/api/brokers/" + encodeURIComponent(row.getAttribute("data-connection-id")) + "/" + action)
        .then(function () { window.location.reload(); })
        .catch(function (error) { busy(button, false); showError(error.message); });
    });
  }
}());
