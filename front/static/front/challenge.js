/* The signing form's proof-of-work (abuse/proof.py). Before sending, ask the server whether the challenge is
   on; if so, find a nonce such that SHA-256("<challenge>:<nonce>") starts with `difficulty` zero bits, and
   send it with the form. Without JavaScript the form is sent as is; when the challenge is on, the server
   answers with a message asking to turn JavaScript on. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-challenge-url]");
  if (!form || !window.fetch || !window.crypto || !window.crypto.subtle || !window.TextEncoder) {
    return;
  }
  var status = form.querySelector(".challenge-status");
  var encoder = new TextEncoder();
  var BATCH = 256;

  function zeroBits(bytes) {
    var bits = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) { bits += 8; continue; }
      for (var mask = 0x80; mask && !(bytes[i] & mask); mask >>= 1) { bits++; }
      return bits;
    }
    return bits;
  }

  async function solve(challenge, difficulty) {
    for (var start = 0; ; start += BATCH) {
      var tries = [];
      for (var nonce = start; nonce < start + BATCH; nonce++) {
        tries.push(crypto.subtle.digest("SHA-256", encoder.encode(challenge + ":" + nonce)));
      }
      var digests = await Promise.all(tries);
      for (var i = 0; i < digests.length; i++) {
        if (zeroBits(new Uint8Array(digests[i])) >= difficulty) { return String(start + i); }
      }
    }
  }

  var sending = false;
  form.addEventListener("submit", async function (event) {
    if (form.dataset.solved === "1") { return; }
    event.preventDefault();
    if (sending) { return; }
    sending = true;
    try {
      var response = await fetch(form.dataset.challengeUrl, {credentials: "same-origin", headers: {Accept: "application/json"}});
      var answer = await response.json();
      if (answer.required) {
        if (status) { status.textContent = status.dataset.working; }
        form.elements.challenge.value = answer.challenge;
        form.elements.nonce.value = await solve(answer.challenge, answer.difficulty);
      }
    } catch (error) {
      /* Send anyway: if the challenge was needed, the server says so in words. */
    }
    form.dataset.solved = "1";
    form.submit();
  });
})();
