// Account page, "Your data": start an export and wait for its link; delete the account after a confirmation
// that lists what will be lost.
(function () {
  "use strict";
  const root = document.getElementById("account-data");
  if (!root) return;
  const status = document.getElementById("export-status");
  const form = document.getElementById("delete-form");

  function csrfToken() {
    const input = root.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function call(method, url, body) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          const error = new Error((data.error && data.error.message) || "That did not work.");
          error.fields = data.error && data.error.fields;
          throw error;
        }
        return data;
      });
    });
  }

  function poll(jobId, tries) {
    call("GET", root.dataset.exportUrl + "/" + encodeURIComponent(jobId)).then(function (job) {
      if (job.status === "done" && job.url) {
        status.replaceChildren();
        const link = document.createElement("a");
        link.href = job.url;
        link.id = "export-link";
        link.textContent = "Download your export (" + Math.max(1, Math.round(job.size / 1024)) + " KB)";
        status.appendChild(link);
        status.appendChild(document.createTextNode(" — valid until " + new Date(job.expiresAt).toLocaleTimeString() + "."));
      } else if (job.status === "failed" || job.status === "parked") {
        status.textContent = "The export failed: " + job.error;
      } else if (tries > 0) {
        setTimeout(function () { poll(jobId, tries - 1); }, 2000);
      } else {
        status.textContent = "The export is taking longer than usual; its link will appear here and as a notification.";
      }
    }).catch(function (error) { status.textContent = error.message; });
  }

  document.getElementById("export-start").addEventListener("click", function () {
    status.textContent = "Preparing your export …";
    call("POST", root.dataset.exportUrl).then(function (data) { poll(data.jobId, 90); })
      .catch(function (error) { status.textContent = error.message; });
  });

  document.getElementById("delete-open").addEventListener("click", function () {
    form.hidden = false;
    const list = document.getElementById("delete-losses");
    call("GET", root.dataset.dataUrl).then(function (data) {
      list.replaceChildren();
      data.tables.forEach(function (t) {
        const item = document.createElement("li");
        item.textContent = t.rows + " " + t.name;
        list.appendChild(item);
      });
      if (data.files) {
        const item = document.createElement("li");
        item.textContent = data.files + " stored file(s)";
        list.appendChild(item);
      }
    }).catch(function (error) { list.textContent = error.message; });
    document.getElementById("delete-password").focus();
  });
  document.getElementById("delete-cancel").addEventListener("click", function () { form.hidden = true; });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const errorBox = document.getElementById("delete-error");
    errorBox.hidden = true;
    call("POST", root.dataset.deleteUrl, {
      password: document.getElementById("delete-password").value,
      confirm: document.getElementById("delete-confirm").value,
    }).then(function () { window.location.assign("/"); })
      .catch(function (error) {
        const fields = error.fields || {};
        errorBox.textContent = (fields.password || fields.confirm || [error.message])[0];
        errorBox.hidden = false;
      });
  });
})();
