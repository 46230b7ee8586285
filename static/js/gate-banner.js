/* The cooldown banner on every signed-in page: the running cooldown and its end time, kept live by
   coach:cooldown.started / coach:cooldown.ended and hidden on time even without a socket. */
(function () {
  "use strict";

  var banner = document.getElementById("cooldown-banner");
  if (!banner || !document.body || document.body.dataset.authenticated !== "1") { return; }
  var shown = null;
  var timer = null;

  function hide() {
    shown = null;
    banner.hidden = true;
    banner.textContent = "";
    delete banner.dataset.cooldownId;
    if (timer) { window.clearTimeout(timer); timer = null; }
  }

  function show(cooldown) {
    var ends = new Date(cooldown.endsAt);
    if (!(ends > new Date())) { return; }
    if (shown && new Date(shown.endsAt) > ends) { return; }
    shown = cooldown;
    banner.textContent = "";
    var strong = document.createElement("strong");
    strong.textContent = "Cooldown until " + ends.toLocaleString() + ". ";
    banner.appendChild(strong);
    banner.appendChild(document.createTextNode(cooldown.message || ""));
    banner.dataset.cooldownId = cooldown.cooldownId || cooldown.id;
    banner.dataset.endsAt = cooldown.endsAt;
    banner.hidden = false;
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(hide, Math.min(ends - new Date(), 2147483000));
  }

  fetch("/api/cooldowns/active", { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (r) { return r.ok ? r.json() : { cooldown: null }; })
    .then(function (body) { if (body.cooldown) { show(body.cooldown); } })
    .catch(function () { /* the socket events still keep it current */ });

  document.addEventListener("coach:cooldown.started", function (event) { show(event.detail.payload); });
  document.addEventListener("coach:cooldown.ended", function (event) {
    if (shown && (shown.cooldownId || shown.id) === event.detail.payload.cooldownId) { hide(); }
  });
})();
