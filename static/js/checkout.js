/* The checkout summary follows the chosen city at once: shipping, total and VAT for each
 * city come from the server, formatted as the page formats money (this script never
 * computes a price). Without JavaScript the summary says shipping is set from the city. */
(function () {
  "use strict";
  var data = document.getElementById("city-totals");
  var city = document.getElementById("id_city");
  if (!data || !city) return;
  var byCity = JSON.parse(data.textContent);
  var cells = {};
  document.querySelectorAll("[data-city-total]").forEach(function (cell) {
    cells[cell.dataset.cityTotal] = {node: cell, initial: cell.innerHTML};
  });
  var vatRow = cells.vat && cells.vat.node.closest("div");
  var note = document.querySelector(".city-note");

  function show() {
    var totals = byCity[city.value];
    Object.keys(cells).forEach(function (key) {
      var cell = cells[key];
      if (!totals) { cell.node.innerHTML = cell.initial; return; }
      var bdi = document.createElement("bdi");
      bdi.textContent = totals[key];
      cell.node.replaceChildren(bdi);
    });
    if (vatRow) vatRow.hidden = !totals;
    if (note) note.hidden = !!totals;
  }

  city.addEventListener("change", show);
  if (city.value) show();
})();
