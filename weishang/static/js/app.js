// Behaviour every page shares, from a static file: the Content-Security-Policy allows no
// inline script (no on* attributes, no hx-on), so templates mark elements with data-*
// attributes and this file acts on them.
(function () {
  "use strict";

  // --- htmx answers that failed: show their message (a refused scan-out is a 400) ---------
  // htmx swaps nothing for a 4xx/5xx; without this the page would silently stay as it was.
  function region() {
    var el = document.getElementById("toasts");
    if (!el) {  // pages that do not extend base.html (the admin's agent tree)
      el = document.createElement("div");
      el.id = "toasts";
      el.className = "toasts";
      el.setAttribute("role", "alert");
      el.setAttribute("aria-live", "assertive");
      document.body.appendChild(el);
    }
    return el;
  }

  function clean(text) {
    return (text || "").replace(/\s+/g, " ").trim();
  }

  function messageOf(xhr) {
    var type = (xhr.getResponseHeader("Content-Type") || "").toLowerCase();
    var body = xhr.responseText || "";
    if (type.indexOf("json") >= 0) {
      try {
        var data = JSON.parse(body);
        if (data && typeof data.message === "string" && data.message) return data.message;
      } catch (e) { /* not JSON after all */ }
      return "";
    }
    if (type.indexOf("html") >= 0) {
      // DOMParser runs no script: the fragment is only read for its text.
      var doc = new DOMParser().parseFromString(body, "text/html");
      var marked = doc.querySelector("[role=alert], .form-errors, .errorlist, .msg-error");
      if (marked && clean(marked.textContent)) return clean(marked.textContent);
      var text = clean((doc.querySelector("main") || doc.body || doc.documentElement).textContent);
      return text.length <= 300 ? text : "";
    }
    var plain = clean(body);
    return plain.length <= 300 ? plain : "";
  }

  function show(message) {
    var box = region();
    var toast = document.createElement("p");
    toast.className = "toast";
    toast.textContent = message;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", box.dataset.close || "×");
    close.textContent = "×";
    close.addEventListener("click", function () { toast.remove(); });
    toast.appendChild(close);
    box.appendChild(toast);
    while (box.children.length > 3) box.removeChild(box.firstChild);
    setTimeout(function () { toast.remove(); }, 12000);
  }

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var fallback = (region().dataset.failed || "Something went wrong (%(status)s). Please try again.")
      .replace("%(status)s", String(xhr.status));
    show(messageOf(xhr) || fallback);
  });
  document.addEventListener("htmx:sendError", function () {
    show(region().dataset.offline || "No connection. Check the network and try again.");
  });

  // --- what inline handlers used to do -----------------------------------------------------
  // data-confirm on a form or its submit button: ask before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var asker = (event.submitter && event.submitter.dataset.confirm !== undefined) ? event.submitter : form;
    var question = asker.dataset ? asker.dataset.confirm : undefined;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("click", function (event) {
    var field = event.target.closest && event.target.closest("[data-select-all]");
    if (field && field.select) field.select();
  });

  document.addEventListener("change", function (event) {
    var field = event.target.closest && event.target.closest("[data-autosubmit]");
    if (field && field.form) {
      if (field.form.requestSubmit) field.form.requestSubmit(); else field.form.submit();
    }
  });

  // htmx: data-reset-on-success empties a form after it was accepted (the scan field is ready
  // for the next code); data-remove-after-request removes the element that asked (a "+" button
  // once its children are loaded).
  document.addEventListener("htmx:afterRequest", function (event) {
    var el = event.detail.elt;
    if (!el || !el.hasAttribute) return;
    if (el.hasAttribute("data-reset-on-success") && event.detail.successful && el.reset) el.reset();
    if (el.hasAttribute("data-remove-after-request") && event.detail.successful) el.remove();
  });
})();

// Shop pages (issue 13): the quantity stepper (data-stepper: − / + around a number input),
// the SKU picker showing the picked SKU's price, and the tab bar's cart badge after an
// htmx "add to cart" (the server sends HX-Trigger: cart-changed).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-stepper] [data-step]");
    if (!button) return;
    var input = button.closest("[data-stepper]").querySelector("input[type=number]");
    var min = parseInt(input.min || "1", 10), max = parseInt(input.max || "999", 10);
    var value = (parseInt(input.value, 10) || min) + parseInt(button.dataset.step, 10);
    input.value = String(Math.max(min, Math.min(max, value)));
  });
  document.addEventListener("change", function (event) {
    var radio = event.target;
    if (!radio.matches || !radio.matches(".sku-picker input[type=radio]")) return;
    var price = radio.form && radio.form.querySelector("[data-sku-price]");
    if (price && radio.dataset.price) price.textContent = radio.dataset.price;
  });
  document.body && document.body.addEventListener("cart-changed", function (event) {
    var badge = document.querySelector(".tabbar [data-tab=cart] .tab-badge");
    if (!badge) return;
    var count = event.detail && event.detail.count;
    badge.textContent = String(count || 0);
    badge.hidden = !count;
  });
})();
