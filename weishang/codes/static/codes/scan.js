// Scan-out page: use the phone camera where the browser has BarcodeDetector; otherwise the
// text field stays (hardware scanners type into it and press Enter). No external libraries.
(function () {
  "use strict";
  var form = document.getElementById("scan-form");
  if (!form) return;
  var input = form.querySelector("input[name=code]");
  var start = document.getElementById("camera-start");
  var box = document.getElementById("camera");
  var video = document.getElementById("camera-video");
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  start.hidden = false;
  var last = "", lastAt = 0, detector = null, stream = null;

  function submit(value) {
    var now = Date.now();
    if (value === last && now - lastAt < 4000) return;  // the same label stays in view
    last = value; lastAt = now;
    input.value = value;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
    if (navigator.vibrate) navigator.vibrate(60);
  }

  function tick() {
    if (!stream) return;
    detector.detect(video).then(function (codes) {
      if (codes.length) submit(codes[0].rawValue);
    }).catch(function () {}).finally(function () { setTimeout(tick, 250); });
  }

  start.addEventListener("click", function () {
    BarcodeDetector.getSupportedFormats().then(function (formats) {
      detector = new BarcodeDetector({ formats: formats.indexOf("qr_code") >= 0 ? ["qr_code"] : formats });
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    }).then(function (s) {
      stream = s; video.srcObject = s; box.hidden = false; start.hidden = true;
      return video.play();
    }).then(tick).catch(function () { start.hidden = true; input.focus(); });
  });
})();
