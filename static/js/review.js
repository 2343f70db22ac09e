/* Review pages: the per-field "AI draft / confirmed / edited" labels, and agreement polling.
   The server enforces every rule on its own; this only makes the state visible while the reviewer works. */
(function () {
  "use strict";

  // The photo viewer (zoom, pan, pinch) is static/js/viewer.js.

  // --- Field labels: "AI draft" until confirmed or edited. ----------------------------------------------------
  function clean(text) { return String(text || "").split(/\s+/).filter(Boolean).join(" "); }

  var rows = Array.from(document.querySelectorAll(".finding-field[data-draft]"));
  var hint = document.getElementById("unconfirmed-hint");

  function refresh() {
    var pending = 0;
    rows.forEach(function (row) {
      var input = row.querySelector("input[type=text], textarea");
      var confirm = row.querySelector(".confirm input[type=checkbox]");
      var label = row.querySelector(".field-state");
      var edited = clean(input.value) !== clean(row.getAttribute("data-draft"));
      var own = edited && row.hasAttribute("data-blind") && clean(input.value) === clean(row.getAttribute("data-blind"));
      var state = edited ? "edited" : (confirm && confirm.checked ? "confirmed" : "ai");
      if (state === "ai") { pending += 1; }
      label.setAttribute("data-state", own ? "own" : state);
      label.textContent = own ? "Your blind finding" : state === "edited" ? "Edited by you"
        : state === "confirmed" ? "Confirmed by you" : "AI draft";
      label.classList.toggle("ai-label", state === "ai");
      label.classList.toggle("human-label", state !== "ai");
      input.classList.toggle("ai-draft", state === "ai");
      row.classList.toggle("is-pending", state === "ai");
      if (confirm) { confirm.closest(".confirm").classList.toggle("hidden", edited); }
    });
    if (hint) {
      hint.textContent = pending
        ? pending + " field" + (pending === 1 ? " is" : "s are") + " still the AI draft: confirm or change each before signing."
        : "Every field is confirmed or changed.";
    }
  }
  rows.forEach(function (row) {
    row.querySelectorAll("input, textarea").forEach(function (el) {
      el.addEventListener("input", refresh);
      el.addEventListener("change", refresh);
    });
  });
  if (rows.length) { refresh(); }

  // --- Blind-first: the form starts from the reviewer's own finding; "Use the AI's value" / "Use mine" switch a
  // field, and every field switched to the AI's value is listed in the hidden `taken_from_ai` (the server keeps
  // it only where the signed text is the draft's). A taken field still needs its "Confirm" tick.
  var signForm = document.getElementById("sign-form");
  var taken = signForm ? signForm.querySelector("input[name=taken_from_ai]") : null;
  var takenSet = new Set(taken && taken.value ? taken.value.split(",").filter(Boolean) : []);
  function writeTaken() { if (taken) { taken.value = Array.from(takenSet).join(","); } }
  document.querySelectorAll(".finding-field[data-blind] [data-use]").forEach(function (button) {
    button.addEventListener("click", function () {
      var row = button.closest(".finding-field");
      var input = row.querySelector("input[type=text], textarea");
      var name = row.getAttribute("data-field");
      var useAi = button.getAttribute("data-use") === "ai";
      input.value = row.getAttribute(useAi ? "data-draft" : "data-blind");
      if (useAi) { takenSet.add(name); } else { takenSet.delete(name); }
      writeTaken();
      input.dispatchEvent(new Event("input", { bubbles: true }));
      button.setAttribute("aria-pressed", "true");
      var other = row.querySelector("[data-use='" + (useAi ? "mine" : "ai") + "']");
      if (other) { other.setAttribute("aria-pressed", "false"); }
    });
  });

  // --- Unsaved edits: warn before leaving the page. A form the server sent back (bound) is unsaved already. -----
  // "Start from: photo N" submits the form (to the claim) and comes back with everything typed, so it is no loss.
  if (signForm) {
    var dirty = signForm.hasAttribute("data-unsaved");
    var submitting = false;
    signForm.addEventListener("input", function () { dirty = true; });
    signForm.addEventListener("change", function () { dirty = true; });
    signForm.addEventListener("submit", function () { submitting = true; });
    window.addEventListener("beforeunload", function (event) {
      if (!dirty || submitting) { return; }
      event.preventDefault();
      event.returnValue = "";
    });
    signForm.setAttribute("data-guarded", "1");  // beforeunload is armed (read by tests and tools)
  }

  // --- After "Start review": move focus to the form the claim opened, so keyboard users continue there. -------
  // The section (tabindex=-1), not its first field: focusing a field would pop up a phone's keyboard unasked.
  var work = document.getElementById("review-work");
  if (work && window.location.hash === "#review-work") { work.focus(); }

  // --- Agreement page: poll until the scoring task has stored BERTScore. --------------------------------------
  var state = document.getElementById("scoring-state");
  if (state && state.getAttribute("data-scored") === "0") {
    var url = state.getAttribute("data-poll-url");
    var tries = 0, MAX_TRIES = 150;
    var poll = function () {
      tries += 1;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (data && data.scored) {
            Object.keys(data.fields).forEach(function (field) {
              var row = document.querySelector("#agreement-table tr[data-field='" + field + "']");
              if (!row) { return; }
              ["draft_vs_final", "blind_vs_draft", "blind_vs_final"].forEach(function (comparison) {
                var cell = row.querySelector("td[data-comparison='" + comparison + "']");
                var score = data.fields[field][comparison];
                if (cell && score) { cell.textContent = score.f1.toFixed(3); }
              });
            });
            state.setAttribute("data-scored", "1");
            state.textContent = data.scorer
              ? "BERTScore F1 by " + data.scorer.model + " (layer " + data.scorer.num_layers + ")."
              : "Nothing to score for this sign-off.";
          } else if (tries < MAX_TRIES) {
            window.setTimeout(poll, 2000);
          } else {
            state.textContent = "Scoring is taking longer than usual; reload this page later to see BERTScore.";
          }
        })
        .catch(function () { if (tries < MAX_TRIES) { window.setTimeout(poll, 4000); } });
    };
    window.setTimeout(poll, 1500);
  }
})();
