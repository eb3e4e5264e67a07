/* leadwire dev board: the 20 newest leads from the management API, refreshed every 2 seconds. */
(function () {
  "use strict";
  var REFRESH_MS = 2000;
  var apiKey = document.querySelector("meta[name=leadwire-api-key]").content;
  var rows = document.getElementById("board-rows");
  var status = document.getElementById("board-status");
  var seen = null;  // lead ids already shown, so new rows can be highlighted

  function cell(row, text, className) {
    var td = document.createElement("td");
    if (className) { td.className = className; }
    if (text === null || text === undefined || text === "") {
      td.innerHTML = '<span class="none">—</span>';
    } else {
      td.textContent = String(text);  // lead data is user input: never parsed as HTML
    }
    row.appendChild(td);
    return td;
  }

  function pill(row, value, kind) {
    var td = cell(row, "", null);
    if (!value) { return td; }
    var span = document.createElement("span");
    span.className = "pill " + kind + "-" + value;
    span.textContent = value;
    td.textContent = "";
    td.appendChild(span);
    return td;
  }

  function created(row, iso) {
    var td = cell(row, "", null);
    if (!iso) { return td; }
    var when = new Date(iso);
    var time = document.createElement("time");
    time.dateTime = iso;
    time.title = iso;
    var today = new Date().toDateString() === when.toDateString();
    time.textContent = today ? when.toLocaleTimeString() : when.toLocaleString();
    td.textContent = "";
    td.appendChild(time);
    return td;
  }

  function render(leads) {
    var fresh = [];
    rows.textContent = "";
    leads.forEach(function (lead) {
      var row = document.createElement("tr");
      row.setAttribute("data-lead-id", lead.id);
      created(row, lead.created_at);
      var name = [lead.first_name, lead.last_name].filter(Boolean).join(" ") || lead.company || lead.email;
      cell(row, name, "name");
      cell(row, lead.source, "source");
      cell(row, typeof lead.score === "number" ? Math.round(lead.score) : null, "score");
      pill(row, lead.stage, "stage").className = "stage";
      cell(row, lead.owner, "owner");
      pill(row, lead.status, "status").className = "status";
      if (seen && !seen[lead.id]) { row.className = "fresh"; }
      fresh.push(lead.id);
      rows.appendChild(row);
    });
    seen = {};
    fresh.forEach(function (id) { seen[id] = true; });
    if (!leads.length) {
      var empty = document.createElement("tr");
      var td = document.createElement("td");
      td.colSpan = 7;
      td.className = "none";
      td.textContent = "No leads yet: send the form and watch it arrive here.";
      empty.appendChild(td);
      rows.appendChild(empty);
    }
  }

  function say(text, bad) {
    status.textContent = text;
    status.className = "board-status" + (bad ? " bad" : "");
  }

  function refresh() {
    fetch("/leads?limit=20", { headers: { "Authorization": "Bearer " + apiKey, "Accept": "application/json" } })
      .then(function (response) {
        if (response.status === 401) { throw new Error("the API key was refused (401)"); }
        if (!response.ok) { throw new Error("the API answered " + response.status); }
        return response.json();
      })
      .then(function (page) {
        render(page.items || []);
        var count = (page.items || []).length;
        say((count === 1 ? "1 lead" : count + " leads") + ", newest first · updated " + new Date().toLocaleTimeString(),
            false);
      })
      .catch(function (error) { say("Could not load leads: " + error.message, true); })
      .then(function () { window.setTimeout(refresh, REFRESH_MS); });
  }

  refresh();
})();
