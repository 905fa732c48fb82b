// All cases: a checkbox in the table head selects every case on the page for bulk assign.
(function () {
  var all = document.getElementById('select-all');
  if (!all) return;
  var boxes = document.querySelectorAll('input[name=cases][form=bulk]');
  all.hidden = false;
  all.addEventListener('change', function () {
    boxes.forEach(function (box) { box.checked = all.checked; });
  });
  boxes.forEach(function (box) {
    box.addEventListener('change', function () {
      var checked = Array.prototype.filter.call(boxes, function (b) { return b.checked; }).length;
      all.checked = checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    });
  });
})();
