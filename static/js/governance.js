/* Live progress of shadow evaluations on the governance pages: polls each in-progress run's progress endpoint,
   updates its status, bar and count, and reloads a run's own page once it ends so its figures appear. */
(function () {
  "use strict";

  var POLL_MS = 2000;
  var ACTIVE = { queued: true, drafting: true, scoring: true };

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-progress-url]"));
  }

  function setText(row, role, text) {
    var el = row.querySelector('[data-role="' + role + '"]');
    if (el && el.textContent !== text) { el.textContent = text; }
  }

  function apply(row, data) {
    setText(row, "status", data.status_label);
    setText(row, "count", data.done + " of " + data.total);
    var bar = row.querySelector('[data-role="bar"]');
    if (bar) { bar.max = data.total; bar.value = data.done; bar.textContent = data.percent + " %"; }
    var ended = !data.in_progress && ACTIVE[row.dataset.status];
    row.dataset.status = data.status;
    if (ended && row.dataset.reloadWhenDone) { window.location.reload(); }
  }

  function poll(row) {
    return fetch(row.dataset.progressUrl, { credentials: "same-origin", cache: "no-store",
                                            headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { apply(row, data); } })
      .catch(function () { /* a missed poll is retried on the next tick */ });
  }

  function tick() {
    var active = rows().filter(function (row) { return ACTIVE[row.dataset.status]; });
    if (!active.length) { return; }
    Promise.all(active.map(poll)).then(function () { window.setTimeout(tick, POLL_MS); });
  }

  window.setTimeout(tick, POLL_MS);
}());
