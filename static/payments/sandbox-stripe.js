/* The offline sandbox's stand-in for Stripe.js: mounts a test-card form where Stripe's
 * Payment Element would be, confirms the PaymentIntent with the sandbox (authorised by the
 * intent's client secret, as Stripe.js is), plays the bank's 3-D Secure challenge, and then
 * goes to return_url like stripe.confirmPayment. No card data ever leaves the sandbox.
 * Without JavaScript the page's server-side sandbox form is used instead. */
(function () {
  "use strict";
  var form = document.getElementById("payment-form");
  if (!form || form.dataset.mode !== "sandbox") return;

  var element = document.getElementById("payment-element");
  var button = document.getElementById("pay-button");
  var message = document.getElementById("payment-message");
  var fallback = document.querySelector(".sandbox-card-form");
  var idleLabel = button.innerHTML;
  var busy = false;

  element.appendChild(document.getElementById("sandbox-card-element").content.cloneNode(true));
  var numberInput = document.getElementById("sandbox-card-number");
  element.querySelectorAll("input[name=sandbox_card]").forEach(function (radio) {
    radio.addEventListener("change", function () { numberInput.value = radio.value; });
  });
  if (fallback) fallback.hidden = true;
  form.hidden = false;

  function setBusy(on) {
    busy = on;
    button.disabled = on;
    form.setAttribute("aria-busy", on ? "true" : "false");
    if (on) button.textContent = button.dataset.busyLabel;
    else button.innerHTML = idleLabel;
  }

  function showError(text) {
    message.textContent = text || form.dataset.genericError;
    message.setAttribute("role", "alert");
    message.hidden = false;
  }

  function clearError() {
    message.textContent = "";
    message.hidden = true;
  }

  function toReturnUrl(intent) {
    var url = new URL(form.dataset.returnUrl, window.location.href);
    url.searchParams.set("payment_intent", intent.id);
    url.searchParams.set("payment_intent_client_secret", form.dataset.clientSecret);
    url.searchParams.set("redirect_status", intent.status === "succeeded" ? "succeeded" : "pending");
    window.location.assign(url.toString());
  }

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

  function handle(result) {
    if (result.error) {
      setBusy(false);
      showError(result.error.message);
      return;
    }
    var intent = result.payment_intent;
    if (intent.status === "requires_action") {
      challenge();
      return;
    }
    toReturnUrl(intent);  // keeps the button busy until the page changes
  }

  function failed() {
    setBusy(false);
    showError(form.dataset.genericError);
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

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) return;  // no double submission
    clearError();
    setBusy(true);
    confirm({card_number: numberInput.value}).then(handle, failed);
  });

  // Came back while the bank's check is pending (e.g. after a reload).
  if (form.dataset.status === "requires_action") {
    setBusy(true);
    challenge();
  }
})();
