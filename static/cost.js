// The cost of an order form's licenses as they are typed (SPEC 15): the
// same formula as the server's (domain::money), in whole hundredths with
// BigInt, rounded half up. Without this script the form's "Show the cost"
// button and the page's GET give the same figures.
(function () {
  "use strict";
  var box = document.getElementById("order-price");
  if (!box || !box.closest) return;
  var form = box.closest("form");
  if (!form) return;
  var d = box.dataset;
  var DAY = 86400000;
  // A day as a number of days, only when the text is that day exactly
  // (2027-02-30 is no day, as on the server).
  function day(text) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
    var t = Date.parse(text + "T00:00:00Z");
    if (isNaN(t) || new Date(t).toISOString().slice(0, 10) !== text) return null;
    return Math.round(t / DAY);
  }
  // The first day of the month after `n`'s (a reduction's default start).
  function firstOfNextMonth(n) {
    var date = new Date(n * DAY);
    return Math.round(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) / DAY);
  }
  function group(digits, sep) {
    return digits.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
  }
  function number(n) {
    return group(String(n), d.lang === "sv" ? "\u00a0" : ",");
  }
  function money(minor) {
    var whole = (minor / 100n).toString();
    var cents = (minor % 100n).toString().padStart(2, "0");
    if (d.lang === "sv") return group(whole, "\u00a0") + "," + cents + "\u00a0" + d.currency;
    return d.currency + "\u00a0" + group(whole, ",") + "." + cents;
  }
  function cost(price, n, days) {
    var exact = price * n * BigInt(days) * 12n;
    return (exact * 2n + 365n) / 730n;
  }
  function field(name) {
    var input = form.querySelector("[name=" + name + "]");
    return input ? input.value : "";
  }
  function line(label, id, minor) {
    var p = document.createElement("p");
    p.appendChild(document.createTextNode(label + ": "));
    var strong = document.createElement("strong");
    strong.id = id;
    strong.dataset.value = minor.toString();
    strong.textContent = money(minor);
    p.appendChild(strong);
    return p;
  }
  function update() {
    // As the server reads a quantity: digits, spaces or tabs around.
    var q = field("quantity").replace(/^[ \t]+|[ \t]+$/g, "");
    var quantity = /^\d+$/.test(q) ? BigInt(q) : 0n;
    while (box.firstChild) box.removeChild(box.firstChild);
    if (quantity < 1n || quantity > BigInt(d.max)) return;
    var price = BigInt(d.price);
    box.appendChild(line(d.labelMonthly, "order-monthly", price * quantity));
    var today = day(d.today);
    var renews = day(d.renews);
    var starts = field("starts_on").trim();
    var first = starts === "" ? (d.kind === "reduce" ? firstOfNextMonth(today) : today) : day(starts);
    if (first === null || first < today || (d.kind === "reduce" && first <= today)) return;
    var ends = d.kind === "reduce" ? "" : field("ends_on").trim();
    var days = null;
    var label = "";
    if (ends !== "") {
      var last = day(ends);
      if (last === null || last < first || last - first + 1 > 366) return;
      days = last - first + 1;
      label = d.labelPeriod;
    } else if (renews !== null && renews > first) {
      days = renews - first;
      label = d.labelRenewal;
    }
    if (days === null) return;
    box.appendChild(line(label.replace("{days}", number(days)), "order-cost", cost(price, quantity, days)));
  }
  form.addEventListener("input", update);
  form.addEventListener("change", update);
})();
