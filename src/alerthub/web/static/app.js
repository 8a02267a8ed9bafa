// alerthub dashboard script. Plain JS, no build step. Data from outside is only ever set with
// textContent or as attribute values; never innerHTML.
"use strict";

const body = document.body;
const CSRF = body.dataset.csrf || "";
const USER = body.dataset.user || "";
const CAN_ACT = body.dataset.canAct === "1";
const M = JSON.parse(document.getElementById("i18n").textContent || "{}");
const t = (key) => M[key] || key;
const $ = (sel, root) => (root || document).querySelector(sel);
const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
const SEV_RANK = { info: 0, warning: 1, high: 2, critical: 3 };
const OPEN = ["pending", "firing", "acknowledged"];

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "data") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function api(method, url, payload) {
  const headers = { Accept: "application/json", "X-CSRF-Token": CSRF };
  const init = { method, headers, credentials: "same-origin" };
  if (payload !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(payload);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    return { ok: false, status: 0, data: { detail: String(err) } };
  }
  if (response.status === 401) {
    location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
  }
  let data = null;
  try { data = await response.json(); } catch (_) { data = null; }
  return { ok: response.ok, status: response.status, data };
}

function errorText(result) {
  const d = result.data || {};
  return d.detail || d.error || d.message || (result.status ? "HTTP " + result.status : t("js.error"));
}

let toastTimer = null;
function toast(message, isError) {
  const box = $("#toast");
  if (!box) return;
  box.textContent = message;
  box.className = isError ? "error" : "";
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, isError ? 7000 : 3500);
}

// ---- time -------------------------------------------------------------------------------------

function shortDuration(seconds) {
  const units = body.dataset.lang === "ko" ? ["초", "분", "시간", "일"] : ["s", "m", "h", "d"];
  const s = Math.round(Math.abs(seconds));
  if (s < 60) return s + units[0];
  if (s < 3600) return Math.floor(s / 60) + units[1];
  if (s < 86400) return Math.floor(s / 3600) + units[2];
  return Math.floor(s / 86400) + units[3];
}

function relative(iso) {
  if (!iso) return t("js.never");
  const seconds = (Date.now() - Date.parse(iso)) / 1000;
  if (Math.abs(seconds) < 5) return t("js.now");
  return t(seconds >= 0 ? "js.ago" : "js.in").replace("{n}", shortDuration(seconds));
}

function timeEl(iso) {
  if (!iso) return el("span", { class: "muted" }, "—");
  return el("time", { datetime: iso, title: new Date(iso).toLocaleString() }, relative(iso));
}

