// One formatting layer for the pages' scripts, on Intl.NumberFormat / Intl.DateTimeFormat; the same rules as
// apps/core/formatting.py on the server. The API keeps exact decimal strings: only display is formatted here.
// window.TwinFormat: money, pnl, pnlElement, price, qty, percent, dateTime, date, relative, duration, hours.
(function () {
  "use strict";
  const LOCALE = "en-US";
  const MINUS = "\u2212";
  const CRYPTO_DECIMALS = { BTC: 8, XBT: 8, ETH: 6, BNB: 4, SOL: 4 };
  const cache = {};

  function numberFormat(min, max) {
    const key = min + ":" + max;
    if (!cache[key]) {
      cache[key] = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: min, maximumFractionDigits: max,
                                                   roundingMode: "halfEven" });
    }
    return cache[key];
  }

  function toNumberString(value) {
    if (value === null || value === undefined || value === "") return null;
    const text = String(value).trim();
    return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? text : null;
  }

  function isNegative(text) { return text.charAt(0) === "-"; }
  function absolute(text) { return text.replace(/^[-+]/, ""); }
  function isZero(body) { return !/[1-9]/.test(body); }

  function signed(text, body, always) {
    if (isNegative(text) && !isZero(body)) return MINUS + body;
    if (always && !isNegative(text) && !isZero(body)) return "+" + body;
    return body;
  }

  function currencyDecimals(currency) {
    return CRYPTO_DECIMALS[String(currency || "").toUpperCase()] || 2;
  }

  function money(value, currency, options) {
    const text = toNumberString(value);
    if (text === null) return "—";
    const places = currencyDecimals(currency);
    const body = numberFormat(places, places).format(absolute(text));
    const out = signed(text, body, Boolean(options && options.signed));
    return currency ? out + " " + String(currency).toUpperCase() : out;
  }

  // An amount in the currency's precision without the code (tables whose header names the currency).
  function amount(value, currency) {
    const text = toNumberString(value);
    if (text === null) return "—";
    const places = currencyDecimals(currency);
    return signed(text, numberFormat(places, places).format(absolute(text)), false);
  }

  function tone(value) {
    const text = toNumberString(value);
    if (text === null || Number(text) === 0) return "flat";
    return isNegative(text) ? "loss" : "gain";
  }

  function pnl(value, currency) { return money(value, currency, { signed: true }); }

  function pnlElement(value, currency) {
    const span = document.createElement("span");
    span.className = "pnl pnl-" + tone(value);
    span.textContent = pnl(value, currency);
    return span;
  }

  function price(value) {
    const text = toNumberString(value);
    if (text === null) return "—";
    const magnitude = Math.abs(Number(text));
    let places = 2;
    if (magnitude > 0 && magnitude < 1000) {
      const exponent = Math.floor(Math.log10(magnitude));
      places = Math.max(2, Math.min(10, 6 - 1 - exponent));
    }
    return signed(text, numberFormat(2, places).format(absolute(text)), false);
  }

  function qty(value) {
    const text = toNumberString(value);
    if (text === null) return "—";
    return signed(text, numberFormat(0, 8).format(absolute(text)), false);
  }

  function percent(value, options) {
    const text = toNumberString(value);
    if (text === null) return "—";
    const ratio = !(options && options.ratio === false);
    const number = ratio ? Number(text) * 100 : Number(text);
    const body = numberFormat(1, 1).format(Math.abs(number));
    return signed(number < 0 ? "-" : "+", body, Boolean(options && options.signed)) + " %";
  }

  function timeZone() {
    const zone = document.body && document.body.dataset.tz;
    if (!zone) return undefined;
    try { new Intl.DateTimeFormat(LOCALE, { timeZone: zone }); return zone; } catch (error) { return undefined; }
  }

  function toDate(value) {
    if (value === null || value === undefined || value === "") return null;
    const moment = value instanceof Date ? value : new Date(typeof value === "number" && value < 1e12 ? value * 1000 : value);
    return isNaN(moment.getTime()) ? null : moment;
  }

  function parts(moment, options) {
    const out = {};
    new Intl.DateTimeFormat(LOCALE, Object.assign({ timeZone: timeZone() }, options))
      .formatToParts(moment).forEach(function (part) { out[part.type] = part.value; });
    return out;
  }

  // 26 Nov 2026, 01:50 CET
  function dateTime(value) {
    const moment = toDate(value);
    if (!moment) return "—";
    const p = parts(moment, { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
                              hourCycle: "h23", timeZoneName: "short" });
    return p.day + " " + p.month + " " + p.year + ", " + p.hour + ":" + p.minute + " " + p.timeZoneName;
  }

  function date(value) {
    const moment = toDate(value);
    if (!moment) return "—";
    const p = parts(moment, { day: "numeric", month: "short", year: "numeric" });
    return p.day + " " + p.month + " " + p.year;
  }

  // 5 d 21 h · 3 h 20 min · 45 min · 30 s
  function duration(seconds) {
    let rest = Math.max(0, Math.round(Number(seconds) || 0));
    const days = Math.floor(rest / 86400); rest -= days * 86400;
    const hrs = Math.floor(rest / 3600); rest -= hrs * 3600;
    const minutes = Math.floor(rest / 60);
    if (days) return hrs ? days + " d " + hrs + " h" : days + " d";
    if (hrs) return minutes ? hrs + " h " + minutes + " min" : hrs + " h";
    if (minutes) return minutes + " min";
    return rest + " s";
  }

  function hours(value) {
    const text = toNumberString(value);
    return text === null ? "—" : duration(Number(text) * 3600);
  }

  function relative(value, now) {
    const moment = toDate(value);
    if (!moment) return "—";
    const delta = ((now || new Date()).getTime() - moment.getTime()) / 1000;
    if (Math.abs(delta) < 60) return "just now";
    const span = duration(Math.abs(delta)).split(" ").slice(0, 2).join(" ");
    return delta > 0 ? span + " ago" : "in " + span;
  }

  // A <time> element: readable local time, exact instant in its datetime attribute, relative time on hover.
  function timeElement(value) {
    const element = document.createElement("time");
    const moment = toDate(value);
    element.textContent = dateTime(value);
    if (moment) {
      element.dateTime = moment.toISOString();
      element.title = relative(moment);
    }
    return element;
  }

  // Elements rendered with data-format="price|qty|money|pnl|datetime|date|relative" and data-value (plus
  // data-currency) are formatted on load: for pages that render raw values into markup.
  function formatMarked(root) {
    (root || document).querySelectorAll("[data-format][data-value]").forEach(function (element) {
      const value = element.dataset.value;
      const currency = element.dataset.currency;
      switch (element.dataset.format) {
        case "price": element.textContent = price(value); break;
        case "qty": element.textContent = qty(value); break;
        case "money": element.textContent = money(value, currency); break;
        case "pnl": element.textContent = pnl(value, currency); element.classList.add("pnl", "pnl-" + tone(value)); break;
        case "datetime": element.textContent = dateTime(value); break;
        case "date": element.textContent = date(value); break;
        case "relative": element.textContent = relative(value); break;
        default: break;
      }
    });
  }

  window.TwinFormat = { money: money, amount: amount, pnl: pnl, pnlElement: pnlElement, tone: tone, price: price, qty: qty,
                        percent: percent, dateTime: dateTime, date: date, relative: relative, duration: duration,
                        hours: hours, timeElement: timeElement, timeZone: timeZone, formatMarked: formatMarked };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { formatMarked(document); });
  } else {
    formatMarked(document);
  }
})();
