/* The offline sandbox's Stripe.js: the part of Stripe.js's public API the shop's payment
 * script (static/payments/pay.js) uses, with the same call shapes and results, so that one
 * script runs against the sandbox and against Stripe.
 *
 *   var stripe = Stripe(publishableKey, {locale});
 *   var elements = stripe.elements({clientSecret, locale, appearance});
 *   var element = elements.create("payment", options);
 *   element.on("ready" | "change", handler); element.mount("#payment-element");
 *   stripe.confirmPayment({elements, confirmParams: {return_url}, redirect})
 *
 * confirmPayment resolves {error} (Stripe's shape: type, code, decline_code, message in the
 * locale) for an immediate error; otherwise the browser goes to return_url with
 * payment_intent, payment_intent_client_secret and redirect_status, as Stripe does (with
 * redirect: "if_required" a payment that needs no redirect resolves {paymentIntent}). A card
 * that asks for 3-D Secure shows the bank's challenge inside the element first.
 *
 * The element's content and the confirmation come from the sandbox's endpoints under
 * /stripe-sandbox/, authorised like Stripe's browser API by the publishable key and the
 * PaymentIntent's client secret. No real card data exists here. */
(function () {
  "use strict";
  var API = "/stripe-sandbox/";
  var script = document.currentScript;

  // The element's look, next to this script (Stripe styles its iframe itself).
  function loadStyles() {
    if (!script || document.querySelector("link[data-stripe-sandbox]")) return;
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = script.src.replace(/stripe(\.[0-9a-f]+)?\.js(\?.*)?$/, "element.css");
    link.setAttribute("data-stripe-sandbox", "");
    document.head.appendChild(link);
  }

  function IntegrationError(message) {
    var error = new Error(message);
    error.name = "IntegrationError";
    return error;
  }

  function languageOf(locale) {
    if (!locale || locale === "auto") locale = document.documentElement.lang || "en";
    return String(locale).slice(0, 2).toLowerCase();
  }

  function intentIdOf(clientSecret) {
    var match = /^(pi_[A-Za-z0-9]+)_secret_/.exec(clientSecret || "");
    if (!match) throw IntegrationError("Invalid value for clientSecret: it should look like pi_..._secret_....");
    return match[1];
  }

  // --- the Payment Element -----------------------------------------------------------

  function PaymentElement(group, options) {
    this._group = group;
    this._options = options || {};
    this._handlers = {};
    this._node = null;
    this._input = null;
  }

  PaymentElement.prototype.on = function (event, handler) {
    (this._handlers[event] = this._handlers[event] || []).push(handler);
    return this;
  };

  PaymentElement.prototype.off = function (event, handler) {
    var list = this._handlers[event] || [];
    this._handlers[event] = handler ? list.filter(function (h) { return h !== handler; }) : [];
    return this;
  };

  PaymentElement.prototype._emit = function (event, payload) {
    (this._handlers[event] || []).forEach(function (handler) { handler(payload); });
  };

  PaymentElement.prototype._changed = function () {
    var value = this._input ? this._input.value.replace(/\D/g, "") : "";
    this._emit("change", {
      elementType: "payment",
      empty: value.length === 0,
      complete: value.length >= 12,
      collapsed: false,
      value: {type: "card"}
    });
  };

  PaymentElement.prototype.mount = function (target) {
    var node = typeof target === "string" ? document.querySelector(target) : target;
    if (!node) throw IntegrationError("The selector you specified (" + target + ") applies to no DOM elements.");
    var self = this;
    this._node = node;
    loadStyles();
    var query = new URLSearchParams({locale: this._group._language});
    fetch(API + "elements/payment?" + query.toString(), {credentials: "omit"})
      .then(function (response) {
        if (!response.ok) throw new Error("element " + response.status);
        return response.text();
      })
      .then(function (html) {
        node.innerHTML = html;
        self._input = node.querySelector("input[name=sandbox_card_number]");
        var radios = node.querySelectorAll("input[name=sandbox_card]");
        radios.forEach(function (radio) {
          radio.addEventListener("change", function () {
            self._input.value = radio.value;
            self._changed();
          });
        });
        // A number typed by hand: the listed card no longer applies.
        self._input.addEventListener("input", function () {
          var typed = self._input.value.replace(/\D/g, "");
          radios.forEach(function (radio) {
            radio.checked = radio.value.replace(/\D/g, "") === typed;
          });
          self._changed();
        });
        self._emit("ready", {elementType: "payment"});
        self._changed();
      })
      .catch(function () {
        self._emit("loaderror", {elementType: "payment", error: {type: "api_connection_error"}});
      });
    return this;
  };

  PaymentElement.prototype.unmount = function () {
    if (this._node) this._node.innerHTML = "";
    this._node = null;
    this._input = null;
  };

  PaymentElement.prototype.destroy = PaymentElement.prototype.unmount;

  PaymentElement.prototype.focus = function () {
    if (this._input) this._input.focus();
  };

  PaymentElement.prototype._cardNumber = function () {
    return this._input ? this._input.value : "";
  };

  // The bank's 3-D Secure check, inside the element; resolves "approve" or "fail".
  PaymentElement.prototype._challenge = function () {
    var node = this._node;
    var template = node && node.querySelector("template.sandbox-challenge-template");
    if (!template) return Promise.resolve("fail");
    var box = template.content.firstElementChild.cloneNode(true);
    node.appendChild(box);
    return new Promise(function (resolve) {
      box.querySelectorAll("button[data-outcome]").forEach(function (choice) {
        choice.addEventListener("click", function () {
          box.remove();
          resolve(choice.dataset.outcome);
        });
      });
      box.querySelector("button").focus();
    });
  };

  // --- Elements ------------------------------------------------------------------------

  function Elements(stripe, options) {
    if (!options || !options.clientSecret) {
      throw IntegrationError("In order to create a payment element, you must pass a clientSecret or mode when creating the Elements group.");
    }
    this._stripe = stripe;
    this._clientSecret = options.clientSecret;
    this._intentId = intentIdOf(options.clientSecret);
    this._language = languageOf(options.locale || stripe._locale);
    this._appearance = options.appearance || {};
    this._elements = {};
  }

  Elements.prototype.create = function (type, options) {
    if (type !== "payment") throw IntegrationError("The sandbox offers the payment element only, not " + type + ".");
    if (this._elements.payment) throw IntegrationError("Can only create one Element of type payment.");
    var element = new PaymentElement(this, options);
    this._elements.payment = element;
    return element;
  };

  Elements.prototype.getElement = function (type) {
    return this._elements[type] || null;
  };

  Elements.prototype.update = function (options) {
    if (options && options.locale) this._language = languageOf(options.locale);
  };

  // --- Stripe ----------------------------------------------------------------------------

  function Stripe(publishableKey, options) {
    if (!(this instanceof Stripe)) return new Stripe(publishableKey, options);
    if (typeof publishableKey !== "string" || publishableKey.indexOf("pk_") !== 0) {
      throw IntegrationError("Invalid API Key provided: " + publishableKey);
    }
    this._key = publishableKey;
    this._locale = (options && options.locale) || "auto";
  }

  Stripe.prototype.elements = function (options) {
    return new Elements(this, options);
  };

  Stripe.prototype._confirm = function (elements, fields) {
    var body = new URLSearchParams(fields);
    body.set("key", this._key);
    body.set("client_secret", elements._clientSecret);
    body.set("locale", elements._language);
    return fetch(API + "v1/payment_intents/" + encodeURIComponent(elements._intentId) + "/confirm", {
      method: "POST",
      body: body,
      credentials: "omit",
      headers: {"Accept": "application/json"}
    }).then(function (response) {
      return response.json().catch(function () {
        return {error: {type: "api_error", message: ""}};
      });
    }, function () {
      return {error: {type: "api_connection_error", message: ""}};
    });
  };

  Stripe.prototype.confirmPayment = function (options) {
    options = options || {};
    var elements = options.elements;
    var params = options.confirmParams || {};
    var redirect = options.redirect || "always";
    if (!elements || !(elements instanceof Elements)) {
      return Promise.reject(IntegrationError("stripe.confirmPayment(): the elements option is required."));
    }
    if (redirect === "always" && !params.return_url) {
      return Promise.reject(IntegrationError("stripe.confirmPayment(): the confirmParams.return_url argument is required unless passing `redirect: 'if_required'`"));
    }
    var element = elements.getElement("payment");
    if (!element || !element._input) {
      return Promise.reject(IntegrationError("stripe.confirmPayment(): the Payment Element is not mounted."));
    }
    var self = this;

    function finish(answer) {
      if (answer.error) return {error: answer.error};
      if (answer.status === "requires_action") {
        return element._challenge().then(function (outcome) {
          return self._confirm(elements, {three_ds: outcome}).then(finish);
        });
      }
      if (redirect === "if_required") return {paymentIntent: answer};
      var url = new URL(params.return_url, window.location.href);
      url.searchParams.set("payment_intent", answer.id);
      url.searchParams.set("payment_intent_client_secret", elements._clientSecret);
      url.searchParams.set("redirect_status", answer.status === "succeeded" ? "succeeded" : answer.status === "processing" ? "pending" : "failed");
      window.location.assign(url.toString());
      return new Promise(function () {});  // the page is leaving
    }

    return this._confirm(elements, {
      card_number: element._cardNumber(),
      return_url: params.return_url || ""
    }).then(finish);
  };

  window.Stripe = Stripe;
})();
