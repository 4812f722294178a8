// Director dashboard: Chart.js charts fed by /dashboard/data/, refreshed on live events.
(function () {
  "use strict";
  let volumeChart = null;
  let sentimentChart = null;

  function text(id, value) {
    const node = document.getElementById(id);
    if (node) node.textContent = value === null || value === undefined ? "—" : String(value);
  }

  function rows(id, items, build) {
    const body = document.getElementById(id);
    if (!body) return;
    body.replaceChildren(...items.map(build));
  }

  function cell(tag, value, className) {
    const node = document.createElement(tag);
    node.textContent = String(value);
    if (className) node.className = className;
    return node;
  }

  function render(figures) {
    text("dashboard-volume", figures.volume_24h);
    text("dashboard-unanswered", figures.unanswered);
    text("dashboard-frt-p50", figures.first_response_p50_seconds);
    text("dashboard-frt-p90", figures.first_response_p90_seconds);
    text("dashboard-updated", figures.generated_at.slice(0, 19));
    rows("dashboard-levels", figures.levels, (item) => {
      const li = document.createElement("li");
      li.append(cell("span", item.brand), " ", cell("strong", item.level, `level level-${item.level}`));
      li.lastChild.dataset.testid = "level";
      return li;
    });
    rows("dashboard-topics", figures.top_topics, (topic) => {
      const li = cell("li", topic.topic);
      li.append(" ", cell("span", topic.volume, "muted"));
      return li;
    });
    rows("dashboard-escalations", figures.escalations, (row) => {
      const tr = document.createElement("tr");
      tr.append(cell("td", row.department), cell("td", row.open), cell("td", row.overdue, row.overdue ? "error" : ""));
      return tr;
    });
    if (!window.Chart) return;
    const labels = figures.per_minute.map((point) => point.start.slice(11, 16));
    const values = figures.per_minute.map((point) => point.per_minute);
    if (!volumeChart) {
      volumeChart = new Chart(document.getElementById("chart-volume"), {
        type: "line",
        data: { labels, datasets: [{ label: "mentions/min", data: values, borderColor: "#1f5fbf", fill: true, backgroundColor: "rgba(31,95,191,.12)", pointRadius: 0, tension: 0.25 }] },
        options: { animation: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } },
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
        data: { labels: ["negative", "neutral", "positive"], datasets: [{ data: sentiment, backgroundColor: ["#b3261e", "#9aa3b2", "#1e7a3c"] }] },
        options: { animation: false },
      });
    } else {
      sentimentChart.data.datasets[0].data = sentiment;
      sentimentChart.update();
    }
  }

  async function refresh() {
    const section = document.getElementById("dashboard");
    const response = await fetch(section.dataset.url, { headers: { Accept: "application/json" } });
    if (response.ok) render(await response.json());
  }

  let timer = null;
  function soon() {
    if (timer) return;
    timer = setTimeout(() => { timer = null; refresh(); }, 2000);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const initial = document.getElementById("dashboard-figures");
    if (initial) render(JSON.parse(initial.textContent));
    ["mention.new", "crisis.changed", "escalation.created", "escalation.answered", "escalation.overdue", "escalation.escalated"]
      .forEach((type) => document.addEventListener(`console:${type}`, soon));
    document.addEventListener("console:reconnected", refresh);
    setInterval(refresh, 30000);
  });
})();
