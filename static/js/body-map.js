/* The patient page's body map: a click (mouse) or a tap (touch) on the figure gives the position as fractions of
   the figure (0-1 from its top left). In "new" mode it fills the "Add a lesion" form and shows where the lesion
   will go; in "move" mode it fills the move form and sends it. Without this script both forms take the numbers
   typed in, and the markers are plain links either way. */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";

  function fraction(svg, event) {
    // The figure's own units under the pointer, whatever size the page draws it at.
    var point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    var matrix = svg.getScreenCTM();
    if (!matrix) { return null; }
    var local = point.matrixTransform(matrix.inverse());
    var x = local.x / Number(svg.dataset.width), y = local.y / Number(svg.dataset.height);
    if (!(x >= 0 && x <= 1 && y >= 0 && y <= 1)) { return null; }
    return { x: Math.round(x * 10000) / 10000, y: Math.round(y * 10000) / 10000, cx: local.x, cy: local.y };
  }

  function setValue(form, name, value) {
    var field = form.querySelector("[name='" + name + "']");
    if (field) {
      field.value = value;
      field.dispatchEvent(new Event("change", { bubbles: true }));
    }
    return field;
  }

  function showPending(svg, spot) {
    var marker = svg.querySelector(".pending-marker");
    if (!marker) {
      marker = document.createElementNS(SVG_NS, "g");
      marker.setAttribute("class", "pending-marker");
      marker.setAttribute("aria-hidden", "true");
      var ring = document.createElementNS(SVG_NS, "circle");
      ring.setAttribute("r", "9");
      var dot = document.createElementNS(SVG_NS, "circle");
      dot.setAttribute("r", "2.5");
      dot.setAttribute("class", "dot");
      marker.appendChild(ring);
      marker.appendChild(dot);
      svg.appendChild(marker);
    }
    marker.setAttribute("transform", "translate(" + spot.cx + " " + spot.cy + ")");
  }

  function announce(text) {
    var help = document.getElementById("body-map-help");
    if (help) { help.textContent = text; }
  }

  function percent(value) { return Math.round(value * 100) + "%"; }

  function placeNew(svg, spot) {
    var form = document.getElementById("lesion-form");
    if (!form) { return; }
    setValue(form, "lesion-view", svg.dataset.view);
    setValue(form, "lesion-x", spot.x);
    setValue(form, "lesion-y", spot.y);
    showPending(svg, spot);
    announce("New lesion at " + percent(spot.x) + " across, " + percent(spot.y) + " down on the " +
      svg.dataset.view + " view. Fill in its details under \u201cAdd a lesion\u201d and press Add lesion.");
    var site = form.querySelector("[name='lesion-body_site']");
    if (site) {
      // Keep the figure in view on a phone: the form is below it, focus without jumping there.
      site.focus({ preventScroll: true });
    }
  }

  function move(svg, spot) {
    var form = document.getElementById("place-form");
    if (!form) { return; }
    setValue(form, "place-view", svg.dataset.view);
    setValue(form, "place-x", spot.x);
    setValue(form, "place-y", spot.y);
    showPending(svg, spot);
    announce("Saving the new position\u2026");
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  function init() {
    var svg = document.getElementById("body-map-figure");
    if (!svg || svg.dataset.mode === "view") { return; }
    svg.addEventListener("click", function (event) {
      // A marker is a link to its lesion: following it is not placing anything.
      if (event.target.closest && event.target.closest("a.marker")) { return; }
      var spot = fraction(svg, event);
      if (!spot) { return; }
      event.preventDefault();
      if (svg.dataset.mode === "move") { move(svg, spot); } else { placeNew(svg, spot); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
