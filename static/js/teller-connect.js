// Opens Teller Connect and posts what it returns through the page's own form (CSRF token included).
(function () {
  "use strict";
  var button = document.getElementById("teller-connect");
  if (!button || typeof TellerConnect === "undefined") { return; }
  var form = document.getElementById("token-form");
  var options = {
    applicationId: button.dataset.applicationId,
    environment: button.dataset.environment,
    products: ["transactions", "balance"],
    onSuccess: function (enrollment) {
      form.querySelector("[name=access_token]").value = enrollment.accessToken;
      form.querySelector("[name=enrollment_id]").value = enrollment.enrollment.id;
      form.requestSubmit();  // not form.submit(): the form's button named "submit" hides that method
    }
  };
  if (button.dataset.enrollmentId) { options.enrollmentId = button.dataset.enrollmentId; }
  var connect = TellerConnect.setup(options);
  button.disabled = false;
  button.addEventListener("click", function () { connect.open(); });
}());
