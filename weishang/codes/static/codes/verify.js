// Verification page: with the consumer's consent, the device location (rounded to about a
// kilometre) is sent once for this scan; the server keeps only the division code of the city.
(function () {
  "use strict";
  var button = document.getElementById("geo-button");
  if (!button || !navigator.geolocation || !window.fetch) return;

  function done(place) {
    var label = document.getElementById("place-label"), value = document.getElementById("place");
    if (place && value) {
      value.firstChild.textContent = place + " ";
      value.hidden = false;
      if (label) label.hidden = false;
    }
    var where = document.getElementById("where");
    if (where) where.hidden = true;
  }

  function failed() {
    button.disabled = true;
    button.textContent = button.dataset.denied;
  }

  function locate() {
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(function (pos) {
      var round = function (x) { return Math.round(x * 100) / 100; };
      fetch(button.dataset.url, {
        method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ token: button.dataset.token, lat: round(pos.coords.latitude), lng: round(pos.coords.longitude) })
      }).then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (body) { done(body.place); }, failed);
    }, failed, { enableHighAccuracy: false, timeout: 10000, maximumAge: 600000 });
  }

  button.addEventListener("click", locate);
  if (navigator.permissions && navigator.permissions.query) {
    navigator.permissions.query({ name: "geolocation" }).then(function (p) {
      if (p.state === "granted") locate();          // allowed before: no prompt, just send
      else if (p.state === "prompt") button.hidden = false;
    }, function () { button.hidden = false; });
  } else {
    button.hidden = false;
  }
})();
