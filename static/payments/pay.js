/* The payment page with Stripe: mounts the Payment Element in the page's language (Arabic
 * is right to left) and confirms with stripe.confirmPayment, which returns to return_url;
 * the server then reads the PaymentIntent from Stripe (never the query parameters).
 * Button and error handling: pay-form.js. */
(function () {
  "use strict";
  var pay = window.PayForm;
  if (!pay || pay.form.dataset.mode !== "stripe" || typeof Stripe === "undefined") return;
  var form = pay.form;

  var stripe = Stripe(form.dataset.publishableKey, {locale: form.dataset.locale});
  var elements = stripe.elements({
    clientSecret: form.dataset.clientSecret,
    locale: form.dataset.locale
  });
  elements.create("payment").mount("#payment-element");
  form.hidden = false;

  pay.onSubmit(function () {
    stripe.confirmPayment({
      elements: elements,
      confirmParams: {return_url: form.dataset.returnUrl}
    }).then(function (result) {
      // Only reached on an immediate error: otherwise the browser goes to return_url.
      if (pay.paidMeanwhile(result.error)) return;
      pay.failed(result.error ? pay.errorText(result.error) : null);
    }, function () {
      pay.failed(null);
    });
  });
})();
