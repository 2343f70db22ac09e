/* The review page's photo viewer: wheel / pinch zoom, drag pan, +/- buttons, reset, keys (+ - 0, arrows to pan
   while zoomed). Moved out of review.js so the keyboard shortcuts (review_keys.js) can drive it.
   Touch: while a photo is not zoomed a swipe on it scrolls the page; once zoomed, touch pans and pinches it. */
(function () {
  "use strict";

  var MIN_SCALE = 1, MAX_SCALE = 12, STEP = 1.25, PAN_STEP = 40;
  // Arrow keys move the photo under the frame (the view moves the other way, as in any map).
  var PAN_KEYS = {
    ArrowLeft: [PAN_STEP, 0], ArrowRight: [-PAN_STEP, 0], ArrowUp: [0, PAN_STEP], ArrowDown: [0, -PAN_STEP],
  };

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
      if (event.altKey || event.ctrlKey || event.metaKey) { return; }
      if (event.key === "+" || event.key === "=") { self.zoomCentre(STEP); event.preventDefault(); }
      else if (event.key === "-") { self.zoomCentre(1 / STEP); event.preventDefault(); }
      else if (event.key === "0") { self.reset(); event.preventDefault(); }
      else if (PAN_KEYS[event.key] && self.scale > 1) {
        self.pan(PAN_KEYS[event.key][0], PAN_KEYS[event.key][1]);
        event.preventDefault();
      }
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
  Viewer.prototype.zoomIn = function () { this.zoomCentre(STEP); };
  Viewer.prototype.zoomOut = function () { this.zoomCentre(1 / STEP); };
  Viewer.prototype.zoomed = function () { return this.scale > 1; };
  Viewer.prototype.pan = function (dx, dy) { this.x += dx; this.y += dy; this.apply(); };
  Viewer.prototype.reset = function () { this.scale = 1; this.x = 0; this.y = 0; this.apply(); };
  Viewer.prototype.apply = function () {
    if (this.scale === 1) { this.x = 0; this.y = 0; }
    // CSSOM changes are allowed by the CSP (only inline style attributes in markup are not).
    this.img.style.transform = "translate(" + this.x + "px, " + this.y + "px) scale(" + this.scale + ")";
    if (this.level) { this.level.textContent = Math.round(this.scale * 100) + "%"; }
    // Touch belongs to the page (a swipe scrolls it) until the photo is zoomed; then to the viewer (pan, pinch).
    // static/css/app.css says the same for the first paint.
    this.frame.classList.toggle("zoomed", this.scale > 1);
    this.frame.style.touchAction = this.scale > 1 ? "none" : "pan-y";
  };

  // static/js/review_keys.js drives the viewers from the keyboard through this list (same order as the page).
  window.dermreviewViewers = Array.from(document.querySelectorAll(".viewer-block"), function (block) {
    return new Viewer(block);
  });
})();
