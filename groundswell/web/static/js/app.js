/* Groundswell desk UI behaviour. Loaded from /static (the CSP allows no inline script).
 * - charts: every <canvas data-chart='{json}'> becomes a Chart.js chart;
 * - live feed: <tbody data-stream="/feed/stream?..."> receives new rows over SSE;
 * - live cards: <section data-live="/dashboard/stream?..."> is replaced over SSE;
 * - htmx fragments are processed by htmx itself (its config is in a meta tag). */
(function () {
  "use strict";

  var COLOURS = {
    negative: "#c0392b", neutral: "#7f8c8d", positive: "#1e8449", unknown: "#aab0bb"
  };
  var PALETTE = ["#1f5fbf", "#e67e22", "#16a085", "#8e44ad", "#c0392b", "#2c3e50", "#f1c40f"];

  function chartConfig(spec, canvas) {
    var label = canvas.getAttribute("data-label") || "";
    if (spec.type === "doughnut") {
      var keys = spec.keys || spec.labels;
      return {
        type: "doughnut",
        data: {
          labels: spec.labels,
          datasets: [{
            data: spec.values,
            backgroundColor: keys.map(function (k, i) { return COLOURS[k] || PALETTE[i % PALETTE.length]; })
          }]
        },
        options: { maintainAspectRatio: false, animation: false, plugins: { legend: { position: "bottom" } } }
      };
    }
    var names = Object.keys(spec.series || {});
    var datasets = names.map(function (name, i) {
      var colour = COLOURS[name] || PALETTE[i % PALETTE.length];
      return {
        label: (spec.names && spec.names[name]) || (names.length === 1 ? label : name),
        data: spec.series[name],
        backgroundColor: colour,
        borderColor: colour,
        fill: spec.stacked || false,
        tension: 0.2,
        pointRadius: 0
      };
    });
    return {
      type: spec.type || "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        maintainAspectRatio: false,
        animation: false,
        indexAxis: spec.horizontal ? "y" : "x",
        scales: { x: { stacked: !!spec.stacked }, y: { stacked: !!spec.stacked, beginAtZero: true } },
        plugins: { legend: { display: names.length > 1 } }
      }
    };
  }

  function drawCharts(root) {
    if (typeof Chart === "undefined") { return; }
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn) { return; }
      canvas.dataset.drawn = "1";
      try {
        new Chart(canvas, chartConfig(JSON.parse(canvas.getAttribute("data-chart")), canvas));
      } catch (err) {
        console.warn("chart failed", err);
      }
    });
  }

  function liveFeed(body) {
    var base = body.getAttribute("data-stream");
    var status = document.getElementById("live-status");
    var source = null;
    var retry = 1000;

    function newestId() {
      var newest = 0;
      body.querySelectorAll("tr[data-post-id]").forEach(function (row) {
        newest = Math.max(newest, parseInt(row.getAttribute("data-post-id"), 10) || 0);
      });
      return newest;
    }

    function connect() {
      var url = base + (base.indexOf("?") >= 0 ? "&" : "?") + "after=" + newestId();
      source = new EventSource(url);
      source.addEventListener("open", function () {
        retry = 1000;
        if (status) { status.classList.remove("off"); status.setAttribute("data-state", "live"); }
      });
      source.addEventListener("rows", function (event) {
        // Server-rendered, autoescaped rows of our own origin.
        var template = document.createElement("template");
        template.innerHTML = event.data;
        var rows = Array.prototype.slice.call(template.content.querySelectorAll("tr[data-key]"));
        rows.reverse().forEach(function (row) {
          if (body.querySelector('tr[data-key="' + row.getAttribute("data-key") + '"]')) { return; }
          row.classList.add("fresh");
          body.insertBefore(row, body.firstChild);
          if (window.htmx) { window.htmx.process(row); }
        });
        var empty = body.querySelector("tr.empty");
        if (empty && rows.length) { empty.remove(); }
      });
      source.addEventListener("error", function () {
        if (status) { status.classList.add("off"); status.setAttribute("data-state", "reconnecting"); }
        source.close();
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 15000);
      });
    }
    connect();
  }

  /* A card that the server re-renders over SSE (<section data-live="/…/stream">): each
   * event carries the card's new HTML (rendered and escaped by the server's templates). */
  function liveCard(card) {
    var source = new EventSource(card.getAttribute("data-live"));
    var current = card;
    source.addEventListener("since", function (event) {
      var holder = document.createElement("template");
      holder.innerHTML = event.data.trim();
      var fresh = holder.content.firstElementChild;
      if (fresh) {
        current.replaceWith(fresh);
        current = fresh;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts(document);
    var body = document.querySelector("tbody[data-stream]");
    if (body && window.EventSource) { liveFeed(body); }
    if (window.EventSource) { document.querySelectorAll("[data-live]").forEach(liveCard); }
    document.body.addEventListener("htmx:afterSwap", function (event) { drawCharts(event.target); });
  });
})();
