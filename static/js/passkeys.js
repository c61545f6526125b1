// Passkeys (WebAuthn): a form marked data-passkey="create" (the two-factor settings) or "get" (the login's second
// step) asks the server for options, lets the browser make or use the passkey, puts the browser's answer in the
// form's hidden "credential" field and sends the form. The server checks everything; this only carries it.
(function () {
  "use strict";
  var UNSUPPORTED = "This browser cannot use passkeys. Enter a code instead.";

  function csrfToken(form) {
    var field = form.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  function showError(form, message) {
    var box = form.querySelector("[data-passkey-error]");
    if (box) { box.textContent = message; }
  }

  function options(form) {
    return fetch(form.dataset.optionsUrl, {
      method: "POST", credentials: "same-origin",
      headers: {"X-CSRFToken": csrfToken(form), "Accept": "application/json"}
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) { throw new Error(body.error || "The server refused the passkey request."); }
        return body;
      });
    });
  }

  function ceremony(form, json) {
    if (form.dataset.passkey === "create") {
      return navigator.credentials.create({publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(json)});
    }
    return navigator.credentials.get({publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(json)});
  }

  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    var credential = form.querySelector("input[name=credential]");
    form.addEventListener("submit", function (event) {
      if (credential.value) { return; }  // the answer is in: the form goes to the server
      event.preventDefault();
      showError(form, "");
      if (!window.PublicKeyCredential || !PublicKeyCredential.parseCreationOptionsFromJSON) {
        showError(form, UNSUPPORTED);
        return;
      }
      options(form).then(function (json) { return ceremony(form, json); }).then(function (made) {
        credential.value = JSON.stringify(made.toJSON());
        form.requestSubmit();
      }).catch(function (error) {
        showError(form, error.name === "NotAllowedError"
          ? "The passkey was not used (cancelled or timed out). Try again." : error.message);
      });
    });
  });
})();
