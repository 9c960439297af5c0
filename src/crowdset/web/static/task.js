// Task pages: answer-quality signals and the live hint for required values. No framework.
//
// - seconds on task: time since the page opened, added to what earlier attempts measured
//   (a refused answer comes back with the count so far), sent in a hidden field;
// - paste events: every paste into the form, sent in a hidden field;
// - keystrokes typed and the spread of the intervals between them (typing rhythm);
// - the hint: which required values the query does not contain yet, compared like the
//   server's check (case- and space-insensitive).
(function () {
  "use strict";
  var opened = Date.now();

  function normalise(text) {
    return text.toLowerCase().replace(/\s+/g, " ").trim();
  }

  // keystroke rhythm: the count of keys typed (added to earlier attempts') and the spread of
  // the intervals between them on this page (std / mean); a script types at a constant pace
  function spread(intervals) {
    if (intervals.length < 2) return "";
    var mean = intervals.reduce(function (a, b) { return a + b; }, 0) / intervals.length;
    if (mean <= 0) return "";
    var variance = intervals.reduce(function (a, b) { return a + (b - mean) * (b - mean); }, 0) /
      intervals.length;
    return (Math.sqrt(variance) / mean).toFixed(3);
  }

  document.querySelectorAll("form[data-task]").forEach(function (form) {
    var seconds = form.querySelector("[data-seconds]");
    var pastes = form.querySelector("[data-pastes]");
    var keys = form.querySelector("[data-keys]");
    var rhythm = form.querySelector("[data-rhythm]");
    var typed = 0;
    var last = null;
    var intervals = [];
    form.addEventListener("paste", function () {
      if (pastes) pastes.value = String((parseInt(pastes.value, 10) || 0) + 1);
    });
    form.addEventListener("keydown", function (event) {
      if (event.key && (event.key.length === 1 || event.key === "Backspace")) {
        var now = performance.now();
        // pauses over 5 s are thinking, not typing: they say nothing of the rhythm
        if (last !== null && now - last < 5000) intervals.push(now - last);
        last = now;
        typed += 1;
      }
    });
    form.addEventListener("submit", function () {
      if (keys) keys.value = String((parseInt(keys.value, 10) || 0) + typed);
      if (rhythm) rhythm.value = spread(intervals);
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
