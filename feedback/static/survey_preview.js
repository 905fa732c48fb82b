/* The survey builder's preview: the real widget, asked to show one survey inline. */
(function (w, d) {
  "use strict";
  var me = d.currentScript;
  if (!me) return;
  var key = me.getAttribute("data-key");
  var host = me.getAttribute("data-host");
  var survey = me.getAttribute("data-survey");
  // The same queue stub as the install snippet, so calls made before widget.js loads are kept.
  w.feedback = w.feedback || function () {
    (w.feedback.q = w.feedback.q || []).push(arguments);
  };
  // auto: false keeps the widget from looking for another survey to float over the dashboard.
  w.feedback("init", { key: key, host: host, auto: false, context: { preview: "true" } });
  w.feedback("show", survey, { target: "#preview" });
})(window, document);
