// Restock form: − / + steppers and the running total. The server checks the quantities
// again when the order is placed; this only saves the agent doing the sum.
(function () {
  "use strict";

  var form = document.getElementById("restock-form");
  if (!form) return;
  var total = document.getElementById("restock-total");
  var units = document.getElementById("restock-units");

  function format(cents, places) {
    // Integer cents, so no float noise; thousands grouped like the server's {% money %}.
    var neg = cents < 0;
    cents = Math.abs(cents);
    var scale = Math.pow(10, places);
    var whole = Math.floor(cents / scale).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var frac = places ? "." + String(cents % scale).padStart(places, "0") : "";
    return (neg ? "-" : "") + total.dataset.symbol + whole + frac;
  }

  function toCents(price, places) {
    var parts = String(price).split(".");
    var frac = (parts[1] || "").padEnd(places, "0").slice(0, places);
    return parseInt(parts[0], 10) * Math.pow(10, places) + (places ? parseInt(frac, 10) : 0);
  }

  function quantity(input) {
    var value = input.value.trim();
    return /^\d+$/.test(value) ? parseInt(value, 10) : 0;
  }

  function update() {
    if (!total) return;
    var places = parseInt(total.dataset.places, 10) || 0;
    var sum = 0, count = 0;
    form.querySelectorAll("input.qty[data-price]").forEach(function (input) {
      var q = quantity(input);
      sum += q * toCents(input.dataset.price, places);
      count += q;
    });
    total.textContent = format(sum, places);
    if (units) units.textContent = count ? count + " " + units.dataset.units : "";
  }

  form.addEventListener("click", function (event) {
    var button = event.target.closest("button.step");
    if (!button) return;
    var input = document.getElementById(button.getAttribute("aria-controls"));
    if (!input) return;
    var max = parseInt(input.max, 10);
    var next = Math.max(0, quantity(input) + parseInt(button.dataset.step, 10));
    if (!isNaN(max)) next = Math.min(next, max);
    input.value = next ? String(next) : "";
    // htmx listens for "change" to check the upline's stock.
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
