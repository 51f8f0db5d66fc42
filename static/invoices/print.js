/* The tax document's print button (the browser's print dialog, A4 by the page's CSS). */
(function () {
  "use strict";
  var button = document.getElementById("print-document");
  if (button) button.addEventListener("click", function () { window.print(); });
})();
