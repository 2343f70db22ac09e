// The review page's plan fields: "3 / 6 / 12 months" set the follow-up date and choose "Monitor"; another plan
// clears the date (the server refuses a date for it); "What changed" is kept only with "Changed".
(function () {
  "use strict";
  var block = document.getElementById("plan-fields");
  if (!block) { return; }
  var date = block.querySelector("input[name=follow_up_on]");
  var monitor = block.querySelector("input[name=management_plan][value=monitor]");

  block.querySelectorAll("[data-follow-up]").forEach(function (button) {
    button.addEventListener("click", function () {
      if (date) { date.value = button.getAttribute("data-follow-up"); }
      if (monitor) { monitor.checked = true; }
    });
  });
  block.querySelectorAll("input[name=management_plan]").forEach(function (radio) {
    radio.addEventListener("change", function () {
      if (radio.checked && radio.value !== "monitor" && date) { date.value = ""; }
    });
  });
  block.querySelectorAll("input[name=change_since_previous]").forEach(function (radio) {
    radio.addEventListener("change", function () {
      if (radio.checked && radio.value !== "changed") {
        block.querySelectorAll("input[name=change_aspects]").forEach(function (box) { box.checked = false; });
      }
    });
  });
  block.querySelectorAll("input[name=change_aspects]").forEach(function (box) {
    box.addEventListener("change", function () {
      var changed = block.querySelector("input[name=change_since_previous][value=changed]");
      if (box.checked && changed) { changed.checked = true; }
    });
  });
})();
