/* The public site's only script; every page works without it.
   1. After a failed submit, move focus to the form's error summary (without JavaScript the form's
      action ends in #errors, so the browser still scrolls to it).
   2. "Copy link" buttons copy their link; without JavaScript the link is shown in a read-only field. */
(function () {
  "use strict";

  function focusErrorSummary() {
    var summary = document.getElementById("errors");
    if (summary) {
      summary.focus();
    }
  }

  function enableCopyButtons() {
    var buttons = document.querySelectorAll("button[data-copy]");
    Array.prototype.forEach.call(buttons, function (button) {
      var status = document.getElementById(button.getAttribute("data-status"));
      button.hidden = false;
      button.addEventListener("click", function () {
        var text = button.getAttribute("data-copy");
        var done = function () {
          if (status) {
            status.textContent = button.getAttribute("data-copied");
          }
        };
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(text).then(done, function () {
            selectField(button);
          });
        } else {
          selectField(button);
        }
      });
    });
  }

  function selectField(button) {
    var field = document.getElementById(button.getAttribute("data-field"));
    if (field) {
      field.focus();
      field.select();
    }
  }

  function start() {
    focusErrorSummary();
    enableCopyButtons();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
