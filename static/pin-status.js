// "Almost ready": ask the server every second and move on as soon as the PIN is settled.
// Without JavaScript the page's meta refresh does the same, a little slower.
(function () {
  var status = document.getElementById("pin-status");
  if (!status || !window.fetch) { return; }
  var url = status.getAttribute("data-status-url");
  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (body && body.next) { window.location.replace(body.next); } else { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 500);
})();
