// The findings table: rows built from the JSON in the page, filtered by the
// form above the table, sorted by a click on a column's header.
"use strict";
(function () {
  var data = JSON.parse(document.getElementById("findings-data").textContent) || [];
  var table = document.getElementById("findings-table");
  var body = table.tBodies[0];
  var count = document.getElementById("filter-count");
  var rank = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };
  var sortKey = "time", sortDir = 1;

  function short(arn) {
    return String(arn || "")
      .replace("arn:aws:eks::aws:cluster-access-policy/", "")
      .replace(/arn:aws:iam::(\d{12}):/g, "$1:");
  }

  function duration(s) {
    if (s < 0) return "";
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    if (d) return d + "d " + h + "h";
    if (h) return h + "h " + m + "m";
    if (m) return m + "m " + (s % 60) + "s";
    return s + "s";
  }

  function cell(tr, text, className) {
    var td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    tr.appendChild(td);
    return td;
  }

  function row(f) {
    var tr = document.createElement("tr");
    tr.dataset.id = f.id;
    if (f.drift) tr.className = "drift";
    cell(tr, f.time.replace("T", " "), "nowrap");
    cell(tr, f.cluster, "nowrap");
    cell(tr, f.kind, "nowrap");
    cell(tr, f.change, "nowrap");
    cell(tr, short(f.resource).split("|").join(" "), "wrap");
    var sev = document.createElement("span");
    sev.className = "sev sev-" + f.severity;
    sev.textContent = f.severity;
    cell(tr, "", "nowrap").appendChild(sev);
    cell(tr, f.decision, "nowrap");
    cell(tr, f.outcome === "none" ? "" : f.outcome, f.outcome === "revert-failed" ? "nowrap alarm" : "nowrap");
    var exp = cell(tr, duration(f.exposureSeconds) + (f.exposureOpen ? ", open" : ""), "n nowrap");
    if (f.exposureEnded) exp.title = f.exposureEnded;
    cell(tr, f.who, "wrap").title = f.actor;
    cell(tr, f.reason, "wrap");
    return tr;
  }

  var rows = data.map(function (f) { return { f: f, tr: row(f) }; });

  function value(f, key) {
    if (key === "severity") return rank[f.severity];
    if (key === "exposureSeconds") return f.exposureSeconds;
    return String(f[key] || "").toLowerCase();
  }

  function visible(f) {
    var text = document.getElementById("filter-text").value.trim().toLowerCase();
    var want = {
      cluster: document.getElementById("filter-cluster").value,
      severity: document.getElementById("filter-severity").value,
      decision: document.getElementById("filter-decision").value,
      outcome: document.getElementById("filter-outcome").value
    };
    for (var k in want) {
      if (want[k] && f[k] !== want[k]) return false;
    }
    if (document.getElementById("filter-drift").checked && !f.drift) return false;
    if (text) {
      var hay = [f.resource, f.principal, f.actor, f.who, f.reason, f.kind, f.cluster, f.id].join(" ").toLowerCase();
      if (hay.indexOf(text) < 0) return false;
    }
    return true;
  }

  function render() {
    rows.sort(function (a, b) {
      var x = value(a.f, sortKey), y = value(b.f, sortKey);
      if (x < y) return -sortDir;
      if (x > y) return sortDir;
      return a.f.time < b.f.time ? -1 : a.f.time > b.f.time ? 1 : 0;
    });
    var frag = document.createDocumentFragment(), shown = 0;
    rows.forEach(function (r) {
      if (visible(r.f)) {
        frag.appendChild(r.tr);
        shown++;
      }
    });
    body.replaceChildren(frag);
    count.textContent = shown + " of " + rows.length + " findings";
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    th.querySelector("button").addEventListener("click", function () {
      var key = th.dataset.key;
      sortDir = key === sortKey ? -sortDir : 1;
      sortKey = key;
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) {
        other.removeAttribute("aria-sort");
      });
      th.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
      render();
    });
  });
  document.getElementById("filters").addEventListener("input", render);
  document.getElementById("filters").addEventListener("change", render);

  // A finding's dot on the chart leads to its row.
  Array.prototype.forEach.call(document.querySelectorAll(".chart .point[data-finding]"), function (dot) {
    dot.addEventListener("click", function () {
      var r = rows.find(function (r) { return r.f.id === dot.dataset.finding; });
      if (!r) return;
      if (!r.tr.isConnected) {
        document.getElementById("filters").reset();
        render();
      }
      r.tr.scrollIntoView({ block: "center" });
      r.tr.classList.add("flash");
      setTimeout(function () { r.tr.classList.remove("flash"); }, 1500);
    });
  });

  render();
})();
