/* Upload Files: the button, the camera, or files dropped on the area. Each file goes up on its
   own request with a progress bar, then says "Success!" or why not, with a Retry button.
   Without this script the same form posts the files the plain way. */
(function () {
  "use strict";

  function text(el, words) { el.textContent = words; return el; }

  function make(tag, className, words) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    if (words) { text(el, words); }
    return el;
  }

  function answerOf(xhr) {
    try { return JSON.parse(xhr.responseText); } catch (e) { return null; }
  }

  function setup(form) {
    var list = form.querySelector("[data-upload-list]");
    var zone = form.querySelector("[data-dropzone]");
    var token = form.querySelector("input[name=csrf_token]");
    var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10) || 0;
    form.classList.add("upload-js");

    function chosenType() {
      var field = form.querySelector("[name=document_type]");
      return field ? field.value : "";
    }

    function upload(file, item) {
      item = item || list.appendChild(make("li", "upload-item"));
      item.setAttribute("data-testid", "upload-item");
      item.textContent = "";
      item.className = "upload-item";
      item.appendChild(make("span", "upload-name", file.name));
      var bar = item.appendChild(make("progress", "upload-progress"));
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute("data-testid", "upload-progress");
      bar.setAttribute("aria-label", "Uploading " + file.name);
      var status = item.appendChild(make("span", "upload-status", "Uploading\u2026"));
      status.setAttribute("role", "status");

      function failed(message) {
        item.classList.add("upload-failed");
        bar.hidden = true;
        text(status, message);
        var retry = item.appendChild(make("button", "upload-retry secondary", "Retry"));
        retry.type = "button";
        retry.addEventListener("click", function () { upload(file, item); });
      }

      if (!chosenType()) {
        failed("Choose what kind of document this is first, then retry.");
        return;
      }
      if (maxBytes && file.size > maxBytes) {
        failed("This file is larger than " + Math.round(maxBytes / 1048576) + " MB, the most we accept. " +
               "Send a smaller file: a scan or photo at a lower resolution, or one page at a time.");
        return;
      }
      if (file.size === 0) {
        failed("The file is empty. Choose the file again; if it still fails, save or scan it again.");
        return;
      }

      var data = new FormData();
      data.append("csrf_token", token ? token.value : "");
      data.append("document_type", chosenType());
      ["classification_code", "next"].forEach(function (name) {
        var field = form.querySelector("[name=" + name + "]");
        if (field) { data.append(name, field.value); }
      });
      data.append("file", file, file.name);

      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      if (token) { xhr.setRequestHeader("X-CSRFToken", token.value); }
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          bar.value = Math.round(event.loaded / event.total * 100);
          if (event.loaded === event.total) { text(status, "Checking the file\u2026"); }
        }
      });
      xhr.addEventListener("load", function () {
        var answer = answerOf(xhr);
        if ((xhr.status === 200 || xhr.status === 201) && answer && answer.document) {
          bar.value = 100;
          item.classList.add("upload-done");
          text(status, answer.message || "Success!");
          form.dispatchEvent(new CustomEvent("hub:uploaded", {bubbles: true, detail: answer}));
        } else if (answer && answer.message) {
          failed(answer.message);
        } else if (xhr.responseURL && xhr.responseURL.indexOf("/login") !== -1) {
          failed("You were logged out. Log in again in another tab, then retry.");
        } else {
          failed("The upload did not go through (error " + xhr.status + "). Please retry.");
        }
      });
      xhr.addEventListener("error", function () {
        failed("The upload was interrupted. Check your connection, then retry.");
      });
      xhr.send(data);
    }

    function send(files) {
      Array.prototype.forEach.call(files, function (file) { upload(file); });
    }

    form.querySelectorAll("input[type=file]").forEach(function (input) {
      input.addEventListener("change", function () {
        send(input.files);
        input.value = "";
      });
    });
    form.querySelectorAll("[data-opens]").forEach(function (button) {
      button.addEventListener("click", function () {
        document.getElementById(button.getAttribute("data-opens")).click();
      });
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); });

    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dropzone-over");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("dropzone-over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) { send(event.dataTransfer.files); }
    });
  }

  document.querySelectorAll("form[data-upload]").forEach(setup);
})();
