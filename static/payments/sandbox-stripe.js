/* The offline sandbox's stand-in for Stripe.js: mounts a test-card form where Stripe's
 * Payment Element would be, confirms the PaymentIntent with the sandbox (authorised by the
 * intent's client secret, as Stripe.js is), plays the bank's 3-D Secure challenge, and then
 * goes to return_url like stripe.confirmPayment. No card data ever leaves the sandbox.
 * Without JavaScript the page's server-side sandbox form is used instead.
 * Button and error handling: pay-form.js. */
(function () {
  "use strict";
  var pay = window.PayForm;
  if (!pay || pay.form.dataset.mode !== "sandbox") return;
  var form = pay.form;

  var element = document.getElementById("payment-element");
  var fallback = document.querySelector(".sandbox-card-form");

  element.appendChild(document.getElementById("sandbox-card-element").content.cloneNode(true));
  var numberInput = document.getElementById("sandbox-card-number");
  element.querySelectorAll("input[name=sandbox_card]").forEach(function (radio) {
    radio.addEventListener("change", function () { numberInput.value = radio.value; });
  });
  if (fallback) fallback.hidden = true;
  form.hidden = false;

  function confirm(fields) {
    var body = new URLSearchParams(fields);
    body.set("client_secret", form.dataset.clientSecret);
    body.set("csrfmiddlewaretoken", form.querySelector("input[name=csrfmiddlewaretoken]").value);
    return fetch(form.dataset.confirmUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: {"Accept": "application/json"}
    }).then(function (response) {
      return response.json().catch(function () { return {error: {}}; });
    });
  }

  // The sandbox answers like Stripe.js: {payment_intent} or {error} (already translated).
  function handle(result) {
    if (result.error) {
      if (!pay.paidMeanwhile(result.error)) pay.failed(result.error.message);
      return;
    }
    var intent = result.payment_intent;
    if (intent.status === "requires_action") {
      challenge();
      return;
    }
    pay.goToReturnPage(intent);  // keeps the button busy until the page changes
  }

  function failed() {
    pay.failed(null);
  }

  function challenge() {
    var box = document.getElementById("sandbox-challenge").content.firstElementChild.cloneNode(true);
    form.parentNode.insertBefore(box, form.nextSibling);
    box.querySelectorAll("button[data-outcome]").forEach(function (choice) {
      choice.addEventListener("click", function () {
        box.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
        confirm({three_ds: choice.dataset.outcome}).then(function (result) {
          box.remove();
          handle(result);
        }, function () { box.remove(); failed(); });
      });
    });
    box.querySelector("button").focus();
  }

  pay.onSubmit(function () {
    confirm({card_number: numberInput.value}).then(handle, failed);
  });

  // Came back while the bank's check is pending (e.g. after a reload).
  if (form.dataset.status === "requires_action") {
    pay.setBusy(true);
    challenge();
  }
})();
