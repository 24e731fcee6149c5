// Saving a match from its result page: the request (JSON in #save-request) is POSTed to
// /match with save: true and the write token as a bearer header, never in an address; on
// success the page goes to the stored match.
(function () {
  "use strict";
  var form = document.getElementById("save-form");
  var data = document.getElementById("save-request");
  if (!form || !data) {
    return;
  }
  var status = document.getElementById("save-status");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var token = document.getElementById("save-token").value;
    var body = JSON.parse(data.textContent);
    body.save = true;
    status.textContent = form.getAttribute("data-busy");
    fetch("/match", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        Authorization: "Bearer " + token,
      },
      body: JSON.stringify(body),
      credentials: "omit",
    })
      .then(function (response) {
        if (response.status === 401 || response.status === 403) {
          status.textContent = form.getAttribute("data-denied");
          return null;
        }
        if (!response.ok) {
          status.textContent = form.getAttribute("data-failed").replace("{status}", response.status);
          return null;
        }
        return response.json();
      })
      .then(function (answer) {
        if (answer && answer.id) {
          var lang = encodeURIComponent(form.getAttribute("data-lang"));
          window.location.assign("/match/" + encodeURIComponent(answer.id) + "?lang=" + lang);
        }
      })
      .catch(function () {
        status.textContent = form.getAttribute("data-failed").replace("{status}", "-");
      });
  });
})();
