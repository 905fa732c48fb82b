// Settings → Import: each unfinished import's row asks for its progress every second and
// shows it; when one finishes the page reloads with its final counts and report link.
(function () {
  "use strict";
  var rows = document.querySelectorAll("tr[data-poll]");
  if (!rows.length) return;

  function show(row, job) {
    var bar = row.querySelector("progress");
    if (bar) bar.value = job.progress;
    var counts = job.counts || {};
    ["imported", "already", "refused"].forEach(function (name) {
      var cell = row.querySelector('[data-field="' + name + '"]');
      if (cell && !cell.querySelector("a")) cell.textContent = (counts[name] || 0).toLocaleString();
    });
    row.querySelector('[data-field="status"]').textContent = job.status;
  }

  function poll(row) {
    fetch(row.getAttribute("data-poll"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (job) {
        if (!job) return;
        show(row, job);
        if (["done", "cancelled", "failed"].indexOf(job.status) >= 0) {
          window.location.reload();
        } else {
          window.setTimeout(function () { poll(row); }, 1000);
        }
      })
      .catch(function () { window.setTimeout(function () { poll(row); }, 5000); });
  }

  Array.prototype.forEach.call(rows, poll);
})();
