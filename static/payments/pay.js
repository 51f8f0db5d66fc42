/* The payment page with Stripe: mounts the Payment Element in the page's language (Arabic
 * is right to left) and confirms with stripe.confirmPayment, which returns to return_url;
 * the server then reads the PaymentIntent from Stripe (never the query parameters). */
(function () {
  "use strict";
  var form = document.getElementById("payment-form");
  if (!form || form.dataset.mode !== "stripe" || typeof Stripe === "undefined") return;

  var button = document.getElementById("pay-button");
  var message = document.getElementById("payment-message");
  var messagesNode = document.getElementById("decline-messages");
  var declineMessages = messagesNode ? JSON.parse(messagesNode.textContent) : {};
  var idleLabel = button.innerHTML;
  var busy = false;

  var stripe = Stripe(form.dataset.publishableKey, {locale: form.dataset.locale});
  var elements = stripe.elements({
    clientSecret: form.dataset.clientSecret,
    locale: form.dataset.locale
  });
  elements.create("payment").mount("#payment-element");
  form.hidden = false;

  function setBusy(on) {
    busy = on;
    button.disabled = on;
    form.setAttribute("aria-busy", on ? "true" : "false");
    if (on) button.textContent = button.dataset.busyLabel;
    else button.innerHTML = idleLabel;
  }

  function errorText(error) {
    // Our translations of Stripe's decline codes first; Stripe's own (localised) text for
    // card and validation errors; a generic sentence for anything else.
    var known = declineMessages[error.decline_code] || declineMessages[error.code];
    if (known) return known;
    if (error.type === "card_error" || error.type === "validation_error") return error.message;
    return form.dataset.genericError;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) return;  // no double submission
    message.hidden = true;
    setBusy(true);
    stripe.confirmPayment({
      elements: elements,
      confirmParams: {return_url: form.dataset.returnUrl}
    }).then(function (result) {
      // Only reached on an immediate error: otherwise the browser goes to return_url.
      if (result.error) {
        message.textContent = errorText(result.error);
        message.setAttribute("role", "alert");
    message.hidden = false;
      }
      setBusy(false);
    }, function () {
      message.textContent = form.dataset.genericError;
      message.setAttribute("role", "alert");
    message.hidden = false;
      setBusy(false);
    });
  });
})();