function clockText(iso) {
  const at = new Date(iso);
  const options = { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" };
  if (at.getFullYear() !== new Date().getFullYear()) options.year = "numeric";
  return at.toLocaleString([], options);
}

function refreshTimes() {
  for (const node of $$("time[datetime]")) {
    // A `.abs` time is a moment to read on the clock ("until 14:00"), not a distance from now.
    if (node.classList.contains("abs")) { node.textContent = clockText(node.getAttribute("datetime")); continue; }
    node.textContent = relative(node.getAttribute("datetime"));
    if (!node.dataset.local) {
      node.title = new Date(node.getAttribute("datetime")).toLocaleString();
      node.dataset.local = "1";
    }
  }
}

// ---- shared pieces ----------------------------------------------------------------------------

const sevEl = (s) => el("span", { class: "sev sev-" + s }, t("sev." + s));
const stateEl = (s) => el("span", { class: "state state-" + s }, t("state." + s));
const chips = (labels) => el("span", { class: "chips" },
  Object.keys(labels || {}).sort().map((k) => el("span", { class: "chip" }, el("b", null, k), "=" + labels[k])));
const SUMMARY_KEYS = ["summary", "title", "description", "message", "additional_info"];
const summaryOf = (a) => { for (const k of SUMMARY_KEYS) if (a.annotations && a.annotations[k]) return a.annotations[k]; return ""; };

// What holds an alert back (GET /api/alerts `muted`), as web/templates/_macros.html `mute_note` renders it.
function muteNote(m) {
  if (!m) return null;
  const note = el("div", { class: "mute-note small" });
  for (const s of m.silenced_by || []) {
    const until = el("time", { class: "abs", datetime: s.ends_at, title: s.ends_at }, clockText(s.ends_at));
    const line = el("div", { class: "silenced-by" }, t("mute.silenced_by") + " ", el("b", null, s.created_by || ""), " " + t("mute.until") + " ", until);
    if (s.comment) line.append(el("div", { class: "mute-comment" }, s.comment));
    note.append(line);
  }
  for (const i of m.inhibited_by || []) {
    note.append(el("div", { class: "inhibited-by" }, t("mute.inhibited_by") + " ",
      el("a", { href: `/alerts/${encodeURIComponent(i.id)}` }, `${i.rule_name} #${i.id}`)));
  }
  if ((m.muted_by || []).length) note.append(el("div", { class: "time-muted-by" }, t("mute.time_by") + " ", el("b", null, m.muted_by.join(", "))));
  return note;
}

function muteBadges(note) {
  const badge = (key) => [" ", el("span", { class: "state state-muted" }, t(key))];
  return [
    ...(note.querySelector(".silenced-by") ? badge("mute.silenced") : []),
    ...(note.querySelector(".inhibited-by") ? badge("mute.inhibited") : []),
    ...(note.querySelector(".time-muted-by") ? badge("mute.time") : []),
  ];
}

function fmtNum(v) {
  if (v === null || v === undefined) return "—";
  if (Number.isInteger(v)) return v.toLocaleString("en-US");
  return Number(v.toFixed(3)).toLocaleString("en-US", { maximumFractionDigits: 3 });
}

function showUnavailable(result) {
  const note = $("[data-unavailable]");
  if (!note) return;
  note.hidden = false;
  if (result.status !== 404) note.textContent = errorText(result);
}

function listOf(data, key) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data[key])) return data[key];
  return [];
}

// ---- alert actions (list and detail) -----------------------------------------------------------

async function alertAction(button) {
  const { action, id } = button.dataset;
  button.disabled = true;
  // On an open hub nobody is signed in: the page says "web", as its silences do (a signed-in name wins
  // on the server either way).
  const result = await api("POST", `/api/alerts/${encodeURIComponent(id)}/${action}`, { by: USER || "web" });
  button.disabled = false;
  if (!result.ok) { toast(errorText(result), true); return; }
  toast(t(action === "ack" ? "js.done_ack" : "js.done_resolve") + ": " + result.data.rule_name);
  if (body.dataset.page === "alerts" && $("#alerts")) Board.upsert(result.data);
  else location.reload();
}

// A note in the alert's history, from the alert page.
document.addEventListener("submit", async (event) => {
  const form = event.target.closest("#comment-form");
  if (!form) return;
  event.preventDefault();
  const text = form.elements.text.value.trim();
  if (!text) return;
  const result = await api("POST", `/api/alerts/${encodeURIComponent(form.dataset.id)}/comments`, { text, by: USER || "web" });
  if (!result.ok) { toast(errorText(result), true); return; }
  location.reload();
});

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (button) { event.preventDefault(); alertAction(button); }
});

// ---- alerts board ------------------------------------------------------------------------------

