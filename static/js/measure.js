/* The scale and measuring tool of a photo (templates/cases/capture_details.html, cases/_capture_details.html).
 *
 * Two taps or clicks on the photo mark two points. They are converted from the screen to the stored photo's
 * pixels (the display copy may be smaller, the page scales it, and the review viewer zooms and pans it with a CSS
 * transform, which getBoundingClientRect includes), so the server computes millimetres in stored pixels.
 * "scale" fills the scale form's `points`; "measure" posts them and shows the server's answer in millimetres.
 */
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";

  function parsePoints(text) {
    var n = (text || "").split(",").map(Number);
    return n.length === 4 && n.every(isFinite) ? [[n[0], n[1]], [n[2], n[3]]] : null;
  }

  function Tool(root) {
    var self = this;
    var figure = root.closest("figure");
    this.root = root;
    this.width = Number(root.dataset.imageWidth);
    this.height = Number(root.dataset.imageHeight);
    this.stage = root.querySelector("[data-measure-stage]") || (figure && figure.querySelector("[data-viewer]"));
    if (!this.stage || !this.width || !this.height) { return; }
    this.img = this.stage.querySelector("img");
    this.overlay = root.querySelector("[data-measure-overlay]");
    this.output = root.querySelector("[data-measure-output]");
    this.form = root.querySelector("[data-scale-form]");
    this.mode = null;
    this.points = [];
    this.marks = [];
    root.querySelectorAll("[data-measure-action]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { self.start(button.dataset.measureAction); });
    });
    // Capture phase: while measuring, a tap marks a point instead of starting the review viewer's pan.
    this.stage.addEventListener("pointerdown", function (event) {
      if (!self.mode) { return; }
      event.preventDefault();
      event.stopPropagation();
      self.lastPointAt = Date.now();
      self.addPoint(event.clientX, event.clientY);
    }, true);
    // Two quick taps are the two ends, not a double-tap zoom of the review viewer.
    this.stage.addEventListener("dblclick", function (event) {
      if (self.mode || Date.now() - (self.lastPointAt || 0) < 800) { event.stopPropagation(); }
    }, true);
    this.drawSaved(root.dataset.scalePoints, "scale");
    this.drawSaved(root.dataset.measuredPoints, "measure");
  }

  Tool.prototype.say = function (text, isError) {
    if (!this.output) { return; }
    this.output.textContent = text;
    this.output.classList.toggle("measure-error", Boolean(isError));
  };

  Tool.prototype.start = function (mode) {
    this.mode = mode;
    this.points = [];
    this.clearMarks();
    this.stage.classList.add("measuring");
    this.say(mode === "scale"
      ? "Tap the first of the two points (an end of the lesion's known diameter, or a ruler mark)."
      : "Tap one end of the lesion's longest diameter.");
  };

  // Screen point -> stored-photo pixels. The image is drawn "contained" in its box (object-fit: contain on the
  // review page), so the photo's own area is found from its aspect ratio.
  Tool.prototype.toStored = function (clientX, clientY) {
    var rect = this.img.getBoundingClientRect();
    var s = Math.min(rect.width / this.width, rect.height / this.height);
    var left = rect.left + (rect.width - this.width * s) / 2;
    var top = rect.top + (rect.height - this.height * s) / 2;
    var x = (clientX - left) / s;
    var y = (clientY - top) / s;
    if (!(s > 0) || x < 0 || y < 0 || x > this.width || y > this.height) { return null; }
    return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
  };

  Tool.prototype.addPoint = function (clientX, clientY) {
    var point = this.toStored(clientX, clientY);
    if (!point) { this.say("Tap on the photo itself.", true); return; }
    this.points.push(point);
    this.mark(point, clientX, clientY, this.mode);
    if (this.points.length === 1) {
      this.say(this.mode === "scale" ? "Now tap the second point." : "Now tap the opposite end.");
      return;
    }
    var mode = this.mode;
    this.mode = null;
    this.stage.classList.remove("measuring");
    if (mode === "scale") { this.scaleMarked(); } else { this.send(); }
  };

  Tool.prototype.scaleMarked = function () {
    var a = this.points[0], b = this.points[1];
    var px = Math.hypot(b[0] - a[0], b[1] - a[1]);
    if (this.form) { this.form.querySelector("[name=points]").value = a.concat(b).join(","); }
    this.say("Two points marked, " + px.toFixed(1) + " px apart on the stored photo. Enter the millimetres " +
      "between them and save the scale.");
    var mm = this.form && this.form.querySelector("[name=mm]");
    if (mm) { mm.focus(); }
  };

  Tool.prototype.send = function () {
    var self = this;
    var body = new FormData();
    var token = document.querySelector("[name=csrfmiddlewaretoken]");
    body.append("points", this.points[0].concat(this.points[1]).join(","));
    body.append("csrfmiddlewaretoken", token ? token.value : "");
    this.say("Measuring…");
    fetch(this.root.dataset.measureUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-Requested-With": "XMLHttpRequest", "Accept": "application/json"},
    }).then(function (response) {
      return response.json().then(function (data) { return {ok: response.ok, data: data}; });
    }).then(function (result) {
      if (result.ok) {
        self.say("Longest diameter: " + result.data.measured_label);
        self.root.dataset.measuredMm = result.data.measured_label;
      } else {
        self.say(result.data.error ? result.data.error.message : "Not measured.", true);
      }
    }).catch(function () { self.say("Not measured: the server could not be reached.", true); });
  };

  Tool.prototype.clearMarks = function () {
    this.marks.forEach(function (node) { node.remove(); });
    this.marks = [];
  };

  Tool.prototype.drawSaved = function (text, kind) {
    var points = parsePoints(text);
    if (!points || !this.overlay) { return; }
    this.mark(points[0], null, null, kind);
    this.points = [points[0]];
    this.mark(points[1], null, null, kind);
    this.points = [];
  };

  Tool.prototype.mark = function (point, clientX, clientY, kind) {
    if (this.overlay) {  // the capture details page: an SVG in stored-photo pixels over the photo
      var radius = Math.max(this.width, this.height) / 120;
      var dot = document.createElementNS(SVG, "circle");
      dot.setAttribute("cx", point[0]); dot.setAttribute("cy", point[1]); dot.setAttribute("r", radius);
      dot.setAttribute("class", "measure-dot measure-" + kind);
      this.overlay.appendChild(dot);
      this.marks.push(dot);
      var first = this.points.length === 2 ? this.points[0] : null;
      if (first) {
        var line = document.createElementNS(SVG, "line");
        line.setAttribute("x1", first[0]); line.setAttribute("y1", first[1]);
        line.setAttribute("x2", point[0]); line.setAttribute("y2", point[1]);
        line.setAttribute("class", "measure-line measure-" + kind);
        this.overlay.appendChild(line);
        this.marks.push(line);
      }
      return;
    }
    if (clientX === null) { return; }
    var stageRect = this.stage.getBoundingClientRect();  // the review viewer: a dot where the tap was
    var span = document.createElement("span");
    span.className = "measure-mark";
    span.style.left = (clientX - stageRect.left) + "px";
    span.style.top = (clientY - stageRect.top) + "px";
    this.stage.appendChild(span);
    this.marks.push(span);
  };

  document.querySelectorAll("[data-measure-tool]").forEach(function (root) { new Tool(root); });
}());
