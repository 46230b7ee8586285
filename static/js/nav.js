// The collapsing navigation of narrow screens: the Menu button opens and closes the links.
(function () {
  "use strict";
  const toggle = document.getElementById("nav-toggle");
  const nav = document.getElementById("site-nav");
  if (!toggle || !nav) return;
  toggle.addEventListener("click", function () {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("open", open);
  });
  const here = window.location.pathname;
  nav.querySelectorAll("a[href]").forEach(function (link) {
    const target = link.getAttribute("href");
    if (target !== "/" && here.indexOf(target) === 0) link.setAttribute("aria-current", "page");
  });
})();