const Board = {
  filter: {},
  init() {
    const raw = $("#filter-state");
    this.filter = raw ? JSON.parse(raw.textContent) : {};
    this.tbody = $("#alerts tbody");
    this.baseTitle = document.title;
    this.mark = body.dataset.rendered || new Date().toISOString();
    this.after();
    for (const select of $$("#filters select")) select.addEventListener("change", () => $("#filters").submit());
    this.connect();
  },
  matches(a) {
    const f = this.filter;
    if (f.state === "open" ? !OPEN.includes(a.state) : f.state && a.state !== f.state) return false;
    if (f.severity && a.severity !== f.severity) return false;
    if (f.source && a.source !== f.source) return false;
    if (f.rule && a.rule_name !== f.rule) return false;
    if (f.label) {
      const i = f.label.indexOf(":");
      if ((a.labels || {})[f.label.slice(0, i)] !== f.label.slice(i + 1)) return false;
    }
    // Who an alert paged is not in the live stream: "paged to me" keeps its rows current but adds none.
    if (f.paged && !this.tbody.querySelector(`tr[data-id="${CSS.escape(String(a.id))}"]`)) return false;
    if (f.q) {
      const hay = (a.rule_name + " " + JSON.stringify(a.labels) + " " + JSON.stringify(a.annotations)).toLowerCase();
      if (!hay.includes(f.q.toLowerCase())) return false;
    }
    return true;
  },
  // The same order as the server's (web/views.py `_rank`): unhandled, acknowledged, pending, muted, resolved;
  // within each by severity.
  rank(a, muted) {
    const tier = a.state === "resolved" ? 4 : muted ? 3 : a.state === "acknowledged" ? 1 : a.state === "pending" ? 2 : 0;
    return (4 - tier) * 10 + (SEV_RANK[a.severity] || 0);
  },
  row(a, keptNote) {
    // The live stream carries no `muted`: what the page knew of a row stays until it is listed anew.
    const muted = a.state !== "resolved" && (a.muted === undefined ? Boolean(keptNote) : Boolean(a.muted));
    const note = a.muted === undefined ? (muted ? keptNote : null) : muteNote(a.muted);
    const actions = [];
    if (CAN_ACT && a.state === "firing" && !muted) actions.push(el("button", { data: { action: "ack", id: a.id } }, t("act.ack")));
    if (CAN_ACT && a.state !== "resolved") actions.push(el("button", { class: "ghost", data: { action: "resolve", id: a.id } }, t("act.resolve")));
    const silenced = note && note.querySelector(".silenced-by");
    if (CAN_ACT && !silenced) actions.push(el("a", { class: "button ghost", href: `/silences?alert=${encodeURIComponent(a.id)}#new` }, t("act.silence")));
    const summary = summaryOf(a);
    const what = el("td", { class: "what" }, el("a", { class: "headline", href: `/alerts/${encodeURIComponent(a.id)}` }, summary || a.rule_name), " ", stateEl(a.state),
      a.flapping ? el("span", { class: "state state-flapping", title: a.flapping_since || "" }, t("flapping")) : "");
    if (note) what.append(...muteBadges(note));
    if (summary) what.append(el("div", { class: "rule-name" }, a.rule_name));
    if (a.acknowledged_by && a.state === "acknowledged") what.append(el("div", { class: "muted small" }, t("acked_by") + " " + a.acknowledged_by));
    if (note) what.append(note);
    return el("tr", { class: "row state-" + a.state + (muted ? " is-muted" : ""), data: { id: a.id, state: a.state, muted: muted ? "1" : "", rank: this.rank(a, muted), changed: a.state_changed_at || "" } },
      el("td", null, sevEl(a.severity)), what,
      el("td", { class: "hide-s" }, chips(a.labels)),
      el("td", { class: "num" }, fmtNum(a.value)),
      el("td", { class: "since" }, timeEl(a.state_changed_at)),
      el("td", { class: "num hide-s" }, String(a.count)),
      el("td", { class: "actions" }, actions));
  },
  upsert(a, flash) {
    const old = this.tbody.querySelector(`tr[data-id="${CSS.escape(String(a.id))}"]`);
    if (!this.matches(a)) { if (old) old.remove(); this.after(); return; }
    const kept = old ? old.querySelector(".mute-note") : null;
    const row = this.row(a, kept ? kept.cloneNode(true) : null);
    if (flash) row.classList.add("flash");
    if (old) old.replaceWith(row); else this.tbody.prepend(row);
    this.after();
  },
  after() {
    const rows = $$("tr", this.tbody);
    rows.sort((x, y) => (y.dataset.rank - x.dataset.rank)
      || (y.dataset.changed > x.dataset.changed ? 1 : y.dataset.changed < x.dataset.changed ? -1 : 0)
      || (y.dataset.id - x.dataset.id));
    for (const row of rows) this.tbody.append(row);
    // Each count box counts the rows shown of its severity; the tab's title, what fires with nobody on it.
    const counts = {};
    let firing = 0;
    for (const row of rows) {
      const sev = row.querySelector(".sev").className.replace(/.*sev-/, "");
      counts[sev] = (counts[sev] || 0) + 1;
      if (row.dataset.state === "firing" && !row.dataset.muted) firing += 1;
    }
    for (const node of $$("[data-tally]")) node.textContent = counts[node.dataset.tally] || 0;
    $("#empty").hidden = rows.length > 0;
    document.title = (firing ? `(${firing}) ` : "") + this.baseTitle;
  },
  // Catch up with what changed while no stream was open (before the first connect, after a drop, or
  // when the server says we fell behind): every alert seen since `mark`, on the server's clock.
  async catchUp() {
    const since = new Date(Date.parse(this.mark) - 5000).toISOString();
    const params = new URLSearchParams({ limit: "500", since });
    const f = this.filter;
    for (const s of f.state === "open" ? OPEN : f.state ? [f.state] : []) params.append("state", s);
    if (f.severity) params.append("severity", f.severity);
    if (f.source) params.append("source", f.source);
    if (f.rule) params.append("rule", f.rule);
    if (f.label) params.append("label", f.label);
    const result = await api("GET", "/api/alerts?" + params);
    if (!result.ok) return;
    if (result.data.next_cursor) { location.reload(); return; }  // too much happened: start afresh
    for (const a of listOf(result.data, "alerts")) this.note(a);
  },
  note(a) {
    if (a.last_seen && a.last_seen > this.mark) this.mark = a.last_seen;
    this.upsert(a, true);
  },
  connect() {
    const live = $("#live");
    const source = new EventSource("/api/events");
    source.addEventListener("hello", () => {
      live.dataset.state = "on";
      this.catchUp();
    });
    source.addEventListener("alert", (event) => this.note(JSON.parse(event.data)));
    source.addEventListener("resync", () => this.catchUp());
    source.onerror = () => { live.dataset.state = "off"; };
  },
};

