// Forms marked `data-confirm="question"` ask before they are sent (stopping a campaign,
// rotating a secret). A script served from /static rather than an inline `onsubmit=`
// attribute: the pages' Content-Security-Policy runs no inline script (web/security_headers.py).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
