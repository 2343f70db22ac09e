/* The review page from the keyboard: shortcuts, their "?" help dialog, and the photo thumbnail strip.
   Letter keys never fire while the reviewer types in a text field (only the Alt+ ones do), so typing a finding is
   never taken for a command. The server enforces every rule; these only move focus and press what a mouse would. */
(function () {
  "use strict";

  var SHORTCUTS = [
    ["?", "Show this list of shortcuts"],
    ["c  or  Alt+C", "Confirm the current field's AI draft and go to the next field"],
    ["n / p  or  Alt+↓ / Alt+↑", "Next / previous field"],
    ["a", "Go to the attestation and the Sign buttons"],
    ["+ / − / 0", "Zoom the photo in / out / back to fit"],
    ["Arrow keys", "Pan the photo while it is zoomed"],
    ["] / [", "Next / previous photo"],
    ["Esc", "Close this list"],
  ];
  var NOT_TYPING = ["checkbox", "radio", "button", "submit", "reset", "range", "file", "color", "image"];

  function isTyping(el) {
    if (!el || !el.tagName) { return false; }
    var tag = el.tagName.toLowerCase();
    if (tag === "textarea" || tag === "select" || el.isContentEditable) { return true; }
    return tag === "input" && NOT_TYPING.indexOf((el.getAttribute("type") || "text").toLowerCase()) === -1;
  }

  // --- Photos: the thumbnail strip shows one photo at a time; keys and clicks switch it. ------------------------
  var blocks = Array.from(document.querySelectorAll(".viewer-block"));
  var strip = document.getElementById("thumb-strip");
  var thumbs = strip ? Array.from(strip.querySelectorAll("[data-photo-index]")) : [];
  var currentPhoto = 0;

  function showPhoto(index, focusThumb) {
    if (!blocks.length) { return; }
    currentPhoto = (index + blocks.length) % blocks.length;
    if (thumbs.length) {
      blocks.forEach(function (block, i) { block.hidden = i !== currentPhoto; });
      thumbs.forEach(function (thumb, i) { thumb.setAttribute("aria-pressed", String(i === currentPhoto)); });
      if (focusThumb) { thumbs[currentPhoto].focus(); }
    }
    var status = document.getElementById("thumb-status");
    if (status) { status.textContent = "Photo " + (currentPhoto + 1) + " of " + blocks.length + " shown."; }
  }

  if (strip && thumbs.length > 1) {
    strip.hidden = false;
    thumbs.forEach(function (thumb, i) {
      thumb.addEventListener("click", function () { showPhoto(i, false); });
    });
    strip.addEventListener("keydown", function (event) {
      if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        showPhoto(currentPhoto + (event.key === "ArrowRight" ? 1 : -1), true);
        event.preventDefault();
      }
    });
    showPhoto(0, false);
  }

  function viewer() {
    var viewers = window.dermreviewViewers || [];
    return viewers[currentPhoto] || null;
  }

  // --- Finding fields: the current one, confirm, next / previous. ----------------------------------------------
  var rows = Array.from(document.querySelectorAll("#sign-form .finding-field"));
  var currentField = 0;

  rows.forEach(function (row, i) {
    row.addEventListener("focusin", function () { currentField = i; });
  });

  // A field's keyboard target: its Confirm box where it has one (so the next letter key is still a shortcut),
  // otherwise the text field itself (a field without an AI draft is typed by hand).
  function focusField(index) {
    if (!rows.length) { return; }
    currentField = Math.max(0, Math.min(rows.length - 1, index));
    var row = rows[currentField];
    var confirm = row.querySelector(".confirm:not(.hidden) input[type=checkbox]");
    var target = confirm || row.querySelector("input[type=text], textarea");
    if (target) {
      target.focus();
      row.scrollIntoView({ block: "nearest" });
    }
  }

  function confirmField() {
    if (!rows.length) { return; }
    var confirm = rows[currentField].querySelector(".confirm:not(.hidden) input[type=checkbox]");
    if (confirm && !confirm.checked) {
      confirm.checked = true;
      confirm.dispatchEvent(new Event("change", { bubbles: true }));
    }
    if (currentField < rows.length - 1) { focusField(currentField + 1); }
  }

  function focusAttestation() {
    var box = document.querySelector("#sign-form .attest input[type=checkbox]");
    if (box) {
      box.focus();
      box.scrollIntoView({ block: "center" });
    }
  }

  // --- The help dialog: role=dialog, focus kept inside while open, Esc closes, focus goes back. -----------------
  var dialog = null, opener = null;

  function buildDialog() {
    var backdrop = document.createElement("div");
    backdrop.className = "kbd-help-backdrop";
    backdrop.hidden = true;
    var box = document.createElement("div");
    box.className = "kbd-help card";
    box.id = "kbd-help";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-modal", "true");
    box.setAttribute("aria-labelledby", "kbd-help-title");
    box.tabIndex = -1;
    var title = document.createElement("h2");
    title.id = "kbd-help-title";
    title.textContent = "Keyboard shortcuts";
    var list = document.createElement("dl");
    list.className = "kbd-list";
    SHORTCUTS.forEach(function (pair) {
      var dt = document.createElement("dt");
      var kbd = document.createElement("kbd");
      kbd.textContent = pair[0];
      dt.append(kbd);
      var dd = document.createElement("dd");
      dd.textContent = pair[1];
      list.append(dt, dd);
    });
    var note = document.createElement("p");
    note.className = "hint";
    note.textContent = "Letter keys do nothing while you type in a field; use the Alt+ shortcuts there.";
    var close = document.createElement("button");
    close.type = "button";
    close.id = "kbd-help-close";
    close.textContent = "Close";
    close.addEventListener("click", closeHelp);
    box.append(title, list, note, close);
    backdrop.append(box);
    backdrop.addEventListener("click", function (event) { if (event.target === backdrop) { closeHelp(); } });
    box.addEventListener("keydown", trapFocus);
    document.body.append(backdrop);
    return backdrop;
  }

  function trapFocus(event) {
    if (event.key === "Escape") {
      closeHelp();
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    if (event.key !== "Tab") { return; }
    var focusable = Array.from(dialog.querySelectorAll("button, a[href], input, select, textarea, [tabindex='0']"));
    var first = focusable[0], last = focusable[focusable.length - 1];
    if (event.shiftKey && (document.activeElement === first || !dialog.contains(document.activeElement))) {
      last.focus();
      event.preventDefault();
    } else if (!event.shiftKey && document.activeElement === last) {
      first.focus();
      event.preventDefault();
    }
  }

  function openHelp() {
    dialog = dialog || buildDialog();
    opener = document.activeElement;
    dialog.hidden = false;
    document.getElementById("kbd-help-close").focus();
  }

  function closeHelp() {
    if (!dialog || dialog.hidden) { return; }
    dialog.hidden = true;
    if (opener && opener.focus) { opener.focus(); }
  }

  function helpOpen() { return dialog !== null && !dialog.hidden; }

  // A visible way in for people who do not know about "?".
  var bar = document.getElementById("claim-bar");
  if (bar) {
    var helpButton = document.createElement("button");
    helpButton.type = "button";
    helpButton.id = "kbd-help-button";
    helpButton.setAttribute("aria-keyshortcuts", "?");
    helpButton.textContent = "Keyboard shortcuts (?)";
    helpButton.addEventListener("click", openHelp);
    bar.append(helpButton);
  }

  // --- The keys. -------------------------------------------------------------------------------------------------
  function withAlt(event) {
    if (event.code === "KeyC") { confirmField(); return true; }
    if (event.target && event.target.tagName === "SELECT") { return false; }  // Alt+↓ opens a select
    if (event.key === "ArrowDown") { focusField(currentField + 1); return true; }
    if (event.key === "ArrowUp") { focusField(currentField - 1); return true; }
    return false;
  }

  var PLAIN = {
    "?": openHelp,
    "c": confirmField,
    "n": function () { focusField(currentField + 1); },
    "p": function () { focusField(currentField - 1); },
    "a": focusAttestation,
    "]": function () { showPhoto(currentPhoto + 1, false); },
    "[": function () { showPhoto(currentPhoto - 1, false); },
    "+": function () { if (viewer()) { viewer().zoomIn(); } },
    "=": function () { if (viewer()) { viewer().zoomIn(); } },
    "-": function () { if (viewer()) { viewer().zoomOut(); } },
    "0": function () { if (viewer()) { viewer().reset(); } },
  };
  var PAN = { ArrowLeft: [40, 0], ArrowRight: [-40, 0], ArrowUp: [0, 40], ArrowDown: [0, -40] };

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || helpOpen() || event.ctrlKey || event.metaKey) { return; }
    if (event.altKey) {
      if (withAlt(event)) { event.preventDefault(); }
      return;
    }
    if (isTyping(event.target)) { return; }
    var action = PLAIN[event.key];
    if (action) {
      action();
      event.preventDefault();
      return;
    }
    // Arrows pan only a zoomed photo and only outside the strip (where they switch photos): otherwise they scroll.
    var v = viewer();
    if (PAN[event.key] && v && v.zoomed() && !(strip && strip.contains(event.target))) {
      v.pan(PAN[event.key][0], PAN[event.key][1]);
      event.preventDefault();
    }
  });

  // "Sign and open next" lands here read-only: "Start review" is focused, one Enter away (the claim stays a press).
  if (window.location.hash === "#start-review") {
    var start = document.getElementById("start-review-button");
    if (start) { start.focus(); }
  }
})();
