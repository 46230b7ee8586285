/*
 * The journal pages' one request helper: same-origin JSON (or multipart) requests with the CSRF token; an
 * error answer rejects with its message, followed by each field problem ("$.content.text: …").
 */
(function () {
  "use strict";

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function csrfToken() {
    var token = cookie("csrftoken");
    if (token) { return Promise.resolve(token); }
    return fetch("/api/auth/csrf", { credentials: "same-origin" })
      .then(function (r) { return r.json(); }).then(function (b) { return b.csrfToken; });
  }

  function request(method, url, body) {
    var ready = method === "GET" ? Promise.resolve("") : csrfToken();
    return ready.then(function (token) {
      var headers = { "Accept": "application/json" };
      if (token) { headers["X-CSRFToken"] = token; }
      var init = { method: method, credentials: "same-origin", headers: headers };
      if (body instanceof FormData) {
        init.body = body;
      } else if (body !== undefined) {
        headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
      return fetch(url, init);
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = data.error || {};
          var fields = error.fields ? Object.keys(error.fields).map(function (path) {
            return path + ": " + error.fields[path].join(" ");
          }) : [];
          throw new Error([error.message || ("Request failed (" + response.status + ").")].concat(fields).join(" "));
        }
        return data;
      });
    });
  }

  window.journalApi = { request: request };
})();
