// The weekly review: a Print button, shown only where it can work.
(function () {
  var button = document.getElementById('print-review');
  if (!button || !window.print) return;
  button.hidden = false;
  button.addEventListener('click', function () { window.print(); });
})();
