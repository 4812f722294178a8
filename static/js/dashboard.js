// Director dashboard: Chart.js charts fed by /dashboard/data/ for the chosen range, refreshed on live
// events. Every time is shown in the console's time zone (data-time-zone), the one the page names.
(function () {
  "use strict";
  let volumeChart = null;
  let sentimentChart = null;
  let section = null;

  function zoneFormat(options) {
    return new Intl.DateTimeFormat(section.dataset.locale || undefined, { timeZone: section.dataset.timeZone || undefined, ...options });
  }

  function when(iso, withDate) {
    const options = withDate ? { dateStyle: "short", timeStyle: "short" } : { hour: "2-digit", minute: "2-digit" };
    return zoneFormat(options).format(new Date(iso));
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined || seconds === "") return "—";
    const value = Number(seconds);
    if (value < 90) return `${Math.round(value)} s`;
    if (value < 5400) return `${Math.round(value / 60)} min`;
    if (value < 172800) return `${(value / 3600).toFixed(1)} h`;
    return `${(value / 86400).toFixed(1)} d`;
  }

  function text(id, value) {
    const node = document.getElementById(id);
    if (node) node.textContent = value === null || value === undefined ? "—" : String(value);
  }

  function rows(id, items, build, columns) {
    const body = document.getElementById(id);
    if (!body) return;
    if (items.length) {
      body.replaceChildren(...items.map(build));
      return;
    }
    const empty = document.createElement(columns ? "tr" : "li");
    if (columns) {
      const td = cell("td", body.dataset.empty || "—", "muted");
      td.colSpan = columns;
      empty.append(td);
    } else {
      empty.className = "muted";
      empty.textContent = body.dataset.empty || "—";
    }
    body.replaceChildren(empty);
  }

  function cell(tag, value, className) {
    const node = document.createElement(tag);
    node.textContent = String(value);
    if (className) node.className = className;
    return node;
  }

  function renderFigures(figures) {
    text("dashboard-volume", figures.volume);
    text("dashboard-unanswered", figures.unanswered);
    text("dashboard-oldest", duration(figures.oldest_waiting_seconds));
    text("dashboard-frt-p50", duration(figures.first_response.p50_seconds));
    text("dashboard-frt-p90", duration(figures.first_response.p90_seconds));
    const basis = document.getElementById("dashboard-frt-basis");
    if (basis && basis.dataset.template) {
      basis.textContent = basis.dataset.template
        .replace("%(answered)s", figures.first_response.answered)
        .replace("%(waiting)s", figures.first_response.waiting);
    }
    const updated = document.getElementById("dashboard-updated");
    if (updated) {
      updated.setAttribute("datetime", figures.generated_at);
      updated.textContent = when(figures.generated_at, true);
    }
    rows("dashboard-levels", figures.levels, (item) => {
      const li = document.createElement("li");
      li.append(cell("span", item.brand), " ", cell("strong", item.level, `level level-${item.level}`));
      li.lastChild.dataset.testid = "level";
      return li;
    });
    const alerts = document.getElementById("dashboard-alerts");
    rows("dashboard-alerts", figures.open_alerts, (alert) => {
      const li = document.createElement("li");
      const link = cell("a", [alert.brand, alert.signal, alert.topic].filter(Boolean).join(" · "));
      link.href = alerts ? alerts.dataset.href : "#";
      li.append(link, ` · ${alert.severity}/10 · ${when(alert.started_at, false)}`);
      return li;
    });
    rows("dashboard-channels", figures.channels, (row) => {
      const tr = document.createElement("tr");
      tr.append(cell("td", row.channel), cell("td", row.volume), cell("td", `${Math.round(row.negative_share * 100)} %`));
      return tr;
    }, 3);
    rows("dashboard-topics", figures.top_topics, (topic) => {
      const li = cell("li", topic.topic);
      li.append(" ", cell("span", topic.volume, "muted"));
      return li;
    });
    rows("dashboard-escalations", figures.escalations, (row) => {
      const tr = document.createElement("tr");
      tr.append(cell("td", row.department), cell("td", row.open), cell("td", row.overdue, row.overdue ? "error" : ""));
      return tr;
    }, 3);
    drawCharts(figures);
  }

  function drawCharts(figures) {
    if (!window.Chart) return;
    const withDate = figures.range.bucket_minutes >= 60;
    const labels = figures.per_minute.map((point) => when(point.start, withDate));
    const values = figures.per_minute.map((point) => point.per_minute);
    if (!volumeChart) {
      volumeChart = new Chart(document.getElementById("chart-volume"), {
        type: "line",
        data: { labels, datasets: [{ label: section.dataset.volumeLabel, data: values, borderColor: "#1f5fbf", fill: true, backgroundColor: "rgba(31,95,191,.12)", pointRadius: 0, tension: 0.25 }] },
        options: { animation: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true }, x: { ticks: { maxTicksLimit: 8 } } } },
      });
    } else {
      volumeChart.data.labels = labels;
      volumeChart.data.datasets[0].data = values;
      volumeChart.update();
    }
    const share = figures.sentiment_share || {};
    const sentiment = [share.negative || 0, share.neutral || 0, share.positive || 0];
    if (!sentimentChart) {
      sentimentChart = new Chart(document.getElementById("chart-sentiment"), {
        type: "doughnut",
        data: { labels: (section.dataset.sentimentLabels || "negative|neutral|positive").split("|"), datasets: [{ data: sentiment, backgroundColor: ["#b3261e", "#9aa3b2", "#1e7a3c"] }] },
        options: { animation: false },
      });
    } else {
      sentimentChart.data.datasets[0].data = sentiment;
      sentimentChart.update();
    }
  }

  async function refresh() {
    const query = section.dataset.query ? `?${section.dataset.query}` : "";
    const response = await fetch(section.dataset.url + query, { headers: { Accept: "application/json" } });
    if (response.ok) renderFigures(await response.json());
  }

  function downloadPng(button) {
    const canvas = document.getElementById(button.dataset.png);
    if (!canvas) return;
    canvas.toBlob((blob) => {
      if (!blob) return;
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = button.dataset.filename;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    }, "image/png");
  }

  let timer = null;
  function soon() {
    if (timer) return;
    timer = setTimeout(() => { timer = null; refresh(); }, 2000);
  }

  document.addEventListener("DOMContentLoaded", () => {
    section = document.getElementById("dashboard");
    if (!section) return;
    const initial = document.getElementById("dashboard-figures");
    if (initial) renderFigures(JSON.parse(initial.textContent));
    document.querySelectorAll("[data-png]").forEach((button) => button.addEventListener("click", () => downloadPng(button)));
    ["mention.new", "crisis.changed", "alert.new", "escalation.created", "escalation.answered", "escalation.overdue", "escalation.escalated"]
      .forEach((type) => document.addEventListener(`console:${type}`, soon));
    document.addEventListener("console:resync", refresh);
    setInterval(refresh, 30000);
  });
})();
