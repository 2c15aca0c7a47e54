// Share page: "copy link" buttons (data-copy="<selector of the field>"). The Clipboard API
// needs a secure context and is missing in some in-app browsers: then the text is selected
// (and execCommand tried) so the user can copy it with the phone's own menu.
(function () {
  "use strict";

  function say(button, text) {
    var status = button.parentElement.querySelector(".copy-status");
    if (status) status.textContent = text;
  }

  function fallback(button, field) {
    field.focus();
    field.select();
    if (field.setSelectionRange) field.setSelectionRange(0, field.value.length);
    var done = false;
    try { done = document.execCommand("copy"); } catch (e) { done = false; }
    say(button, done ? button.dataset.copied : button.dataset.copyFailed);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.querySelector(button.dataset.copy);
    if (!field) return;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () {
        say(button, button.dataset.copied);
      }, function () { fallback(button, field); });
    } else {
      fallback(button, field);
    }
  });
})();
