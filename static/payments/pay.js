/* The payment page: mounts Stripe's Payment Element in the page's language (Arabic is right
 * to left) and confirms with stripe.confirmPayment, which goes on to return_url; the server
 * then reads the PaymentIntent from Stripe (never the query parameters). The one payment
 * script: the same file runs with Stripe.js and with the offline sandbox's stand-in for it.
 * The pay button shows progress and cannot submit twice; errors appear in the page's
 * language. */
(function () {
  "use strict";
  var form = document.getElementById("payment-form");
  if (!form || typeof Stripe === "undefined") return;

  var button = document.getElementById("pay-button");
  var message = document.getElementById("payment-message");
  var messagesNode = document.getElementById("decline-messages");
  var declineMessages = messagesNode ? JSON.parse(messagesNode.textContent) : {};
  var idleLabel = button.innerHTML;
  var busy = false;

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

  // Our translations of Stripe's decline codes first; then the error's own (localised)
  // text for card and validation errors; a generic sentence for anything else.
  function errorText(error) {
    var known = declineMessages[error.decline_code] || declineMessages[error.code];
    if (known) return known;
    if (error.type === "card_error" || error.type === "validation_error") return error.message;
    return form.dataset.genericError;
  }

  // Where stripe.confirmPayment would have sent the shopper (the server ignores the
  // parameters and asks Stripe).
  function goToReturnPage(intent) {
    var url = new URL(form.dataset.returnUrl, window.location.href);
    url.searchParams.set("payment_intent", intent.id);
    url.searchParams.set("payment_intent_client_secret", form.dataset.clientSecret);
    url.searchParams.set("redirect_status", intent.status === "succeeded" ? "succeeded" : "pending");
    window.location.assign(url.toString());
  }

  // A confirmation refused because the intent is already paid (another tab, a replay):
  // Stripe puts the intent in the error; the return page shows the payment.
  function paidMeanwhile(error) {
    var intent = error && error.code === "payment_intent_unexpected_state" && error.payment_intent;
    if (!intent || (intent.status !== "succeeded" && intent.status !== "processing")) return false;
    goToReturnPage(intent);
    return true;
  }

  function failed(text) {
    setBusy(false);
    showError(text);
  }

  var stripe = Stripe(form.dataset.publishableKey, {locale: form.dataset.locale});
  var elements = stripe.elements({
    clientSecret: form.dataset.clientSecret,
    locale: form.dataset.locale
  });
  var element = elements.create("payment", {layout: "tabs"});
  element.on("ready", function () { form.hidden = false; });
  element.mount("#payment-element");

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) return;  // no double submission
    clearError();
    setBusy(true);
    stripe.confirmPayment({
      elements: elements,
      confirmParams: {return_url: form.dataset.returnUrl}
    }).then(function (result) {
      // Only reached on an immediate error: otherwise the browser goes to return_url.
      if (result.error && paidMeanwhile(result.error)) return;
      failed(result.error ? errorText(result.error) : null);
    }, function () {
      failed(null);
    });
  });
})();
