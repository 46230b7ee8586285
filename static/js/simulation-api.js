/* JSON requests for the simulation pages: CSRF on writes, and the API's error envelope turned into one
   readable message. window.TwinSimulationApi.request(method, url, body) → Promise<{status, body}>. */
(function () {
  "use strict";

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function csrfToken() {
    var token = cookie("csrftoken");
    if (token) return Promise.resolve(token);
    return fetch("/api/auth/csrf", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (body) { return body.csrfToken || cookie("csrftoken"); });
  }

  function request(method, url, body) {
    var headers = { Accept: "application/json" };
    var ready = method === "GET" ? Promise.resolve("") : csrfToken();
    return ready.then(function (token) {
      var init = { method: method, credentials: "same-origin", headers: headers };
      if (token) headers["X-CSRFToken"] = token;
      if (body) { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
      return fetch(url, init);
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) return { status: response.status, body: data };
        var error = (data && data.error) || {};
        var message = error.message || ("The request failed (" + response.status + ").");
        if (error.fields) {
          message += " " + Object.keys(error.fields).map(function (k) { return k + ": " + error.fields[k].join(" "); }).join(" ");
        }
        if (response.status === 429) {
          message = "Too many requests in a minute; try again in " + (response.headers.get("Retry-After") || "a few") + " s.";
        }
        throw new Error(message);
      });
    });
  }

  window.TwinSimulationApi = { request: request };
})();
