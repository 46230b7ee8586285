// Account page, weekly digest card: time zone suggestions from the browser (the server validates the name).
(function () {
  "use strict";
  const input = document.getElementById("id_timezone");
  if (!input) return;
  const list = document.getElementById("timezone-names");
  let names = [];
  try {
    names = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  } catch (error) {
    names = [];
  }
  if (list) {
    names.forEach(function (name) {
      const option = document.createElement("option");
      option.value = name;
      list.appendChild(option);
    });
  }
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const button = document.getElementById("timezone-from-browser");
  if (button && browserZone && browserZone !== input.value) {
    button.hidden = false;
    button.textContent = "Use this browser's time zone (" + browserZone + ")";
    button.addEventListener("click", function () { input.value = browserZone; });
  }
})();
