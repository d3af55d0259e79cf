// The dashboard at /packages/stats/dashboard/: every number comes from the public JSON API
// (docs/api.md), fetched here and drawn with Plotly (served from the `plotly` Python
// package's bundle). Days without loaded logs are null in the API and drawn as gaps.
"use strict";

const API = "/api";
const MAX_PACKAGES = 5;
const PLOT_CONFIG = { displaylogo: false, responsive: true };
let validThru = null;

// The API computes one answer at a time and sheds a concurrent one with 503 + Retry-After
// (docs/api.md, limits): the page asks one thing at a time, and waits and retries on 503.
async function getJSON(path, attempts = 5) {
  const resp = await fetch(API + path);
  if (resp.status === 503 && attempts > 1) {
    const seconds = Number(resp.headers.get("Retry-After")) || 1;
    await new Promise((done) => setTimeout(done, Math.min(seconds, 5) * 1000));
    return getJSON(path, attempts - 1);
  }
  const body = await resp.json();
  if (!resp.ok) {
    throw new Error(body && body.error ? body.error : "HTTP " + resp.status);
  }
  return body;
}

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

function addDays(day, n) {
  const d = new Date(day + "T00:00:00Z");
  d.setUTCDate(d.getUTCDate() + n);
  return isoDay(d);
}

function monthEnd(year, month) {
  // month 0-11; the last day of that month
  return isoDay(new Date(Date.UTC(year, month + 1, 0)));
}

function setMessage(id, text) {
  document.getElementById(id).textContent = text || "";
}

function draw(id, traces, layout) {
  const el = document.getElementById(id);
  return Plotly.react(el, traces, Object.assign({ margin: { t: 20, r: 20 } }, layout), PLOT_CONFIG)
    .then(() => { el.dataset.drawn = String(Number(el.dataset.drawn || 0) + 1); });
}

// ------------------------------------------------------------------------- status

function showStatus(status) {
  const el = document.getElementById("status");
  el.textContent = "";
  const parts = [
    "Data through " + status.valid_thru + " (UTC), built " + status.built_at + ".",
    status.last_log_file
      ? "Last log file: " + status.last_log_file.name + " (loaded " + status.last_log_file.loaded_at + ")."
      : "",
    "Last 90 days: " + status.days_without_logs.length + " without logs, " +
      status.incomplete_days.length + " incomplete.",
  ];
  el.append(parts.filter(Boolean).join(" ") + " ");
  if (status.last_run) {
    const run = document.createElement("span");
    run.className = status.last_run.ok ? "" : "bad";
    run.textContent = "Last nightly run " + (status.last_run.ok ? "succeeded" : "failed") +
      " (" + status.last_run.finished_at + ").";
    el.append(run);
  }
}

// ------------------------------------------------------------------ package trends

function packageNames() {
  const text = document.getElementById("packages").value;
  return [...new Set(text.split(",").map((s) => s.trim()).filter(Boolean))];
}

async function dailyTraces(names) {
  const start = addDays(validThru, -89);
  const data = await getJSON("/downloads/daily/" + start + ":" + validThru + "/" + names.join(","));
  return data.map((entry) => ({
    name: entry.package,
    type: "scatter",
    mode: "lines+markers",
    connectgaps: false,
    x: entry.downloads.map((d) => d.day),
    y: entry.downloads.map((d) => d.downloads),
  }));
}

async function monthlyTraces(names) {
  const end = new Date(validThru + "T00:00:00Z");
  const startMonth = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - 23, 1));
  const period = isoDay(startMonth) + ":" + monthEnd(end.getUTCFullYear(), end.getUTCMonth());
  const path = "/downloads/point/" + period + "/" + names.join(",");
  let data; // {name: entry, or null for a name Bioconductor does not know}
  if (names.length > 1) {
    data = await getJSON(path); // a bulk answer has that shape already
  } else {
    try {
      data = { [names[0]]: await getJSON(path) };
    } catch (err) {
      if (!/not found/.test(err.message)) throw err;
      data = { [names[0]]: null };
    }
  }
  const missing = names.filter((n) => data[n] === null);
  if (missing.length) {
    setMessage("trend-message", "Not in Bioconductor: " + missing.join(", "));
  }
  return names.filter((n) => data[n]).map((n) => ({
    name: n,
    type: "scatter",
    mode: "lines+markers",
    x: data[n].months.map((m) => m.month + "-01"),
    y: data[n].months.map((m) => m.downloads),
  }));
}

