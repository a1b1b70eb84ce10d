// Live preview of a letter's Markdown while it is edited in the admin: posts the body to the panel's preview
// endpoint (which renders it through petitions.markdown, sanitised) and shows the result under the form.
// Without JavaScript the form's "Preview the text in a new tab" button does the same.
(function () {
  "use strict";

  function start() {
    var preview = document.getElementById("markdown-preview");
    var body = document.getElementById("id_body");
    if (!preview || !body || !body.form) {
      return;
    }
    var url = preview.getAttribute("data-preview-url");
    var csrf = body.form.querySelector("input[name=csrfmiddlewaretoken]");
    var timer = null;
    var latest = 0;

    function render() {
      var asked = ++latest;
      var data = new FormData();
      data.append("body", body.value);
      data.append("fragment", "1");
      fetch(url, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrf ? csrf.value : "" },
      })
        .then(function (response) {
          return response.ok ? response.text() : Promise.reject(response.status);
        })
        .then(function (html) {
          if (asked === latest) {
            // Sanitised by the server (nh3): the same HTML the public page shows.
            preview.innerHTML = html;
          }
        })
        .catch(function () {
          /* Keep the last good preview; the button still works. */
        });
    }

    body.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(render, 300);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
