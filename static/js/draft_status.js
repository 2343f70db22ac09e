/* Live AI draft status on the case page: polls the case's draft status while a draft is queued or running,
   updates each image's badge and queue position, and re-fetches an image's fragment when its draft finishes. */
(function () {
  "use strict";

  var POLL_MS = 2000;
  var PAUSED_POLL_MS = 10000;
  var PENDING = { queued: true, running: true };

  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll(".image-draft[data-status-url]"));
  }

  function boxFor(imageId) {
    return document.getElementById("image-draft-" + imageId);
  }

  function anyPending() {
    return boxes().some(function (box) { return PENDING[box.dataset.status]; });
  }

  function setText(box, role, text) {
    var el = box.querySelector('[data-role="' + role + '"]');
    if (el && el.textContent !== text) { el.textContent = text; }
  }

  function replaceFragment(box) {
    return fetch(box.dataset.fragmentUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var holder = document.createElement("template");
        holder.innerHTML = html.trim();
        var fresh = holder.content.querySelector(".image-draft");
        if (fresh && box.parentNode) { box.parentNode.replaceChild(fresh, box); }
      });
  }

  function apply(item) {
    var box = boxFor(item.image_id);
    if (!box) { return null; }
    var before = box.dataset.status;
    setText(box, "badge", item.status_label);
    setText(box, "detail", item.detail);
    if (before !== item.status) {
      var badge = box.querySelector('[data-role="badge"]');
      if (badge) { badge.className = "draft-badge draft-badge-" + item.status; }
      box.classList.remove("draft-" + before);
      box.classList.add("draft-" + item.status);
      box.dataset.status = item.status;
      if (!PENDING[item.status]) { return replaceFragment(box); }
    }
    return null;
  }

  function poll(url) {
    return fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("draft status " + response.status); }
        return response.json();
      })
      .then(function (data) {
        data.images.forEach(apply);
        return data;
      });
  }

  var timer = null;
  var inFlight = false;

  function schedule(delay) {
    if (timer === null && !inFlight) { timer = window.setTimeout(tick, delay); }
  }

  function tick() {
    timer = null;
    var urls = {};
    boxes().forEach(function (box) { urls[box.dataset.statusUrl] = true; });
    var list = Object.keys(urls);
    if (!list.length || !anyPending()) { return; }
    inFlight = true;
    Promise.all(list.map(poll)).then(function (results) {
      inFlight = false;
      var paused = results.some(function (data) { return data.paused; });
      if (anyPending()) { schedule(paused ? PAUSED_POLL_MS : POLL_MS); }
    }).catch(function () {
      inFlight = false;
      schedule(PAUSED_POLL_MS);  // the server may be restarting: back off, keep the page as it is
    });
  }

  function start() {
    if (anyPending()) { schedule(POLL_MS); }
    // The upload widget re-renders the image grid after an upload: start polling for the new photos' drafts.
    if (window.MutationObserver) {
      new MutationObserver(function () { if (anyPending()) { schedule(POLL_MS); } })
        .observe(document.body, { childList: true, subtree: true });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  window.DermReviewDraftStatus = { refresh: tick };
}());
