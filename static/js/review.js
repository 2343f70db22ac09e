/* Review pages: photo zoom/pan, the per-field "AI draft / confirmed / edited" labels, and agreement polling.
   The server enforces every rule on its own; this only makes the state visible while the reviewer works. */
(function () {
  "use strict";

  // --- Photo viewer: wheel / pinch zoom, drag pan, +/- buttons, reset. ----------------------------------------
  var MIN_SCALE = 1, MAX_SCALE = 12, STEP = 1.25;

  function Viewer(block) {
    this.frame = block.querySelector("[data-viewer]");
    this.img = this.frame ? this.frame.querySelector("img") : null;
    this.level = block.querySelector(".zoom-level");
    this.scale = 1; this.x = 0; this.y = 0;
    this.pointers = new Map();
    this.pinchStart = null;
    if (!this.img) { return; }
    var self = this;
    this.frame.addEventListener("wheel", function (event) {
      event.preventDefault();
      var factor = event.deltaY < 0 ? STEP : 1 / STEP;
      self.zoomAt(factor, event.clientX, event.clientY);
    }, { passive: false });
    this.frame.addEventListener("pointerdown", function (event) {
      self.frame.setPointerCapture(event.pointerId);
      self.pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (self.pointers.size === 2) { self.pinchStart = { dist: self.pinchDistance(), scale: self.scale }; }
      self.frame.classList.add("dragging");
    });
    this.frame.addEventListener("pointermove", function (event) {
      var previous = self.pointers.get(event.pointerId);
      if (!previous) { return; }
      var current = { x: event.clientX, y: event.clientY };
      self.pointers.set(event.pointerId, current);
      if (self.pointers.size === 2 && self.pinchStart) {
        var mid = self.pinchMidpoint();
        var target = self.pinchStart.scale * self.pinchDistance() / self.pinchStart.dist;
        self.zoomAt(target / self.scale, mid.x, mid.y);
      } else if (self.pointers.size === 1) {
        self.x += current.x - previous.x;
        self.y += current.y - previous.y;
        self.apply();
      }
    });
    function release(event) {
      self.pointers.delete(event.pointerId);
      if (self.pointers.size < 2) { self.pinchStart = null; }
      if (self.pointers.size === 0) { self.frame.classList.remove("dragging"); }
    }
    this.frame.addEventListener("pointerup", release);
    this.frame.addEventListener("pointercancel", release);
    this.frame.addEventListener("dblclick", function (event) { self.zoomAt(2, event.clientX, event.clientY); });
    this.frame.addEventListener("keydown", function (event) {
      if (event.key === "+" || event.key === "=") { self.zoomCentre(STEP); event.preventDefault(); }
      else if (event.key === "-") { self.zoomCentre(1 / STEP); event.preventDefault(); }
      else if (event.key === "0") { self.reset(); event.preventDefault(); }
    });
    block.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var action = button.getAttribute("data-zoom");
        if (action === "in") { self.zoomCentre(STEP); }
        else if (action === "out") { self.zoomCentre(1 / STEP); }
        else { self.reset(); }
      });
    });
    this.apply();
  }

  Viewer.prototype.pinchDistance = function () {
    var p = Array.from(this.pointers.values());
    return Math.hypot(p[0].x - p[1].x, p[0].y - p[1].y) || 1;
  };
  Viewer.prototype.pinchMidpoint = function () {
    var p = Array.from(this.pointers.values());
    return { x: (p[0].x + p[1].x) / 2, y: (p[0].y + p[1].y) / 2 };
  };
  Viewer.prototype.zoomCentre = function (factor) {
    var rect = this.frame.getBoundingClientRect();
    this.zoomAt(factor, rect.left + rect.width / 2, rect.top + rect.height / 2);
  };
  // Zoom keeping the point under (clientX, clientY) fixed, so the detail being inspected stays in view.
  Viewer.prototype.zoomAt = function (factor, clientX, clientY) {
    var next = Math.min(MAX_SCALE, Math.max(MIN_SCALE, this.scale * factor));
    var rect = this.frame.getBoundingClientRect();
    var px = clientX - rect.left - rect.width / 2, py = clientY - rect.top - rect.height / 2;
    var ratio = next / this.scale;
    this.x = px - (px - this.x) * ratio;
    this.y = py - (py - this.y) * ratio;
    this.scale = next;
    this.apply();
  };
  Viewer.prototype.reset = function () { this.scale = 1; this.x = 0; this.y = 0; this.apply(); };
  Viewer.prototype.apply = function () {
    if (this.scale === 1) { this.x = 0; this.y = 0; }
    // CSSOM changes are allowed by the CSP (only inline style attributes in markup are not).
    this.img.style.transform = "translate(" + this.x + "px, " + this.y + "px) scale(" + this.scale + ")";
    if (this.level) { this.level.textContent = Math.round(this.scale * 100) + "%"; }
    this.frame.classList.toggle("zoomed", this.scale > 1);
  };

  document.querySelectorAll(".viewer-block").forEach(function (block) { new Viewer(block); });

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
      var state = edited ? "edited" : (confirm && confirm.checked ? "confirmed" : "ai");
      if (state === "ai") { pending += 1; }
      label.setAttribute("data-state", state);
      label.textContent = state === "edited" ? "Edited by you" : state === "confirmed" ? "Confirmed by you" : "AI draft";
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
