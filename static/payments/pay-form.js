/* What the payment page's two card forms share: Stripe's Payment Element (pay.js) and the
 * offline sandbox's stand-in for it (sandbox-stripe.js). The pay button shows progress and
 * cannot submit twice; errors appear in the page's language; a confirmed payment goes on to
 * the return page, which reads the PaymentIntent on the server. Loaded before either. */
(function () {
  "use strict";
  var form = document.getElementById("payment-form");
  if (!form) return;

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

  // Where stripe.confirmPayment sends the shopper, with the parameters Stripe adds (the
  // server ignores them and asks Stripe).
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

  window.PayForm = {
    form: form,
    setBusy: setBusy,
    showError: showError,
    errorText: errorText,
    goToReturnPage: goToReturnPage,
    paidMeanwhile: paidMeanwhile,
    // `confirm` runs once per submission, with the button busy and no error shown; it calls
    // PayForm.failed(text) to give the button back, or leaves the page.
    onSubmit: function (confirm) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (busy) return;  // no double submission
        clearError();
        setBusy(true);
        confirm();
      });
    },
    failed: function (text) {
      setBusy(false);
      showError(text);
    }
  };
})();