// ---- silences -----------------------------------------------------------------------------------

const Silences = {
  async init() {
    if (!$("#silence-form")) { await this.load(); return; }
    $("#add-matcher").addEventListener("click", () => this.addMatcher());
    $("#matchers").addEventListener("click", (event) => {
      const remove = event.target.closest("[data-remove]");
      if (remove && $$(".matcher").length > 1) remove.closest(".matcher").remove();
    });
    $("#silence-form").addEventListener("submit", (event) => { event.preventDefault(); this.create(event.target); });
    const zone = $("#silence-form").elements.zone;
    if (zone && !zone.value) zone.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
    // Before a silence is created, the open alerts it would match (Alertmanager's matcher syntax, as the
    // API applies it), refreshed as the matchers are typed.
    let timer = null;
    const later = () => { clearTimeout(timer); timer = setTimeout(() => this.preview(), 300); };
    $("#matchers").addEventListener("input", later);
    $("#matchers").addEventListener("change", later);
    $("#matchers").addEventListener("click", later);
    await Promise.all([this.load(), this.preview()]);
  },
  matchers(form) {
    return $$(".matcher", form).map((row) => {
      const op = $("select", row).value;
      return { name: $("input[name=m_name]", row).value.trim(), value: $("input[name=m_value]", row).value,
        isRegex: op.includes("~"), isEqual: !op.startsWith("!") };
    }).filter((m) => m.name);
  },
  async preview() {
    const box = $("#silence-preview");
    const matchers = this.matchers($("#silence-form"));
    if (!matchers.length) { box.replaceChildren(); return; }
    const quoted = (v) => '"' + v.replace(/\\/g, "\\\\").replace(/"/g, '\\"') + '"';
    const query = matchers.map((m) => "filter=" + encodeURIComponent(
      m.name + (m.isEqual ? "" : "!") + (m.isRegex ? "=~" : "=") + quoted(m.value))).join("&");
    const result = await api("GET", "/api/v2/alerts?" + query);
    if (!result.ok) { box.replaceChildren(el("span", { class: "err" }, errorText(result))); return; }
    const found = listOf(result.data, "alerts");
    if (!found.length) { box.replaceChildren(el("span", { class: "muted" }, t("js.preview_none"))); return; }
    const shown = found.slice(0, 10).map((a) => el("li", null, el("b", null, a.labels.alertname || "?"), " ",
      el("span", { class: "muted" }, a.labels.host || a.labels.instance || a.labels.service || "")));
    if (found.length > 10) shown.push(el("li", { class: "muted" }, t("js.preview_more") + " (" + found.length + ")"));
    box.replaceChildren(el("span", null, t("js.preview") + " " + found.length), el("ul", null, ...shown));
  },
  addMatcher() {
    const copy = $(".matcher").cloneNode(true);
    for (const input of $$("input", copy)) input.value = "";
    $("select", copy).selectedIndex = 0;
    $("#matchers").append(copy);
    $("input", copy).focus();
  },
  async create(form) {
    const matchers = this.matchers(form);
    if (!matchers.length) { toast(t("js.matcher_needed"), true); return; }
    const now = new Date();
    const seconds = Number(form.elements.duration.value);
    const payload = { matchers, startsAt: now.toISOString(), endsAt: new Date(now.getTime() + seconds * 1000).toISOString(),
      createdBy: USER || "web", comment: form.elements.comment.value };
    const rrule = form.elements.rrule.value.trim();
    if (rrule) {
      // Each occurrence lasts the chosen duration, the first at the given time on the rule's own clock
      // (not the browser's), for a year of them.
      const zone = form.elements.zone.value.trim() || "UTC";
      let first = now;
      try {
        if (form.elements.first.value) first = zonedToUtc(form.elements.first.value, zone);
      } catch (err) {
        toast(t("repeat_zone") + ": " + zone + ": " + String(err), true);
        return;
      }
      payload.startsAt = first.toISOString();
      payload.endsAt = new Date(first.getTime() + 366 * 86400 * 1000).toISOString();
      payload.recurrence = { rrule, duration: seconds + "s", timeZone: zone };
    }
    const button = $("button[type=submit]", form);
    button.disabled = true;
    const result = await api("POST", "/api/silences", payload);
    button.disabled = false;
    if (!result.ok) { toast(errorText(result), true); return; }
    toast(t("js.silenced"));
    await this.load();
  },
  async load() {
    const result = await api("GET", "/api/silences");
    if (!result.ok) { showUnavailable(result); return; }
    const order = { active: 0, pending: 1, expired: 2 };
    const items = listOf(result.data, "silences").slice().sort((x, y) =>
      (order[stateOf(x)] - order[stateOf(y)]) || String(y.endsAt).localeCompare(String(x.endsAt)));
    const tbody = $("#silences tbody");
    tbody.replaceChildren(...items.map((s) => {
      const state = stateOf(s);
      const expire = state === "expired" || !CAN_ACT ? null
        : el("button", { class: "ghost", onclick: () => this.expire(s.id) }, t("js.expire"));
      return el("tr", { data: { id: s.id }, class: "sil-" + state },
        el("td", null, el("span", { class: "chips" }, (s.matchers || []).map((m) =>
          el("span", { class: "chip" }, el("b", null, m.name), (m.isEqual === false ? "!" : "") + (m.isRegex ? "=~" : "=") + m.value)))),
        el("td", null, el("span", { class: "nstatus nstatus-" + (state === "active" ? "sent" : state === "pending" ? "pending" : "suppressed") }, t("js.sil." + state)),
          s.recurrence ? el("div", { class: "muted small repeats" }, "↻ " + t("js.repeats") + " " + s.recurrence.rrule + " · " + s.recurrence.duration + " · " + s.recurrence.timeZone) : ""),
        // A recurring silence shows the occurrence in force, or the next one.
        el("td", null, timeEl((s.recurrence ? s.recurrence.occurrence : s).startsAt)),
        el("td", null, timeEl((s.recurrence ? s.recurrence.occurrence : s).endsAt)),
        el("td", null, s.createdBy || ""), el("td", null, s.comment || ""), el("td", null, expire));
    }));
    $("#empty").hidden = items.length > 0;
  },
  async expire(id) {
    const result = await api("DELETE", "/api/silences/" + encodeURIComponent(id));
    if (!result.ok) { toast(errorText(result), true); return; }
    toast(t("js.expired"));
    await this.load();
  },
};

// "2030-01-06T02:00" read on `zone`'s clock, as an instant. Intl knows every IANA zone's offsets; two
// passes settle a time next to a daylight-saving change.
function zonedToUtc(local, zone) {
  const [day, time] = local.split("T");
  const [y, mo, d] = day.split("-").map(Number);
  const [h, mi] = time.split(":").map(Number);
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  const format = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric",
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
  const offset = (at) => {
    const p = Object.fromEntries(format.formatToParts(new Date(at)).map((x) => [x.type, x.value]));
    return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - at;
  };
  return new Date(wall - offset(wall - offset(wall)));
}

function stateOf(silence) {
  if (silence.status && silence.status.state) return silence.status.state;
  const now = Date.now();
  if (Date.parse(silence.endsAt) <= now) return "expired";
  return Date.parse(silence.startsAt) > now ? "pending" : "active";
}

// ---- channels -----------------------------------------------------------------------------------

const Channels = {
  async init() {
    const result = await api("GET", "/api/channels");
    if (!result.ok) { showUnavailable(result); return; }
    const items = listOf(result.data, "channels");
    $("#channels tbody").replaceChildren(...items.map((c) => {
      const outcome = el("span", { class: "outcome small" });
      const button = CAN_ACT ? el("button", { class: "ghost", onclick: () => this.test(c.name, button, outcome) }, t("test")) : null;
      return el("tr", { data: { name: c.name } },
        el("td", null, el("b", null, c.name), describe(c.config)),
        el("td", null, c.type || ""),
        el("td", null, timeEl(c.last_success_at)),
        el("td", null, timeEl(c.last_failure_at)),
        el("td", { class: "err" }, c.last_error || ""),
        el("td", null, button, " ", outcome));
    }));
    $("#empty").hidden = items.length > 0;
  },
  async test(name, button, outcome) {
    button.disabled = true;
    outcome.className = "outcome small muted";
    outcome.textContent = t("js.testing");
    const result = await api("POST", `/api/channels/${encodeURIComponent(name)}/test`);
    button.disabled = false;
    const ok = result.ok && (!result.data || result.data.ok !== false);
    outcome.className = "outcome small " + (ok ? "ok-text" : "err");
    outcome.textContent = ok ? t("js.test_ok") : t("js.test_failed") + ": " + errorText(result);
  },
};

function describe(config) {
  if (!config) return null;
  const text = typeof config === "object"
    ? Object.entries(config).filter(([, v]) => v !== null && v !== "").map(([k, v]) => `${k}=${v}`).join(" · ")
    : String(config);
  return text ? el("div", { class: "muted small" }, text) : null;
}

// ---- monitors -----------------------------------------------------------------------------------

async function initMonitors() {
  const result = await api("GET", "/api/monitoring/status");
  if (!result.ok) { showUnavailable(result); return; }
  const data = result.data || {};
  const items = listOf(data, "monitors");
  if (data.active_monitors !== undefined) {
    $("#monitor-summary").textContent = "(" + t("js.active_n").replace("{n}", data.active_monitors) + ")";
  }
  $("#monitors tbody").replaceChildren(...items.map((m) => {
    const healthy = m.healthy !== false && !m.consecutive_failures;
    return el("tr", null,
      el("td", null, el("b", null, m.name || "")),
      el("td", null, m.kind || m.type || ""),
      el("td", null, el("span", { class: "nstatus nstatus-" + (healthy ? "sent" : "failed") }, healthy ? t("js.ok") : t("js.error"))),
      el("td", null, timeEl(m.last_run)), el("td", null, timeEl(m.last_success)), el("td", null, timeEl(m.next_run)),
      el("td", { class: "err" }, m.last_error || ""));
  }));
  $("#empty").hidden = items.length > 0;
  // The ones gone quiet first: at 3 a.m. nobody reads down a list of thirty to find them.
  const beats = listOf(data.heartbeats, "heartbeats").slice().sort((a, b) =>
    (HEARTBEAT_ORDER[a.status] ?? 9) - (HEARTBEAT_ORDER[b.status] ?? 9) || String(a.name).localeCompare(String(b.name)));
  fillList("heartbeats", beats, heartbeatRow);
  fillList("sources", listOf(data.sources, "sources"), sourceRow);
}

// Heartbeats and sources on the Monitors page (GET /api/monitoring/status `heartbeats`, `sources`).
const HEARTBEAT_LOOK = { up: "sent", waiting: "suppressed", late: "pending", missing: "failed" };
const HEARTBEAT_ORDER = { missing: 0, late: 1, waiting: 2, up: 3 };

function fillList(id, items, row) {
  $(`#${id} tbody`).replaceChildren(...items.map(row));
  $(`#${id}`).hidden = !items.length;
  $(`#${id}-empty`).hidden = items.length > 0;
}

// A span as "1h 30m" (two units at most): an interval someone configured, not a distance from now.
function spanText(seconds) {
  const units = body.dataset.lang === "ko" ? ["일", "시간", "분", "초"] : ["d", "h", "m", "s"];
  let left = Math.round(seconds || 0);
  const parts = [];
  [86400, 3600, 60, 1].forEach((size, i) => {
    if (left >= size && parts.length < 2) { parts.push(Math.floor(left / size) + units[i]); left %= size; }
  });
  return parts.join(" ") || "0" + units[3];
}

function heartbeatRow(h) {
  const every = spanText(h.expect_every) + (h.grace ? " " + t("js.hb.grace").replace("{n}", spanText(h.grace)) : "");
  return el("tr", { class: "hb-" + h.status, data: { name: h.name } },
    el("td", null, el("b", null, h.name || "")),
    el("td", null, el("span", { class: "nstatus nstatus-" + (HEARTBEAT_LOOK[h.status] || "suppressed") }, t("js.hb." + h.status))),
    el("td", null, timeEl(h.last_ping_at)), el("td", null, every), el("td", null, timeEl(h.due_at)));
}

function sourceRow(s) {
  return el("tr", { class: s.received_24h ? "" : "quiet", data: { source: s.source } },
    el("td", null, el("b", null, s.source || "")),
    el("td", null, timeEl(s.last_received_at)),
    el("td", { class: "num" }, fmtNum(s.received_24h ?? 0)));
}

// The alert page's value chart: its time labels, written in UTC by the server, in the reader's time zone.
function chartTimesInLocalZone() {
  for (const label of $$("svg text[data-at]")) {
    const options = { hour: "2-digit", minute: "2-digit" };
    if (label.dataset.unit === "day") Object.assign(options, { month: "short", day: "numeric" });
    if (label.dataset.unit === "second") options.second = "2-digit";
    label.textContent = new Date(label.dataset.at).toLocaleString([], options);
  }
}
document.addEventListener("DOMContentLoaded", chartTimesInLocalZone);

// ---- notifications -------------------------------------------------------------------------------

const Notifications = {
  async init() {
    const select = $("#nfilter select");
    select.addEventListener("change", () => this.load(select.value));
    await this.load("");
  },
  async load(status) {
    const params = new URLSearchParams({ limit: "300", failures_first: "true" });
    if (status) params.append("status", status);
    const result = await api("GET", "/api/notifications?" + params);
    if (!result.ok) { showUnavailable(result); return; }
    const items = listOf(result.data, "notifications");
    items.sort((x, y) => (x.status === "failed" ? 0 : 1) - (y.status === "failed" ? 0 : 1));
    $("#notifications tbody").replaceChildren(...items.map((n) => this.row(n)));
    $("#empty").hidden = items.length > 0;
  },
  row(n) {
    const retry = n.status === "failed" && CAN_ACT
      ? el("button", { class: "ghost", onclick: (e) => this.retry(n.id, e.target) }, t("js.retry")) : null;
    const alerts = (n.alert_ids || []).map((id) => el("a", { href: `/alerts/${encodeURIComponent(id)}` }, "#" + id));
    return el("tr", { data: { id: n.id }, class: "n-" + n.status },
      el("td", null, String(n.id)),
      el("td", null, el("span", { class: "nstatus nstatus-" + n.status }, t("nstatus." + n.status))),
      el("td", null, n.channel || ""),
      el("td", null, alerts.length ? alerts.flatMap((a, i) => (i ? [" ", a] : [a])) : (n.reason || "")),
      el("td", { class: "num" }, String(n.attempts ?? "")),
      el("td", null, timeEl(n.created_at)),
      el("td", null, n.status === "pending" ? timeEl(n.next_attempt_at) : el("span", { class: "muted" }, "—")),
      el("td", { class: "err" }, n.last_error || ""),
      el("td", null, retry));
  },
  async retry(id, button) {
    button.disabled = true;
    const result = await api("POST", `/api/notifications/${encodeURIComponent(id)}/retry`);
    if (!result.ok) { button.disabled = false; toast(errorText(result), true); return; }
    toast(t("js.retried") + " (#" + id + ")");
    await this.load($("#nfilter select").value);
  },
};

// ---- on call ------------------------------------------------------------------------------------

const OnCall = {
  init() {
    for (const form of $$("form[data-override-form]")) {
      form.addEventListener("submit", (event) => { event.preventDefault(); this.add(form); });
    }
    for (const button of $$("button[data-remove-override]")) {
      button.addEventListener("click", () => this.remove(button));
    }
  },
  scheduleOf(node) { return node.closest("[data-schedule]").dataset.schedule; },
  async add(form) {
    const { start, end, person } = form.elements;
    if (!start.value || !end.value) { toast(t("js.oc_times"), true); return; }
    // datetime-local is the browser's own clock: Date reads it so, and sends it with its offset (UTC).
    const payload = { person: person.value, start: new Date(start.value).toISOString(), end: new Date(end.value).toISOString() };
    const button = $("button[type=submit]", form);
    button.disabled = true;
    const result = await api("POST", `/api/schedules/${encodeURIComponent(this.scheduleOf(form))}/overrides`, payload);
    button.disabled = false;
    if (!result.ok) { toast(errorText(result), true); return; }
    toast(t("js.oc_added"));
    location.reload();
  },
  async remove(button) {
    button.disabled = true;
    const path = `/api/schedules/${encodeURIComponent(this.scheduleOf(button))}/overrides/${encodeURIComponent(button.dataset.removeOverride)}`;
    const result = await api("DELETE", path);
    button.disabled = false;
    if (!result.ok) { toast(errorText(result), true); return; }
    toast(t("js.oc_removed"));
    location.reload();
  },
};

// ---- start ----------------------------------------------------------------------------------------

// The detail page says when its alert changed, instead of silently going stale.
function watchDetail() {
  const article = $("article.detail");
  if (!article) return;
  const source = new EventSource("/api/events");
  source.addEventListener("hello", () => { article.dataset.live = "on"; });
  source.addEventListener("alert", (event) => {
    const a = JSON.parse(event.data);
    if (String(a.id) !== article.dataset.id || $("#changed")) return;
    const note = el("p", { class: "notice", id: "changed" }, t("js.changed") + " ",
      el("button", { class: "ghost", onclick: () => location.reload() }, t("js.reload")));
    article.prepend(note);
  });
}

// On a phone a table's rows become cards (app.css); each cell then names its column, taken from the
// table's header. Rows the page adds later (live lists) are labelled as they arrive.
function labelCells(root) {
  for (const table of $$("table", root)) {
    const heads = $$("thead th", table).map((th) => th.textContent.trim());
    if (!heads.length) continue;
    for (const row of $$("tbody tr", table)) {
      Array.from(row.children).forEach((cell, i) => {
        if (heads[i] && !cell.dataset.label) cell.dataset.label = heads[i];
      });
    }
  }
}

function labelCellsAsRowsArrive() {
  labelCells(document);
  new MutationObserver((changes) => {
    if (changes.some((c) => c.addedNodes.length)) labelCells(document);
  }).observe(document.querySelector("main") || body, { childList: true, subtree: true });
}

const PAGES = {
  alerts: () => { if ($("#alerts")) Board.init(); else watchDetail(); },
  silences: () => Silences.init(),
  channels: () => Channels.init(),
  monitors: () => initMonitors(),
  notifications: () => Notifications.init(),
  oncall: () => OnCall.init(),
};

document.addEventListener("DOMContentLoaded", () => {
  refreshTimes();
  setInterval(refreshTimes, 30000);
  labelCellsAsRowsArrive();
  const start = PAGES[body.dataset.page];
  if (start) start();
});
