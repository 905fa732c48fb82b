/* The hosted survey page, a little better with JavaScript (it works without).
 *
 * An email's score link: tell the server a browser showed the page, so one click answers.
 * A link scanner that only fetches the page never runs this; the server decides whether the
 * click counts (services/score_clicks.py). Another score chosen on the page swaps in the
 * questions that score calls for.
 */
(function () {
  "use strict";
  var form = document.querySelector("form[data-click], form input[name=shown]");
  if (!form) return;
  if (form.tagName !== "FORM") form = form.form;
  var hint = document.getElementById("score-hint");
  // Once the person picks another score, a late "recorded" must not say the old one counts.
  var changed = false;

  function say(text) {
    if (hint && text) hint.textContent = text;
  }

  form.addEventListener("change", function (event) {
    var chosen = event.target;
    if (chosen.name !== "score") return;
    var questions = form.querySelectorAll("[data-scores]");
    for (var i = 0; i < questions.length; i++) {
      var scores = questions[i].getAttribute("data-scores").split(" ");
      questions[i].hidden = scores.indexOf(chosen.value) < 0;
    }
    if (form.elements.shown) form.elements.shown.value = chosen.value;
    changed = true;
    say(hint && hint.getAttribute("data-changed"));
    if (hint) hint.classList.remove("recorded");
  });

  function report() {
    fetch(form.getAttribute("data-click"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": form.elements.csrf_token.value },
      // The person may close the tab at once: the report still goes out.
      keepalive: true,
    })
      .then(function (answer) {
        return answer.ok ? answer.json() : {};
      })
      .then(function (answer) {
        if (!answer.counted || !hint || changed) return;
        say(hint.getAttribute("data-counted"));
        hint.classList.add("recorded");
      })
      .catch(function () {
        /* Nothing to do: the Send button still records the answer. */
      });
  }

  if (!form.hasAttribute("data-click") || !window.fetch) return;
  if (document.prerendering) {
    // Prerendered ahead of a click that may never come: report only once it is shown.
    document.addEventListener("prerenderingchange", report, { once: true });
  } else {
    report();
  }
})();