async function showTrend() {
  setMessage("trend-message", "");
  const names = packageNames();
  if (names.length === 0 || names.length > MAX_PACKAGES) {
    setMessage("trend-message", "Give from 1 to " + MAX_PACKAGES + " package names.");
    return;
  }
  const daily = document.getElementById("resolution").value === "daily";
  try {
    const traces = daily ? await dailyTraces(names) : await monthlyTraces(names);
    await draw("trend-chart", traces, {
      yaxis: { title: { text: daily ? "downloads per day" : "downloads per month" }, rangemode: "tozero" },
      xaxis: { type: "date" },
    });
  } catch (err) {
    setMessage("trend-message", String(err.message || err));
  }
}

// --------------------------------------------------------------------- top packages

async function showTop() {
  setMessage("top-message", "");
  const category = document.getElementById("top-category").value;
  const period = document.getElementById("top-period").value;
  const query = category ? "?category=" + encodeURIComponent(category) : "";
  try {
    const data = await getJSON("/top/" + period + "/20" + query);
    const top = data.packages.slice().reverse(); // largest at the top of the bars
    if (top.length === 0) {
      setMessage("top-message", "No downloads in this period.");
    }
    await draw("top-chart", [{
      type: "bar",
      orientation: "h",
      x: top.map((p) => p.downloads),
      y: top.map((p) => p.package),
    }], { margin: { l: 140, t: 20 }, xaxis: { title: { text: "downloads " + data.start + " to " + data.end } } });
  } catch (err) {
    setMessage("top-message", String(err.message || err));
  }
}

// ----------------------------------------------------------------------- breakdowns

async function showBreakdown() {
  setMessage("breakdown-message", "");
  const column = document.getElementById("breakdown").value;
  try {
    const rows = await getJSON("/get_data?model=downloads&group_by=" + column + "&time_group=month");
    const series = new Map();
    for (const row of rows) {
      const key = row[column] === null ? "unknown" : String(row[column]);
      if (!series.has(key)) series.set(key, { x: [], y: [] });
      series.get(key).x.push(row.time_group);
      series.get(key).y.push(row.data);
    }
    const traces = [...series.entries()].map(([name, s]) => ({ type: "bar", name, x: s.x, y: s.y }));
    await draw("breakdown-chart", traces, { barmode: "stack", xaxis: { type: "date" } });
  } catch (err) {
    setMessage("breakdown-message", String(err.message || err));
  }
}

// ------------------------------------------------------------------------ start-up

async function start() {
  try {
    const status = await getJSON("/status");
    validThru = status.valid_thru;
    showStatus(status);
    const categories = await getJSON("/get_data?model=downloads&group_by=category");
    const select = document.getElementById("top-category");
    for (const c of categories) {
      const option = document.createElement("option");
      option.value = option.textContent = c.category;
      select.append(option);
    }
    const input = document.getElementById("packages");
    if (!input.value) {
      const top = await getJSON("/top/last-year/3");
      input.value = top.packages.map((p) => p.package).join(",");
    }
  } catch (err) {
    document.getElementById("status").textContent = "The API is not available: " + (err.message || err);
    return;
  }
  document.getElementById("compare").addEventListener("click", showTrend);
  document.getElementById("resolution").addEventListener("change", showTrend);
  document.getElementById("top-category").addEventListener("change", showTop);
  document.getElementById("top-period").addEventListener("change", showTop);
  document.getElementById("breakdown").addEventListener("change", showBreakdown);
  await showTrend();
  await showTop();
  await showBreakdown();
  document.body.dataset.ready = "true";
}

document.addEventListener("DOMContentLoaded", start);
