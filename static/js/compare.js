/* Two visits side by side (templates/lesions/compare.html). One zoom and pan state drives both photos: a wheel,
   pinch, drag or key on either frame moves both, so the same spot of the lesion stays under the same place in each
   frame. The frames are the same size (compare.css), so one CSS transform fits both. Overlay mode stacks the later
   photo over the earlier one, its opacity set by the slider. */
(function () {
  "use strict";

  var MIN_SCALE = 1, MAX_SCALE = 12, STEP = 1.25, PAN_STEP = 40;
  var PAN_KEYS = {
    ArrowLeft: [PAN_STEP, 0], ArrowRight: [-PAN_STEP, 0], ArrowUp: [0, PAN_STEP], ArrowDown: [0, -PAN_STEP],
  };
  var stage = document.getElementById("compare-stage");
  if (!stage) { return; }
  var frames = Array.from(stage.querySelectorAll("[data-compare-frame]"));
  var level = document.getElementById("compare-zoom-level");
  var state = { scale: 1, x: 0, y: 0 };
  var pointers = new Map();
  var pinch = null;

  function clamp(frame) {
    // Keep the photo covering the frame: no panning it out of sight.
    var w = frame.clientWidth, h = frame.clientHeight;
    state.x = Math.min(0, Math.max(w - w * state.scale, state.x));
    state.y = Math.min(0, Math.max(h - h * state.scale, state.y));
  }

  function apply() {
    if (frames.length) { clamp(frames[0]); }
    var transform = "translate(" + state.x + "px, " + state.y + "px) scale(" + state.scale + ")";
    frames.forEach(function (frame) {
      var img = frame.querySelector("img");
      if (img) { img.style.transform = transform; }
      frame.classList.toggle("zoomed", state.scale > 1);
    });
    if (level) { level.textContent = Math.round(state.scale * 100) + "%"; }
  }

  function zoomAt(frame, factor, clientX, clientY) {
    var target = Math.min(MAX_SCALE, Math.max(MIN_SCALE, state.scale * factor));
    var rect = frame.getBoundingClientRect();
    var px = clientX - rect.left, py = clientY - rect.top;
    // The point under the cursor stays put (in both frames, as they share the transform).
    state.x = px - (px - state.x) * target / state.scale;
    state.y = py - (py - state.y) * target / state.scale;
    state.scale = target;
    apply();
  }

  function zoomCentre(factor) {
    var frame = frames[0];
    if (!frame) { return; }
    var rect = frame.getBoundingClientRect();
    zoomAt(frame, factor, rect.left + rect.width / 2, rect.top + rect.height / 2);
  }

  function reset() { state = { scale: 1, x: 0, y: 0 }; apply(); }

  function distance() {
    var p = Array.from(pointers.values());
    return Math.hypot(p[0].x - p[1].x, p[0].y - p[1].y) || 1;
  }

  frames.forEach(function (frame) {
    frame.addEventListener("wheel", function (event) {
      event.preventDefault();
      zoomAt(frame, event.deltaY < 0 ? STEP : 1 / STEP, event.clientX, event.clientY);
    }, { passive: false });
    frame.addEventListener("pointerdown", function (event) {
      frame.setPointerCapture(event.pointerId);
      pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (pointers.size === 2) { pinch = { dist: distance(), scale: state.scale }; }
      frame.classList.add("dragging");
    });
    frame.addEventListener("pointermove", function (event) {
      var previous = pointers.get(event.pointerId);
      if (!previous) { return; }
      var current = { x: event.clientX, y: event.clientY };
      pointers.set(event.pointerId, current);
      if (pointers.size === 2 && pinch) {
        var p = Array.from(pointers.values());
        zoomAt(frame, pinch.scale * distance() / pinch.dist / state.scale, (p[0].x + p[1].x) / 2,
               (p[0].y + p[1].y) / 2);
      } else if (pointers.size === 1) {
        state.x += current.x - previous.x;
        state.y += current.y - previous.y;
        apply();
      }
    });
    function release(event) {
      pointers.delete(event.pointerId);
      if (pointers.size < 2) { pinch = null; }
      if (pointers.size === 0) { frame.classList.remove("dragging"); }
    }
    frame.addEventListener("pointerup", release);
    frame.addEventListener("pointercancel", release);
    frame.addEventListener("dblclick", function (event) { zoomAt(frame, 2, event.clientX, event.clientY); });
    frame.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) { return; }
      if (event.key === "+" || event.key === "=") { zoomCentre(STEP); }
      else if (event.key === "-") { zoomCentre(1 / STEP); }
      else if (event.key === "0") { reset(); }
      else if (PAN_KEYS[event.key] && state.scale > 1) {
        state.x += PAN_KEYS[event.key][0]; state.y += PAN_KEYS[event.key][1]; apply();
      } else { return; }
      event.preventDefault();
    });
  });

  document.querySelectorAll("[data-compare-zoom]").forEach(function (button) {
    button.addEventListener("click", function () {
      var action = button.getAttribute("data-compare-zoom");
      if (action === "in") { zoomCentre(STEP); }
      else if (action === "out") { zoomCentre(1 / STEP); }
      else { reset(); }
    });
  });

  // Overlay: the later photo (frame "b") over the earlier one, at the slider's opacity.
  var overlay = document.getElementById("overlay-mode");
  var slider = document.getElementById("overlay-opacity");
  var sliderValue = document.getElementById("overlay-opacity-value");
  var later = stage.querySelector("[data-compare-frame][data-side=b]");
  function applyOpacity() {
    if (!slider || !later) { return; }
    var on = overlay && overlay.checked;
    later.style.opacity = on ? String(slider.value / 100) : "";
    if (sliderValue) { sliderValue.textContent = slider.value + "%"; }
  }
  if (overlay && slider) {
    overlay.addEventListener("change", function () {
      stage.setAttribute("data-mode", overlay.checked ? "overlay" : "side");
      slider.disabled = !overlay.checked;
      applyOpacity();
      apply();
    });
    slider.addEventListener("input", applyOpacity);
  }

  // A photo picker belongs to the visit shown: once another visit is picked it would name a photo of the old one.
  [["pick-a", "pick-pa"], ["pick-b", "pick-pb"]].forEach(function (pair) {
    var visit = document.getElementById(pair[0]), photo = document.getElementById(pair[1]);
    if (visit && photo) { visit.addEventListener("change", function () { photo.disabled = true; }); }
  });

  window.addEventListener("resize", apply);
  apply();
})();
