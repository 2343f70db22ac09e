// The case page's photo upload: drag and drop, a progress bar, per-file results, and a grid refresh.
// Without JavaScript the form still posts normally and the server answers with a redirect and messages.
// Server text (file names, reasons) is only ever inserted with textContent, never as HTML.
(function () {
  "use strict";

  const form = document.getElementById("upload-form");
  if (!form) {
    return;
  }
  const input = document.getElementById("upload-files");
  const camera = document.getElementById("upload-camera");
  const dropzone = document.getElementById("upload-dropzone");
  const progress = document.getElementById("upload-progress");
  const summary = document.getElementById("upload-summary");
  const results = document.getElementById("upload-results");
  const selected = document.getElementById("upload-selected");
  const submit = document.getElementById("upload-submit");
  const csrfInput = form.querySelector("input[name=csrfmiddlewaretoken]");
  const maxFiles = parseInt(form.dataset.maxFiles, 10);
  let busy = false;

  function showSelected(files) {
    const names = Array.from(files, (f) => f.name);
    selected.textContent = names.length ? names.length + " selected: " + names.join(", ") : "";
  }

  function addResult(status, text) {
    const item = document.createElement("li");
    item.className = status;
    if (status === "rejected") {
      const label = document.createElement("strong");
      label.textContent = "Not stored:";
      item.append(label, " ");
    }
    item.append(text);
    results.append(item);
  }

  function describe(report) {
    const parts = [];
    if (report.accepted) parts.push(report.accepted + " added");
    if (report.duplicate) parts.push(report.duplicate + " already in the case");
    if (report.rejected) parts.push(report.rejected + " not stored");
    let text = parts.join(", ") + ".";
    if (report.accepted && report.rejected) {
      text += " The added photos were kept.";
    }
    return text;
  }

  // Scripts that have already run on this page, by URL.
  const loadedScripts = new Set();

  function noteLoadedScripts() {
    document.querySelectorAll("script[src]").forEach((s) => loadedScripts.add(s.getAttribute("src")));
  }

  // Scripts inside parsed HTML never run. The grid's per-image partials may bring one the page has not
  // loaded yet (the AI draft status poller, when the case had no photos before): load it once.
  function runNewScripts(fragment) {
    fragment.querySelectorAll("script[src]").forEach((old) => {
      const src = old.getAttribute("src");
      old.remove();
      if (!loadedScripts.has(src)) {
        loadedScripts.add(src);
        const script = document.createElement("script");
        script.src = src;
        document.head.append(script);
      }
    });
  }

  async function refreshGrid() {
    const grid = document.getElementById("image-grid");
    if (!grid) return;
    const response = await fetch(form.dataset.gridUrl, {
      headers: { "X-Requested-With": "XMLHttpRequest" },
      credentials: "same-origin",
    });
    if (!response.ok) return;
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = doc.getElementById("image-grid");
    if (fresh) {
      noteLoadedScripts();
      runNewScripts(fresh);
      grid.replaceWith(document.adoptNode(fresh));
    }
    // The fragment carries the finding box too: a new photo can end "new photo requested".
    const finding = document.getElementById("case-finding");
    const freshFinding = doc.getElementById("case-finding");
    if (finding && freshFinding) {
      finding.replaceWith(document.adoptNode(freshFinding));
    }
  }

  function updateStatus(report) {
    if (!report.case_status) return;
    // The page shows the case status in more than one place (heading, finding card).
    ["case-status", "finding-status"].forEach((id) => {
      const badge = document.getElementById(id);
      if (badge) {
        badge.textContent = report.case_status_display;
        badge.className = "status status-" + report.case_status;
      }
    });
  }

  // The same words as the server's refusal (cases/services/upload.py, upload_files_read).
  function tooManyFiles(count) {
    return "At most " + maxFiles + " files per upload; you sent " + count +
      ". Nothing was stored; upload them in groups of at most " + maxFiles + ".";
  }

  // The server's own words for a refused request: the page's JSON ({error: {message}}) or the API's ({detail}).
  function refusalMessage(report) {
    if (!report || !report.error) return "";
    if (report.error.message) return report.error.message;
    return typeof report.detail === "string" ? report.detail : "";
  }

  function finish(xhr) {
    busy = false;
    submit.disabled = false;
    progress.classList.add("hidden");
    let report = null;
    try {
      report = JSON.parse(xhr.responseText);
    } catch (e) {
      report = null;
    }
    const refusal = refusalMessage(report);
    if (refusal) {
      summary.textContent = refusal;
      return;
    }
    if (!report || !Array.isArray(report.files)) {
      summary.textContent = xhr.status === 403
        ? "Your role does not allow uploading photos."
        : "The upload failed (HTTP " + xhr.status + "). Nothing new was stored; try again.";
      return;
    }
    summary.textContent = describe(report);
    report.files.forEach((f) => addResult(f.status, f.message));
    updateStatus(report);
    form.reset();
    showSelected([]);
    if (report.accepted) {
      refreshGrid();
    }
  }

  function upload(files) {
    if (busy || !files.length) return;
    if (maxFiles && files.length > maxFiles) {
      // Refused here, without sending megabytes the server would refuse as a whole.
      results.replaceChildren();
      summary.textContent = tooManyFiles(files.length);
      return;
    }
    busy = true;
    submit.disabled = true;
    results.replaceChildren();
    summary.textContent = "Uploading " + files.length + (files.length === 1 ? " photo…" : " photos…");
    const data = new FormData();
    data.append("capture_type", form.elements.capture_type.value);
    Array.from(files).forEach((file) => data.append("files", file, file.name));

    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", csrfInput.value);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.setRequestHeader("Accept", "application/json");
    progress.value = 0;
    progress.classList.remove("hidden");
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) {
        progress.value = Math.round((event.loaded / event.total) * 100);
        progress.textContent = progress.value + "%";
      }
    });
    xhr.upload.addEventListener("load", () => {
      summary.textContent = "Checking and cleaning the photos…";
    });
    xhr.addEventListener("load", () => finish(xhr));
    xhr.addEventListener("error", () => {
      busy = false;
      submit.disabled = false;
      progress.classList.add("hidden");
      summary.textContent = "The connection failed during the upload; nothing may have been stored. Try again.";
    });
    xhr.send(data);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    upload(input.files);
  });
  input.addEventListener("change", () => showSelected(input.files));
  // The camera input only on touch devices: on a desktop `capture` means nothing but a second file picker.
  if (camera) {
    if (window.matchMedia("(pointer: coarse)").matches) {
      camera.setAttribute("capture", camera.dataset.capture || "environment");
    } else {
      const box = document.getElementById("upload-camera-box");
      if (box) box.hidden = true;
    }
  }
  // A photo just taken with the camera is uploaded at once: there is nothing else to choose.
  if (camera) {
    camera.addEventListener("change", () => {
      upload(camera.files);
      camera.value = "";
    });
  }

  ["dragenter", "dragover"].forEach((name) =>
    dropzone.addEventListener(name, (event) => {
      event.preventDefault();
      dropzone.classList.add("dragover");
    })
  );
  ["dragleave", "dragend"].forEach((name) =>
    dropzone.addEventListener(name, () => dropzone.classList.remove("dragover"))
  );
  dropzone.addEventListener("drop", (event) => {
    event.preventDefault();
    dropzone.classList.remove("dragover");
    if (event.dataTransfer && event.dataTransfer.files.length) {
      upload(event.dataTransfer.files);
    }
  });
})();
