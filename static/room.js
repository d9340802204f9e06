// The room page: kept on the guest's phone for the door without signal, and offered for the
// home screen. Everything here is an extra: without it the page works as a plain page.
(function () {
  var page = document.getElementById("room-page");
  if (!page) { return; }

  // Code still being set: look every 2 s, and reload only once it has changed (no timed refresh).
  if (page.getAttribute("data-pin-state") === "pending" && window.fetch) {
    var look = function () {
      fetch(location.href, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          if (html.indexOf('data-pin-state="pending"') === -1) { location.reload(); } else { setTimeout(look, 2000); }
        })
        .catch(function () { setTimeout(look, 4000); });
    };
    setTimeout(look, 2000);
  }

  var offlineNote = document.getElementById("offline-note");
  function showConnection() { offlineNote.hidden = navigator.onLine; }
  window.addEventListener("online", showConnection);
  window.addEventListener("offline", showConnection);
  showConnection();

  if ("serviceWorker" in navigator) {
    var workers = navigator.serviceWorker;
    // A page the worker served is kept already; on a first visit the worker was not there yet.
    var servedByWorker = Boolean(workers.controller);
    workers.addEventListener("message", function (event) {
      if (event.data && event.data.kept === location.href) { page.setAttribute("data-offline-ready", "true"); }
    });
    workers.register(page.getAttribute("data-worker"))
      .then(function () { return workers.ready; })
      .then(function (registration) {
        if (servedByWorker) {
          page.setAttribute("data-offline-ready", "true");
        } else {
          registration.active.postMessage({ keep: location.href });
        }
      })
      .catch(function () { /* no offline copy: the page still works online */ });
  }

  var installButton = document.getElementById("install-button");
  var installHint = document.getElementById("install-hint");
  var installPrompt = null;
  if (window.matchMedia && window.matchMedia("(display-mode: standalone)").matches) {
    installHint.hidden = true;  // opened from the home screen already
  }
  // Chromium offers installation through this event; other browsers keep the written hint.
  window.addEventListener("beforeinstallprompt", function (event) {
    event.preventDefault();
    installPrompt = event;
    installButton.hidden = false;
    installHint.hidden = true;
  });
  installButton.addEventListener("click", function () {
    if (!installPrompt) { return; }
    installPrompt.prompt();
    installPrompt.userChoice.then(function () {
      installPrompt = null;
      installButton.hidden = true;
    });
  });
  window.addEventListener("appinstalled", function () {
    installButton.hidden = true;
    installHint.hidden = true;
  });
})();
