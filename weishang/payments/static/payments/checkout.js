// The payment countdown ([data-due]: ISO time the order auto-cancels) and, inside WeChat,
// the JSAPI payment ([data-jsapi]: the signed parameters).
(function () {
  function tick() {
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var left = Math.max(0, Math.floor((Date.parse(el.dataset.due) - Date.now()) / 1000));
      var m = Math.floor(left / 60), s = left % 60;
      el.textContent = m + ":" + (s < 10 ? "0" : "") + s;
      if (left === 0) el.closest("[data-countdown]").classList.add("expired");
    });
  }
  tick();
  setInterval(tick, 1000);
  var jsapi = document.querySelector("[data-jsapi]");
  if (jsapi) {
    jsapi.addEventListener("click", function () {
      var params = JSON.parse(jsapi.dataset.jsapi);
      if (window.WeixinJSBridge) window.WeixinJSBridge.invoke("getBrandWCPayRequest", params, function () {});
    });
  }
})();
