// buckle catalog: filtering only. Every table is complete without this script; it
// shows the search boxes and hides the rows that do not match what is typed.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input[data-filter]").forEach(function (input) {
    var table = document.getElementById(input.dataset.filter);
    var count = document.getElementById(input.dataset.filter + "-count");
    if (!table) { return; }
    input.form.hidden = false;
    input.form.addEventListener("submit", function (event) { event.preventDefault(); });
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var rows = table.tBodies[0].rows;
      var shown = 0;
      for (var i = 0; i < rows.length; i++) {
        var text = rows[i].textContent.toLowerCase();
        var match = words.every(function (w) { return text.indexOf(w) !== -1; });
        rows[i].hidden = !match;
        if (match) { shown++; }
      }
      count.textContent = words.length ? shown + " of " + rows.length + " shown" : "";
    });
  });
});
