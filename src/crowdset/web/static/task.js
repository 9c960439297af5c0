// Task pages: answer-quality signals and the live hint for required values. No framework.
//
// - seconds on task: time since the page opened, added to what earlier attempts measured
//   (a refused answer comes back with the count so far), sent in a hidden field;
// - paste events: every paste into the form, sent in a hidden field;
// - the hint: which required values the query does not contain yet, compared like the
//   server's check (case- and space-insensitive).
(function () {
  "use strict";
  var opened = Date.now();

  function normalise(text) {
    return text.toLowerCase().replace(/\s+/g, " ").trim();
  }

  document.querySelectorAll("form[data-task]").forEach(function (form) {
    var seconds = form.querySelector("[data-seconds]");
    var pastes = form.querySelector("[data-pastes]");
    form.addEventListener("paste", function () {
      if (pastes) pastes.value = String((parseInt(pastes.value, 10) || 0) + 1);
    });
    form.addEventListener("submit", function () {
      if (!seconds) return;
      var before = parseFloat(seconds.value) || 0;
      seconds.value = (before + (Date.now() - opened) / 1000).toFixed(1);
    });
  });

  var input = document.querySelector("[data-query-input]");
  var hint = document.querySelector("[data-value-hint]");
  var marks = Array.prototype.slice.call(document.querySelectorAll("[data-required-value]"));
  if (!input || !hint || marks.length === 0) return;

  function update() {
    var text = " " + normalise(input.value) + " ";
    var missing = [];
    marks.forEach(function (mark) {
      var present = text.indexOf(normalise(mark.getAttribute("data-required-value"))) !== -1;
      mark.classList.toggle("present", present);
      if (!present) missing.push("“" + mark.getAttribute("data-required-value") + "”");
    });
    if (!input.value.trim()) {
      hint.textContent = "Include: " + missing.join(", ") + ".";
      hint.className = "hint live-hint";
    } else if (missing.length) {
      hint.textContent = "Still missing: " + missing.join(", ") + ".";
      hint.className = "hint live-hint missing";
    } else {
      hint.textContent = "Every required value is in your query.";
      hint.className = "hint live-hint complete";
    }
  }
  input.addEventListener("input", update);
  update();
})();
