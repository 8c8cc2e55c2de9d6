(function () {
  "use strict";
  var vendorSel = document.getElementById("vendor-filter");
  var catSel = document.getElementById("category-filter");
  var levelSel = document.getElementById("level-filter");
  var search = document.getElementById("search");
  var count = document.getElementById("flow-count");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#flow-table tbody tr"));

  function apply() {
    var v = vendorSel.value, c = catSel.value, l = levelSel.value;
    var q = search.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (tr) {
      var ok = (!v || tr.dataset.vendor === v) && (!c || tr.dataset.category === c) &&
        (!l || tr.dataset.level === l) && (!q || tr.textContent.toLowerCase().indexOf(q) >= 0);
      tr.hidden = !ok;
      if (ok) { shown++; }
    });
    count.textContent = shown + " of " + rows.length + " flows";
  }

  function focusVendor(vendor, category) {
    vendorSel.value = vendor || "";
    catSel.value = category || "";
    apply();
    highlight(vendor);
    document.getElementById("flows").scrollIntoView();
  }

  function highlight(vendor) {
    var svg = document.getElementById("flow-graph");
    if (!svg) { return; }
    svg.classList.toggle("focus", !!vendor);
    Array.prototype.forEach.call(svg.querySelectorAll(".edge"), function (e) {
      e.classList.toggle("on", e.dataset.vendor === vendor);
    });
  }

  [vendorSel, catSel, levelSel].forEach(function (el) {
    el.addEventListener("change", function () { apply(); highlight(vendorSel.value); });
  });
  search.addEventListener("input", apply);
  Array.prototype.forEach.call(document.querySelectorAll("[data-focus-vendor]"), function (el) {
    el.addEventListener("click", function () {
      focusVendor(el.dataset.focusVendor, el.dataset.focusCategory || "");
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("#flow-graph .vendor-node"), function (g) {
    g.addEventListener("mouseenter", function () { highlight(g.dataset.vendor); });
    g.addEventListener("mouseleave", function () { highlight(vendorSel.value); });
  });

  // sort the flow table by a column (click again to reverse)
  Array.prototype.forEach.call(document.querySelectorAll("#flow-table th"), function (th, i) {
    th.addEventListener("click", function () {
      var dir = th.dataset.dir === "asc" ? -1 : 1;
      th.dataset.dir = dir === 1 ? "asc" : "desc";
      var body = document.querySelector("#flow-table tbody");
      rows.sort(function (a, b) {
        var x = a.children[i].dataset.sort || a.children[i].textContent;
        var y = b.children[i].dataset.sort || b.children[i].textContent;
        return x < y ? -dir : x > y ? dir : 0;
      });
      rows.forEach(function (tr) { body.appendChild(tr); });
    });
  });

  var hash = decodeURIComponent(location.hash.replace(/^#vendor=/, ""));
  if (hash && hash !== location.hash && vendorSel.querySelector("option[value='" + hash + "']")) {
    vendorSel.value = hash;
  }
  apply();
  highlight(vendorSel.value);
}());
