// camscan serve: the page. A small client of /api/v1 with no dependencies and no build step.
//
// Views, routed on the path (so /devices/12 is a deep link the server answers with this page):
//   /                   the device list: sortable, filterable, updated live from the event stream
//   /devices/{id}       one device: identity, snapshot, availability, streams, checks, events
//   /live/{stream_id}   one stream live, full window (see "Live preview" below)
//   /sites              a fleet's sites at a glance (shown when the inventory holds several)
//   /sites/{name}       the device list of one site
//   /findings           the audit's open findings (`camscan audit` records them), by severity
// Above the list: the scan form (POST /api/v1/scans, its progress from the event stream's
// `event: scan`) and the inventory's downloads (GET /api/v1/export/{format}).
//
// Every string that came from a device is hostile: the DOM is built with createElement and text
// nodes only (never markup from strings), and the page needs no inline script or style, so the
// server's Content-Security-Policy can forbid both.
"use strict";

(() => {
  const SVG_NS = "http://www.w3.org/2000/svg";
  const view = document.getElementById("view");
  const liveEl = document.getElementById("live");

  // ---- DOM helpers: text only ---------------------------------------------------------------

  function append(parent, children) {
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      parent.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return parent;
  }

  function setAttrs(e, attrs) {
    if (!attrs) return e;
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") e.setAttribute("class", v);
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (k === "data") for (const [dk, dv] of Object.entries(v)) e.dataset[dk] = String(dv);
      else e.setAttribute(k, v === true ? "" : String(v));
    }
    return e;
  }

  /** An HTML element: el("a", {href: "/"}, "text", child, ...). */
  function el(tag, attrs, ...children) {
    return append(setAttrs(document.createElement(tag), attrs), children);
  }

  /** An SVG element. */
  function sv(tag, attrs, ...children) {
    return append(setAttrs(document.createElementNS(SVG_NS, tag), attrs), children);
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  const dash = "\u2014";
  const orDash = (v) => (v === null || v === undefined || v === "" ? dash : v);

  // ---- Time and number formats --------------------------------------------------------------

  const pad = (n) => String(n).padStart(2, "0");

  function when(iso) {
    if (!iso) return dash;
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }

  function age(iso) {
    if (!iso) return dash;
    const s = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
    if (s < 60) return `${Math.floor(s)} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
    return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
  }

  /** A relative time that the page refreshes every 30 s; the absolute time as its title. */
  function rel(iso, prefix, suffix) {
    return el("span", { class: "rel", title: when(iso), data: { ts: iso || "", prefix: prefix || "", suffix: suffix || "" } },
      `${prefix || ""}${age(iso)}${suffix || ""}`);
  }

  setInterval(() => {
    for (const e of document.querySelectorAll("span.rel")) {
      if (e.dataset.ts) e.textContent = `${e.dataset.prefix}${age(e.dataset.ts)}${e.dataset.suffix}`;
    }
  }, 30000);

  function num(v, digits) {
    if (v === null || v === undefined || Number.isNaN(v)) return dash;
    return Number(v).toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  }

  function kbps(v) {
    if (v === null || v === undefined) return dash;
    return v >= 1000 ? `${num(v / 1000, 2)} Mbit/s` : `${num(v, 0)} kbit/s`;
  }

  // ---- API ----------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
    }
  }

  async function api(path) {
    const r = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (r.status === 401 && !path.startsWith("/login")) {
      location.assign("/login");
      throw new ApiError(401, "sign in first");
    }
    if (!r.ok) {
      let detail = `${r.status} ${r.statusText}`;
      try {
        const p = await r.json();
        detail = p.detail || p.title || detail;
      } catch (_) { /* not a problem document */ }
      throw new ApiError(r.status, detail);
    }
    return r.json();
  }

  /** Every item of a paged list (at most 50 pages of 1,000). */
  async function all(path) {
    const sep = path.includes("?") ? "&" : "?";
    let items = [];
    let cursor = null;
    for (let i = 0; i < 50; i++) {
      const page = await api(`${path}${sep}limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      items = items.concat(page.items);
      if (!page.next_cursor) break;
      cursor = page.next_cursor;
    }
    return items;
  }

  function failure(err) {
    return el("div", { class: "notice error" }, `Could not load: ${err && err.message ? err.message : err}`);
  }

  // ---- Theme --------------------------------------------------------------------------------

  const THEMES = ["auto", "light", "dark"];
  const themeBtn = document.getElementById("theme");

  function applyTheme(t) {
    if (t === "light" || t === "dark") document.documentElement.dataset.theme = t;
    else delete document.documentElement.dataset.theme;
    themeBtn.textContent = `Theme: ${t === "light" ? "light" : t === "dark" ? "dark" : "auto"}`;
    themeBtn.title = t === "auto" ? "Theme: follows the system (click to change)" : `Theme: ${t} (click to change)`;
  }

  function storedTheme() {
    try {
      const t = localStorage.getItem("camscan.theme");
      return THEMES.includes(t) ? t : "auto";
    } catch (_) {
      return "auto";
    }
  }

  applyTheme(storedTheme());
  themeBtn.addEventListener("click", () => {
    const next = THEMES[(THEMES.indexOf(storedTheme()) + 1) % THEMES.length];
    try { localStorage.setItem("camscan.theme", next); } catch (_) { /* private mode */ }
    applyTheme(next);
  });

  // ---- Badges -------------------------------------------------------------------------------

  function stateBadge(state) {
    return el("span", { class: `badge ${state}` }, state);
  }

  const GOOD = new Set(["device_new", "device_online", "stream_new", "stream_up", "port_opened", "finding_resolved"]);
  const BAD = new Set(["device_offline", "stream_down", "stream_gone", "port_closed", "auth_changed", "capabilities_changed", "finding_new"]);

  function kindBadge(kind) {
    const cls = GOOD.has(kind) ? "good" : BAD.has(kind) ? "bad" : "info";
    return el("span", { class: `badge plain ${cls}` }, String(kind).replace(/_/g, " "));
  }

  // ---- Router -------------------------------------------------------------------------------

  let viewSeq = 0;
  let current = null; // { kind: "list" } | { kind: "device", id, ... }

  function route() {
    const seq = ++viewSeq;
    const path = location.pathname;
    stopLive();
    if (!path.startsWith("/live/")) connect();
    document.getElementById("nav-devices").classList.toggle("active", path === "/" || path.startsWith("/devices/") || path.startsWith("/sites/"));
    document.getElementById("nav-sites").classList.toggle("active", path === "/sites");
    document.getElementById("nav-findings").classList.toggle("active", path === "/findings");
    showActions(path === "/" || path.startsWith("/sites/"));
    let m;
    if (path === "/sites") return showSites(seq);
    if (path === "/findings") return showFindings(seq);
    if ((m = path.match(/^\/sites\/([^/]+)$/))) return showList(seq, decodeURIComponent(m[1]));
    if ((m = path.match(/^\/devices\/([^/]+)$/))) return showDevice(decodeURIComponent(m[1]), seq);
    if ((m = path.match(/^\/live\/([^/]+)$/))) return showLive(decodeURIComponent(m[1]), seq);
    return showList(seq);
  }

  document.addEventListener("click", (e) => {
    const a = e.target.closest ? e.target.closest("a[href]") : null;
    if (!a || a.target || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith("/api/") || url.pathname === "/login") return;
    e.preventDefault();
    if (url.pathname !== location.pathname) history.pushState(null, "", url.pathname);
    route();
    window.scrollTo(0, 0);
  });
  window.addEventListener("popstate", route);

  function ready(kind) {
    performance.mark(`camscan-ready-${kind}`);
    document.body.dataset.view = kind;
    document.body.dataset.ready = String(viewSeq);
  }

  // ---- Sites (a fleet's hub) ----------------------------------------------------------------

  const fleet = { sites: [] };
  /** An agent reports every 5 s; silent for this long, its site's figures are stale. */
  const SILENT_MS = 2 * 60 * 1000;

  /** Whether the inventory holds several sites (or agents send to it): the sites' views show. */
  function multiSite() {
    return fleet.sites.length > 1 || fleet.sites.some((s) => s.last_contact);
  }

  async function loadSites() {
    try { fleet.sites = await api("/api/v1/sites"); } catch (_) { /* keeps the last */ }
    document.getElementById("nav-sites").hidden = !multiSite();
    return fleet.sites;
  }

  /** A site's health at a glance: its agent silent, else devices offline or streams down. */
  function siteHealth(s) {
    if (s.last_contact && Date.now() - Date.parse(s.last_contact) > SILENT_MS) {
      return { cls: "warn", label: "agent silent", why: rel(s.last_contact, "last heard ", " ago") };
    }
    const bad = [];
    if (s.offline) bad.push(`${s.offline} offline`);
    if (s.streams_down) bad.push(`${s.streams_down} stream${s.streams_down === 1 ? "" : "s"} down`);
    if (bad.length) return { cls: "offline", label: "attention", why: bad.join(" \u00b7 ") };
    return { cls: "online", label: "healthy", why: s.devices ? "all online" : "no devices yet" };
  }

  function siteRow(s) {
    const h = siteHealth(s);
    const total = s.streams_up + s.streams_down;
    const bar = el("span", { class: `bar${s.streams_down ? " partial" : ""}` }, el("i"));
    bar.firstChild.style.width = total ? `${Math.round((s.streams_up / total) * 100)}%` : "0%";
    return el("tr", { data: { site: s.name } },
      el("td", null, el("a", { href: `/sites/${encodeURIComponent(s.name)}`, class: "name" }, s.name)),
      el("td", { class: "nowrap" }, el("span", { class: `badge ${h.cls}` }, h.label), el("div", { class: "sub" }, h.why)),
      el("td", { class: "num" }, String(s.devices), el("div", { class: "sub" }, `${s.cameras} camera${s.cameras === 1 ? "" : "s"}`)),
      el("td", { class: "num nowrap" }, `${s.online} / ${s.offline}`, el("div", { class: "sub" }, "online / offline")),
      el("td", { class: "nowrap num" }, total ? `${s.streams_up} / ${total}` : dash, total ? bar : null),
      el("td", { class: "nowrap" }, s.last_scan ? rel(s.last_scan, "", " ago") : dash, el("div", { class: "sub" }, when(s.last_scan))),
      el("td", { class: "nowrap" }, s.last_contact ? rel(s.last_contact, "", " ago") : el("span", { class: "muted" }, "no agent"),
        s.agent ? el("div", { class: "sub" }, s.agent) : null));
  }

  async function showSites(seq) {
    current = { kind: "sites" };
    document.title = "Sites \u00b7 camscan";
    const tbody = el("tbody");
    const count = el("span", { class: "count" }, "");
    const head = el("tr", null, ["Site", "Health", "Devices", "Online / offline", "Streams up", "Last scan", "Agent"].map((l) => el("th", { scope: "col" }, l)));
    const empty = el("div", { class: "empty", hidden: true }, "No site has recorded anything yet.");
    current.render = () => {
      clear(tbody).append(...fleet.sites.map(siteRow));
      const devices = fleet.sites.reduce((n, s) => n + s.devices, 0);
      const attention = fleet.sites.filter((s) => siteHealth(s).cls !== "online").length;
      count.textContent = `${fleet.sites.length} site${fleet.sites.length === 1 ? "" : "s"} \u00b7 ${devices} devices \u00b7 ${attention} need${attention === 1 ? "s" : ""} attention`;
      empty.hidden = fleet.sites.length > 0;
    };
    clear(view).append(el("div", { class: "page-head" }, el("h1", null, "Sites")),
      el("section", { class: "panel" }, el("div", { class: "toolbar" }, count),
        el("table", { class: "grid sites" }, el("thead", null, head), tbody), empty));
    try {
      await loadSites();
      if (seq !== viewSeq) return;
      current.render();
      ready("sites");
    } catch (err) {
      if (seq !== viewSeq) return;
      clear(view).append(failure(err));
    }
  }

  // ---- Device list --------------------------------------------------------------------------

  const list = {
    devices: new Map(),
    filter: "",
    state: "",
    site: "", // one site's devices (/sites/{name}), else every site's
    cameras: (() => { try { return localStorage.getItem("camscan.cameras") === "1"; } catch (_) { return false; } })(),
    sort: loadSort(),
    flash: new Map(), // device id -> time it changed
    // With push targets (serve --push): a checkbox per row; the ids ticked, kept across filters.
    selecting: false,
    selected: new Set(),
    pick: null, // the header's checkbox: every shown row
    pushing: [], // the "Add to" buttons, relabelled as the selection changes
    tbody: null,
    count: null,
    empty: null,
    head: null,
  };

  function loadSort() {
    try {
      const s = JSON.parse(localStorage.getItem("camscan.sort") || "null");
      if (s && typeof s.key === "string" && (s.dir === 1 || s.dir === -1)) return s;
    } catch (_) { /* ignored */ }
    return { key: "state", dir: 1 };
  }

  const STATE_ORDER = { offline: 0, unknown: 1, online: 2 };

  function ipKey(a) {
    if (!a) return "~";
    const p = String(a).split(".");
    if (p.length === 4 && p.every((x) => /^\d+$/.test(x))) return p.map((x) => x.padStart(3, "0")).join(".");
    return String(a).toLowerCase();
  }

  const COLUMNS = [
    { key: "state", label: "State", cmp: (a, b) => (STATE_ORDER[a.state] ?? 9) - (STATE_ORDER[b.state] ?? 9) || String(b.state_since).localeCompare(String(a.state_since)) },
    { key: "vendor", label: "Vendor / model", cmp: (a, b) => `${a.vendor || "~"} ${a.model || ""}`.toLowerCase().localeCompare(`${b.vendor || "~"} ${b.model || ""}`.toLowerCase()) },
    { key: "name", label: "Name", cmp: (a, b) => displayName(a).toLowerCase().localeCompare(displayName(b).toLowerCase()) },
    { key: "address", label: "Address", cmp: (a, b) => ipKey(a.address).localeCompare(ipKey(b.address)) },
    { key: "streams", label: "Streams", cmp: (a, b) => a.streams_up - b.streams_up || a.streams_total - b.streams_total },
    { key: "last_seen", label: "Last seen", cmp: (a, b) => String(b.last_seen).localeCompare(String(a.last_seen)) },
  ];

  const SITE_COLUMN = { key: "site", label: "Site", cmp: (a, b) => String(a.site).localeCompare(String(b.site)) };

  /** The table's columns: with a site column when the inventory holds several sites. */
  function columns() {
    return multiSite() && !list.site ? [COLUMNS[0], SITE_COLUMN, ...COLUMNS.slice(1)] : COLUMNS;
  }

  /** The name a person reads, as the table shows it: the label, else the host name, else the address. */
  function displayName(d) {
    return d.name || d.hostname || d.address || d.key || `device ${d.id}`;
  }

  /** `Axis M1065-L`; the model alone when it already starts with the vendor (`AXIS M1065-L`). */
  function makerModel(vendor, model) {
    if (vendor && model) {
      const head = model.slice(0, vendor.length);
      const next = model.charAt(vendor.length);
      if (head.toLowerCase() === vendor.toLowerCase() && !/[\p{L}\p{N}]/u.test(next)) return model;
      return `${vendor} ${model}`;
    }
    return vendor || model || "";
  }

  function summaryOf(d) {
    // A device detail carries the summary's fields at its top level.
    return {
      id: d.id, key: d.key, state: d.state, state_since: d.state_since, first_seen: d.first_seen,
      last_seen: d.last_seen, address: d.address, mac: d.mac, vendor: d.vendor, model: d.model,
      name: d.name, streams_up: d.streams_up, streams_total: d.streams_total,
      hostname: d.hostname, is_camera: d.is_camera, site: d.site,
    };
  }

  function matches(d) {
    if (list.site && d.site !== list.site) return false;
    if (list.state && d.state !== list.state) return false;
    if (list.cameras && !d.is_camera) return false;
    if (!list.filter) return true;
    const hay = [d.name, d.hostname, d.vendor, d.model, d.address, d.mac, d.key].filter(Boolean).join("\n").toLowerCase();
    return list.filter.split(/\s+/).every((w) => hay.includes(w));
  }

  function deviceRow(d) {
    const up = d.streams_up || 0;
    const total = d.streams_total || 0;
    const bar = el("span", { class: `bar${up < total ? " partial" : ""}` }, el("i"));
    bar.firstChild.style.width = total ? `${Math.round((up / total) * 100)}%` : "0%";
    const flashed = list.flash.get(d.id);
    const row = el("tr", { class: flashed && Date.now() - flashed < 2500 ? "flash" : null, data: { id: d.id } },
      list.selecting ? el("td", { class: "pick" }, pickBox(d)) : null,
      el("td", { class: "nowrap" }, stateBadge(d.state), el("div", { class: "sub" }, rel(d.state_since, "for "))),
      columns().includes(SITE_COLUMN) ? el("td", null, el("a", { href: `/sites/${encodeURIComponent(d.site)}` }, d.site)) : null,
      el("td", null, el("div", null, orDash(d.vendor)), d.model ? el("div", { class: "sub" }, d.model) : null),
      el("td", null, el("a", { href: `/devices/${d.id}`, class: "name" }, displayName(d)),
        el("div", { class: "sub mono" }, d.key)),
      el("td", { class: "nowrap" }, el("div", { class: "mono" }, orDash(d.address)), d.mac ? el("div", { class: "sub mono" }, d.mac) : null),
      el("td", { class: "nowrap num" }, total ? `${up} / ${total}` : dash, total ? bar : null),
      el("td", { class: "nowrap" }, rel(d.last_seen, "", " ago"), el("div", { class: "sub" }, when(d.last_seen))),
    );
    return row;
  }

  /** A row's checkbox: ticks the device for the "Add to" buttons. */
  function pickBox(d) {
    const box = el("input", { type: "checkbox", "aria-label": `Select ${displayName(d)}`, checked: list.selected.has(d.id) });
    box.addEventListener("change", () => {
      if (box.checked) list.selected.add(d.id);
      else list.selected.delete(d.id);
      showSelection();
    });
    return box;
  }

  /** The header's checkbox and the buttons' labels, after the selection or the rows changed. */
  function showSelection() {
    for (const id of [...list.selected]) if (!list.devices.has(id)) list.selected.delete(id);
    if (list.pick) {
      const shown = [...list.devices.values()].filter(matches);
      const ticked = shown.filter((d) => list.selected.has(d.id)).length;
      list.pick.checked = shown.length > 0 && ticked === shown.length;
      list.pick.indeterminate = ticked > 0 && ticked < shown.length;
    }
    const n = list.selected.size;
    for (const b of list.pushing) {
      const name = TOOL_NAMES[b.dataset.push] || b.dataset.push;
      b.textContent = n ? `Add ${n} selected to ${name}` : `Add the shown to ${name}`;
    }
  }

  function renderRows() {
    if (!list.tbody) return;
    const col = columns().find((c) => c.key === list.sort.key) || COLUMNS[0];
    const rows = [...list.devices.values()].filter(matches);
    rows.sort((a, b) => list.sort.dir * col.cmp(a, b) || a.id - b.id);
    clear(list.tbody);
    const frag = document.createDocumentFragment();
    for (const d of rows) frag.append(deviceRow(d));
    list.tbody.append(frag);
    const online = [...list.devices.values()].filter((d) => d.state === "online").length;
    const here = list.site ? [...list.devices.values()].filter((d) => d.site === list.site) : [...list.devices.values()];
    const on = here.filter((d) => d.state === "online").length;
    list.count.textContent = `${rows.length} of ${here.length} devices \u00b7 ${list.site ? on : online} online`;
    list.empty.hidden = rows.length > 0;
    list.empty.textContent = list.devices.size ? "No device matches the filter." : "The inventory has no devices yet: run a scan.";
    showSelection();
    for (const th of list.head.querySelectorAll("th[data-key]")) {
      th.setAttribute("aria-sort", th.dataset.key === list.sort.key ? (list.sort.dir === 1 ? "ascending" : "descending") : "none");
    }
  }

  async function showList(seq, site) {
    current = { kind: "list" };
    list.site = site || "";
    document.title = list.site ? `${list.site} \u00b7 camscan` : "Devices \u00b7 camscan";
    await loadSites();
    if (seq !== viewSeq) return;
    // A fleet's inventory: choose a site (its own path, so it is a link to share).
    const sitePick = multiSite() || list.site ? el("select", { id: "site-filter", "aria-label": "Site" },
      el("option", { value: "" }, "All sites"),
      fleet.sites.map((x) => el("option", { value: x.name, selected: x.name === list.site ? true : null }, x.name))) : null;
    if (sitePick) {
      sitePick.value = list.site;
      sitePick.addEventListener("change", () => {
        history.pushState(null, "", sitePick.value ? `/sites/${encodeURIComponent(sitePick.value)}` : "/");
        route();
      });
    }
    const search = el("input", { type: "search", placeholder: "Filter: name, host name, vendor, address, MAC\u2026", "aria-label": "Filter devices", value: list.filter });
    search.addEventListener("input", () => {
      list.filter = search.value.trim().toLowerCase();
      renderRows();
    });
    const seg = el("div", { class: "seg", role: "group", "aria-label": "State" });
    for (const [value, label] of [["", "All"], ["online", "Online"], ["offline", "Offline"], ["unknown", "Unknown"]]) {
      const b = el("button", { type: "button", class: list.state === value ? "on" : null }, label);
      b.addEventListener("click", () => {
        list.state = value;
        for (const x of seg.children) x.classList.toggle("on", x === b);
        renderRows();
      });
      seg.append(b);
    }
    // Cameras only: the gateway, the printer and the STUN server are not what an inventory of
    // cameras is opened for (`camscan devices --cameras`, `GET /api/v1/devices?cameras=true`).
    const cams = el("div", { class: "seg", role: "group", "aria-label": "Kind" });
    for (const [value, label] of [[false, "All devices"], [true, "Cameras"]]) {
      const b = el("button", { type: "button", class: list.cameras === value ? "on" : null, data: { cameras: String(value) },
        "aria-pressed": String(list.cameras === value) }, label);
      b.addEventListener("click", () => {
        list.cameras = value;
        try { localStorage.setItem("camscan.cameras", value ? "1" : "0"); } catch (_) { /* ignored */ }
        for (const x of cams.children) {
          x.classList.toggle("on", x === b);
          x.setAttribute("aria-pressed", String(x === b));
        }
        renderRows();
      });
      cams.append(b);
    }
    list.count = el("span", { class: "count" }, "");
    // With push targets, the rows ticked (else the rows shown: filter, state, cameras) are what
    // the "Add to" buttons push.
    await loadPushTargets();
    if (seq !== viewSeq) return;
    list.selecting = pushTargets.length > 0;
    list.head = el("tr");
    list.pick = null;
    if (list.selecting) {
      list.pick = el("input", { type: "checkbox", "aria-label": "Select the shown devices" });
      list.pick.addEventListener("change", () => {
        for (const d of [...list.devices.values()].filter(matches)) {
          if (list.pick.checked) list.selected.add(d.id);
          else list.selected.delete(d.id);
        }
        renderRows();
      });
      list.head.append(el("th", { class: "pick", scope: "col" }, list.pick));
    }
    for (const c of columns()) {
      const th = el("th", { class: "sortable", data: { key: c.key }, scope: "col" }, c.label);
      th.addEventListener("click", () => {
        list.sort = list.sort.key === c.key ? { key: c.key, dir: -list.sort.dir } : { key: c.key, dir: 1 };
        try { localStorage.setItem("camscan.sort", JSON.stringify(list.sort)); } catch (_) { /* ignored */ }
        renderRows();
      });
      list.head.append(th);
    }
    list.tbody = el("tbody");
    list.empty = el("div", { class: "empty", hidden: true });
    const pushBox = el("div", { id: "push", class: "push", hidden: true });
    const chosen = () => (list.selected.size ? [...list.selected] : [...list.devices.values()].filter(matches).map((d) => d.id));
    const pushing = pushButtons(pushBox, chosen, (n) => `Add the shown to ${n}`);
    list.pushing = pushing;
    const panel = el("section", { class: "panel" },
      el("div", { class: "toolbar" }, sitePick, search, seg, cams, list.count, pushing.length ? el("span", { class: "push-actions" }, pushing) : null),
      el("table", { class: "grid devices" }, el("thead", null, list.head), list.tbody),
      list.empty);
    clear(view).append(el("div", { class: "page-head" }, el("h1", null, list.site ? `Devices at ${list.site}` : "Devices")), pushBox, panel);
    try {
      const items = await all("/api/v1/devices");
      if (seq !== viewSeq) return;
      list.devices = new Map(items.map((d) => [d.id, d]));
      renderRows();
      ready("list");
    } catch (err) {
      if (seq !== viewSeq) return;
      clear(view).append(failure(err));
    }
  }

  /** The list shown, read again whole (after a scan from the page ends). */
  async function reloadList() {
    if (!current || current.kind !== "list" || !list.tbody) return;
    const view0 = current;
    try {
      const items = await all("/api/v1/devices");
      if (current !== view0) return;
      list.devices = new Map(items.map((d) => [d.id, d]));
      renderRows();
    } catch (_) { /* the next event or scan tries again */ }
  }

  // ---- Findings (camscan audit) -------------------------------------------------------------

  /** Most severe first, as the audit's table lists them. */
  const SEVERITIES = ["critical", "high", "medium", "low", "info"];

  function severityBadge(sev) {
    return el("span", { class: `badge plain sev ${sev}` }, sev);
  }

  /** Most severe first, then by address, id, port and stream (the audit's own order). */
  function findingOrder(a, b) {
    return SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity)
      || ipKey(a.device.address).localeCompare(ipKey(b.device.address))
      || a.finding.localeCompare(b.finding)
      || (a.port || 0) - (b.port || 0)
      || String(a.stream || "").localeCompare(String(b.stream || ""));
  }

  function findingDevice(f) {
    const d = f.device;
    const name = d.name || makerModel(d.vendor, d.model) || d.address || d.key;
    const sub = [d.address, d.mac].filter((x) => x && x !== name).join(" \u00b7 ");
    return [el("a", { href: `/devices/${f.device_id}`, class: "name" }, name), sub ? el("div", { class: "sub mono" }, sub) : null];
  }

  /** One finding as a table row: what, where, the evidence, the fix and where the rule comes from. */
  function findingRow(f, withDevice) {
    const where = [f.port ? `port ${f.port}` : null, f.stream].filter(Boolean).join(" \u00b7 ");
    return el("tr", { data: { finding: f.finding, severity: f.severity, id: f.id, device: f.device_id } },
      el("td", { class: "nowrap" }, severityBadge(f.severity)),
      withDevice ? el("td", null, findingDevice(f)) : null,
      el("td", { class: "finding" }, el("div", { class: "title" }, f.title),
        el("div", { class: "sub mono" }, f.finding), where ? el("div", { class: "sub mono" }, where) : null),
      el("td", { class: "evidence" }, el("div", { class: "mono pre" }, f.evidence)),
      el("td", { class: "fix" }, el("div", null, f.fix), f.vendor_fix ? el("div", { class: "sub" }, f.vendor_fix) : null,
        el("div", { class: "sub source" }, "Source: ", f.source)),
      el("td", { class: "nowrap" }, rel(f.first_seen, "found ", " ago"), el("div", { class: "sub" }, `last ${when(f.last_seen)}`)));
  }

  /** Findings in one table, a group (a `tbody` under its heading row) per severity, most severe first. */
  function findingsTable(items, withDevice) {
    const head = ["Severity", withDevice ? "Device" : null, "Finding", "Evidence", "Fix", "Seen"].filter(Boolean);
    const groups = SEVERITIES.map((sev) => [sev, items.filter((f) => f.severity === sev)]).filter(([, l]) => l.length);
    return el("table", { class: "grid findings" },
      el("thead", null, el("tr", null, head.map((l) => el("th", { scope: "col" }, l)))),
      groups.map(([sev, l]) => el("tbody", { class: "sev-group", data: { severity: sev } },
        el("tr", { class: "sev-head" }, el("th", { colspan: head.length, scope: "rowgroup" },
          severityBadge(sev), ` ${l.length} ${sev} finding${l.length === 1 ? "" : "s"}`)),
        l.map((f) => findingRow(f, withDevice)))));
  }

  const findingsState = { site: "", items: [] };

  async function showFindings(seq) {
    current = { kind: "findings" };
    document.title = "Findings \u00b7 camscan";
    await loadSites();
    if (seq !== viewSeq) return;
    findingsState.site = list.site || findingsState.site;
    const sitePick = multiSite() ? el("select", { id: "findings-site", "aria-label": "Site" },
      el("option", { value: "" }, "All sites"),
      fleet.sites.map((x) => el("option", { value: x.name }, x.name))) : null;
    const count = el("span", { class: "count" }, "");
    const body = el("div", { class: "findings-body" });
    const render = () => {
      const items = findingsState.items.filter((f) => !findingsState.site || f.site === findingsState.site).sort(findingOrder);
      const by = SEVERITIES.map((sev) => [sev, items.filter((f) => f.severity === sev)]).filter(([, l]) => l.length);
      count.textContent = items.length
        ? `${items.length} open finding${items.length === 1 ? "" : "s"} \u00b7 ${by.map(([sev, l]) => `${l.length} ${sev}`).join(" \u00b7 ")}`
        : "no open finding";
      clear(body);
      if (items.length) body.append(findingsTable(items, true));
      else {
        body.append(el("div", { class: "empty" },
          findingsState.items.length ? "No open finding at this site." : "No open finding: `camscan audit` records what it finds here."));
      }
    };
    if (sitePick) {
      sitePick.value = findingsState.site;
      sitePick.addEventListener("change", () => {
        findingsState.site = sitePick.value;
        render();
      });
    }
    current.reload = async () => {
      findingsState.items = await all("/api/v1/findings");
      if (current && current.kind === "findings") render();
    };
    clear(view).append(el("div", { class: "page-head" }, el("h1", null, "Findings")),
      el("section", { class: "panel" }, el("div", { class: "toolbar" }, sitePick, count), body));
    try {
      await current.reload();
      if (seq !== viewSeq) return;
      ready("findings");
    } catch (err) {
      if (seq !== viewSeq) return;
      clear(view).append(failure(err));
    }
  }

  /** A device page's findings panel body, read again on a finding event of the device. */
  async function deviceFindings(id) {
    const items = (await all(`/api/v1/findings?device=${id}`)).sort(findingOrder);
    return items.length ? findingsTable(items, false) : el("div", { class: "empty" }, "No open finding.");
  }

  // ---- Device page --------------------------------------------------------------------------

  /** A stream URL as a user would type it, credentials as placeholders (never real ones). */
  function urlParts(s) {
    const needs = s.auth && s.auth !== "none";
    const m = /^([a-z][a-z0-9+.-]*:\/\/)(.*)$/i.exec(s.url);
    if (!needs || !m) return { scheme: "", creds: "", rest: s.url };
    return { scheme: m[1], creds: `${s.username || "USER"}:PASSWORD@`, rest: m[2] };
  }

  async function copyText(text, button) {
    let ok = false;
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch (_) {
      const ta = el("textarea", { readonly: true, "aria-hidden": "true" });
      ta.value = text;
      ta.style.position = "fixed";
      ta.style.opacity = "0";
      document.body.append(ta);
      ta.select();
      try { ok = document.execCommand("copy"); } catch (_) { ok = false; }
      ta.remove();
    }
    button.textContent = ok ? "Copied" : "Copy failed";
    button.classList.toggle("done", ok);
    setTimeout(() => {
      button.textContent = "Copy";
      button.classList.remove("done");
    }, 1500);
  }

  function streamFacts(s) {
    const facts = [];
    const v = s.video;
    if (v) {
      let t = v.codec;
      if (v.profile) t += ` ${v.profile}`;
      if (v.width && v.height) t += ` ${v.width}\u00d7${v.height}`;
      facts.push(t);
      if (v.fps) facts.push(`${num(v.fps, 2)} fps${v.fps_source ? ` (${v.fps_source})` : ""}`);
    }
    if (s.audio) {
      let t = s.audio.codec;
      if (s.audio.sample_rate) t += ` ${num(s.audio.sample_rate / 1000, 1)} kHz`;
      if (s.audio.channels) t += ` ${s.audio.channels} ch`;
      facts.push(t);
    }
    const me = s.measured;
    if (me) {
      if (me.bitrate_kbps) facts.push(`measured ${kbps(me.bitrate_kbps)}`);
      if (me.fps) facts.push(`measured ${num(me.fps, 2)} fps`);
      facts.push(`over ${me.transport}`);
    }
    facts.push(`auth ${s.auth}${s.username ? ` (${s.username})` : ""}`);
    return el("div", { class: "stream-facts" }, facts.map((f) => el("span", null, f)));
  }

  /** The device's streams, its main stream first (the server's one ranking: `main_stream`). */
  function streamsTable(streams, main) {
    if (!streams.length) return el("div", { class: "empty" }, "No streams known.");
    const body = el("tbody");
    const ordered = [...streams].sort((a, b) => (b.url === main) - (a.url === main));
    for (const s of ordered) {
      const p = urlParts(s);
      const copy = el("button", { type: "button", class: "btn small", title: "Copy the URL (credentials as placeholders)" }, "Copy");
      copy.addEventListener("click", () => copyText(`${p.scheme}${p.creds}${p.rest}`, copy));
      body.append(el("tr", { data: { stream: s.id } },
        el("td", { class: "nowrap" }, stateBadge(s.state), el("div", { class: "sub" }, rel(s.state_since, "for "))),
        el("td", null,
          el("div", { class: "url" }, el("code", null, p.scheme, p.creds ? el("span", { class: "ph" }, p.creds) : null, p.rest), copy),
          streamFacts(s)),
        el("td", { class: "nowrap" }, el("div", null, s.protocol, s.url === main ? el("span", { class: "src", title: "The stream a user would open first" }, " main") : null),
          el("div", { class: "sub" }, `port ${s.port}`)),
        el("td", { class: "nowrap" }, el("div", null, String(s.status).replace(/_/g, " ")),
          el("div", { class: "sub" }, s.last_verified ? rel(s.last_verified, "verified ", " ago") : "not verified")),
        // A stream that answered may be watched, whether or not the scan received media from it
        // (`unverified`); `ok` is one that played.
        el("td", { class: "nowrap" }, s.status === "ok" || s.status === "unverified"
          ? el("a", { class: "btn small", href: `/live/${s.id}`, title: "Watch it live" }, "Live")
          : null)));
    }
    return el("table", { class: "grid streams" },
      el("thead", null, el("tr", null, ["State", "URL and facts", "Protocol", "Status", ""].map((h) => el("th", { scope: "col" }, h)))),
      body);
  }

  const KEY_SOURCE = { mac: "MAC address", serial: "serial number", onvif: "ONVIF endpoint", upnp: "UPnP device UDN", ip: "address only" };

  // The cameras an NVR lists behind it (its private subnet: reached only through the NVR).
  function nvrChannels(list) {
    const state = (c) => c.online === true ? "online" : c.online === false ? "offline" : "unknown";
    const body = el("tbody", null, list.map((c) => el("tr", { "data-channel": String(c.channel) },
      el("td", { class: "mono" }, String(c.channel)),
      el("td", null, orDash(c.name)),
      el("td", null, c.address ? el("span", { class: "mono" }, c.port ? `${c.address}:${c.port}` : c.address) : "\u2014",
        el("div", { class: "src" }, [c.model, c.protocol].filter(Boolean).join(" \u00b7 "))),
      el("td", null, stateBadge(state(c))),
      el("td", null, c.stream ? el("span", { class: "mono" }, c.stream) : "\u2014", c.verified ? el("div", { class: "src" }, "played through the NVR") : null))));
    return el("table", { class: "grid channels" },
      el("thead", null, el("tr", null, ["Channel", "Name", "Camera", "State", "Stream through the NVR"].map((h) => el("th", { scope: "col" }, h)))),
      body);
  }

  // A camera heard on the wire in another subnet: its own address, and the command that reaches it.
  function misaddressed(m) {
    const own = `${m.address}/${m.prefix}${m.mask_assumed ? " (mask not announced, /24 assumed)" : ""}${m.gateway ? `, gateway ${m.gateway}` : ""}`;
    return el("div", { class: "misaddressed" },
      el("div", null, el("span", { class: "mono" }, own), m.reached ? " (reached: scanned through a temporary address)" : " (outside every subnet of this machine: unreachable as it is)"),
      el("div", null, "Reach it with ", el("code", null, m.reach.ip_addr_add), ", later ", el("code", null, m.reach.ip_addr_del)),
      m.reach.ipv6_link_local ? el("div", null, "or at ", el("code", null, `${m.reach.ipv6_link_local}%${m.interface}`)) : null);
  }

  function identity(d) {
    const keyKind = String(d.key || "").split(":")[0];
    const fact = (label, value, source) => [
      el("dt", null, label),
      el("dd", null, orDash(value), source ? el("span", { class: "src" }, source) : null),
    ];
    const services = (d.services || []).map((s) => {
      const walk = s.path_walk && s.path_walk.maker ? `paths: ${s.path_walk.maker} first (${s.path_walk.by})` : null;
      const what = [s.product, s.server, s.title, s.realm ? `realm ${s.realm}` : null, walk].filter(Boolean).join(" \u00b7 ");
      return el("div", null, el("span", { class: "mono" }, `${s.port}/${s.protocol}`), what ? el("span", { class: "src" }, what) : null,
        s.note ? el("div", { class: "src" }, s.note) : null);
    });
    return el("dl", { class: "facts" },
      fact("Identity", el("span", { class: "mono" }, d.key), KEY_SOURCE[keyKind] ? `by ${KEY_SOURCE[keyKind]}` : null),
      multiSite() ? fact("Site", el("a", { href: `/sites/${encodeURIComponent(d.site)}` }, d.site), "identity is per site") : null,
      fact("Vendor", d.vendor), fact("Model", d.model), fact("Firmware", d.firmware), fact("Serial", d.serial),
      fact("Name", d.name), fact("Hostname", d.hostname, d.hostname ? "reverse DNS" : null),
      fact("Address", d.address ? el("span", { class: "mono" }, d.address) : null),
      fact("MAC", d.mac ? el("span", { class: "mono" }, d.mac) : null),
      d.misaddressed ? fact("Misaddressed", misaddressed(d.misaddressed), `heard by ${d.misaddressed.seen_by.join(", ")} on ${d.misaddressed.interface}`) : null,
      fact("Open ports", (d.open_ports || []).join(", ") || null),
      fact("Services", services.length ? services : null),
      fact("Addresses", (d.addresses || []).length > 1 ? d.addresses.map((a) => el("div", { class: "mono" }, a.ip)) : null),
      fact("First seen", when(d.first_seen)), fact("Last seen", when(d.last_seen)));
  }

  // What the device can do (the newest scan's `capabilities`): talk-back, PTZ and autotracking,
  // events, the ONVIF profiles, login schemes per service, which stream records and which detects,
  // and how a browser plays each stream. Every value comes from the device; el() sets text only.
  function capabilities(c) {
    if (!c) return el("div", { class: "empty" }, "Nothing learned yet: a scan fills this in.");
    const fact = (label, value, source) => value == null ? null : [
      el("dt", null, label),
      el("dd", null, value, source ? el("span", { class: "src" }, source) : null),
    ];
    const yes = (on, text) => el("span", { class: on ? "cap-yes" : "cap-no" }, text);
    const t = c.talkback;
    const talk = t ? yes(t.supported, t.supported
      ? ["yes", t.codec, t.sample_rate ? `${t.sample_rate} Hz` : null].filter(Boolean).join(" ")
      : "no") : null;
    const p = c.ptz;
    const moves = p ? ["absolute", "relative", "continuous"].filter((m) => p[m]) : [];
    const ptz = p ? yes(true, [moves.join(", ") || "no moves listed", p.fov_relative ? "field-of-view moves" : null,
      p.presets != null ? `${p.presets} presets` : null, p.home ? "home" : null].filter(Boolean).join(" \u00b7 ")) : null;
    const e = c.events;
    const topics = e && e.topics ? e.topics : [];
    const events = e ? el("div", null,
      yes(true, [e.pull_point === true ? "pull-point" : e.pull_point === false ? "no pull-point" : null,
        `${topics.length} topic${topics.length === 1 ? "" : "s"}`].filter(Boolean).join(" \u00b7 ")),
      topics.length ? el("div", { class: "src mono" }, topics.slice(0, 12).join(", ") + (topics.length > 12 ? ", \u2026" : "")) : null) : null;
    const o = c.onvif;
    const roles = c.roles || {};
    const role = (r) => r ? el("div", null, el("span", { class: "mono" }, r.url), el("div", { class: "src" }, r.reason)) : null;
    const logins = (c.logins || []).map((l) => el("div", null, el("span", { class: "mono" }, l.service),
      el("span", { class: "src" }, l.offered.map((x) => x === l.used ? `${x} (used)` : x).join(", "))));
    const play = (c.playback || []).map((pb) => el("div", null,
      el("span", { class: `cap-${pb.browsers}` }, pb.browsers), " ", el("span", { class: "mono" }, pb.url),
      el("div", { class: "src" }, pb.reason)));
    return el("dl", { class: "facts capabilities" },
      fact("Talk-back", talk, t ? t.evidence : null),
      fact("PTZ", ptz, p ? `${p.nodes} node${p.nodes === 1 ? "" : "s"}` : null),
      fact("Autotracking", p ? yes(p.autotracking.ready, p.autotracking.ready ? "ready" : "no") : null, p ? p.autotracking.reason : null),
      fact("Events", events),
      fact("ONVIF", o ? [o.profiles && o.profiles.length ? `Profile ${o.profiles.join(", ")}` : null, o.services && o.services.length ? o.services.join(", ") : null].filter(Boolean).join(" \u00b7 ") || null : null),
      fact("Record", role(roles.record)),
      fact("Detect", role(roles.detect)),
      fact("Logins", logins.length ? logins : null),
      fact("In a browser", play.length ? play : null));
  }

  function snapshot(id) {
    const box = el("div", { class: "snapshot" });
    const none = () => clear(box).append(el("div", { class: "none" }, "No snapshot"));
    const img = el("img", { alt: "Snapshot of the camera", src: `/api/v1/devices/${encodeURIComponent(id)}/snapshot` });
    img.addEventListener("error", none);
    box.append(img);
    return box;
  }

  function availability(a) {
    if (!a) return el("div", { class: "chart-empty" }, "No availability data.");
    const from = new Date(a.from).getTime();
    const to = new Date(a.to).getTime();
    const W = 1000;
    const x = (t) => ((t - from) / (to - from)) * W;
    const svg = sv("svg", { class: "avail", viewBox: `0 0 ${W} 20`, preserveAspectRatio: "none", role: "img", "aria-label": "Availability" });
    for (const s of a.spans) {
      const x0 = x(new Date(s.from).getTime());
      const x1 = x(new Date(s.to).getTime());
      // A short online or offline span stays visible (3 of 1,000 units, about a pixel or two).
      const w = Math.max(s.state === "unknown" ? 0 : 3, x1 - x0);
      svg.append(sv("rect", { class: s.state, x: Math.min(x0, W - w).toFixed(2), y: 0, width: w.toFixed(2), height: 20 },
        sv("title", null, `${s.state}: ${when(s.from)} \u2192 ${when(s.to)}`)));
    }
    // A tick at each local midnight.
    const days = el("div", { class: "avail-days" });
    const d = new Date(from);
    d.setHours(24, 0, 0, 0);
    const labels = [];
    for (; d.getTime() < to; d.setDate(d.getDate() + 1)) {
      const xt = x(d.getTime());
      svg.append(sv("line", { class: "tick", x1: xt.toFixed(2), x2: xt.toFixed(2), y1: 0, y2: 20 }));
      labels.push(`${pad(d.getMonth() + 1)}-${pad(d.getDate())}`);
    }
    append(days, labels.map((l) => el("span", null, l)));
    const ratio = a.online_ratio === null || a.online_ratio === undefined ? dash : `${num(a.online_ratio * 100, 2)} %`;
    return el("div", null,
      el("div", { class: "avail-head" }, el("span", { class: "ratio" }, ratio), el("span", { class: "muted" }, "online while known"),
        el("span", { class: "legend" }, el("span", null, el("i", { class: "online" }), "online"),
          el("span", null, el("i", { class: "offline" }), "offline"), el("span", null, el("i", { class: "unknown" }), "not yet known"))),
      svg, days);
  }

  /** A line chart of `points` ({t, v}) with failed checks (`fails`: times) marked below. */
  function lineChart(title, unit, points, fails, fmt) {
    const W = 320, H = 120, L = 38, R = 8, T = 8, B = 18;
    const svg = sv("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title, data: { points: points.length } });
    const times = points.map((p) => p.t).concat(fails);
    if (!times.length) return null;
    let t0 = Math.min(...times), t1 = Math.max(...times);
    if (t1 - t0 < 1000) { t0 -= 30000; t1 += 30000; }
    const vals = points.map((p) => p.v);
    // Three grid steps of a round size (1, 2, 2.5 or 5 times a power of ten) above the maximum.
    const top = Math.max(vals.length ? Math.max(...vals) : 1, 1e-9);
    const raw = (top * 1.05) / 3;
    const mag = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((m) => m >= raw);
    const v0 = 0;
    const v1 = step * 3;
    const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
    const y = (v) => T + (1 - (v - v0) / (v1 - v0)) * (H - T - B);
    for (let i = 0; i <= 3; i++) {
      const v = v0 + ((v1 - v0) * i) / 3;
      svg.append(sv("line", { class: "grid", x1: L, x2: W - R, y1: y(v).toFixed(1), y2: y(v).toFixed(1) }));
      svg.append(sv("text", { class: "axis", x: L - 5, y: (y(v) + 3).toFixed(1), "text-anchor": "end" }, fmt(v)));
    }
    const tl = (t) => { const d = new Date(t); return `${pad(d.getHours())}:${pad(d.getMinutes())}`; };
    svg.append(sv("text", { class: "axis", x: L, y: H - 4, "text-anchor": "start" }, tl(t0)));
    svg.append(sv("text", { class: "axis", x: W - R, y: H - 4, "text-anchor": "end" }, tl(t1)));
    if (points.length) {
      const d = points.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join("");
      const base = y(v0).toFixed(1);
      svg.append(sv("path", { class: "area", d: `${d}L${x(points[points.length - 1].t).toFixed(1)},${base}L${x(points[0].t).toFixed(1)},${base}Z` }));
      svg.append(sv("path", { class: "line", d }));
      for (const p of points) {
        svg.append(sv("circle", { class: "pt", cx: x(p.t).toFixed(1), cy: y(p.v).toFixed(1), r: points.length > 60 ? 1.2 : 2 },
          sv("title", null, `${when(new Date(p.t).toISOString())}: ${fmt(p.v)} ${unit}`)));
      }
    }
    for (const t of fails) {
      svg.append(sv("rect", { class: "fail", x: (x(t) - 1.5).toFixed(1), y: H - B + 2, width: 3, height: 5 },
        sv("title", null, `${when(new Date(t).toISOString())}: check failed`)));
    }
    const last = points.length ? points[points.length - 1].v : null;
    const avg = vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : null;
    return el("figure", { class: "chart" },
      el("figcaption", null, el("b", null, title),
        el("span", { class: "stats" }, vals.length ? `min ${fmt(Math.min(...vals))} \u00b7 avg ${fmt(avg)} \u00b7 max ${fmt(Math.max(...vals))}` : "no values"),
        el("span", { class: "last" }, last === null ? dash : `${fmt(last)} ${unit}`)),
      svg);
  }

  function checkCharts(stream, checks) {
    const block = el("div", { class: "chart-block", data: { stream: stream.id } },
      el("div", { class: "chart-title" }, el("code", { class: "mono" }, stream.url),
        el("span", { class: "muted" }, checks.length ? `${checks.length} checks, ${checks.filter((c) => !c.ok).length} failed` : "")));
    if (!checks.length) {
      block.append(el("div", { class: "chart-empty" }, "No checks recorded: `camscan watch --check-streams 1m` records them."));
      return block;
    }
    const series = (field) => checks.filter((c) => c[field] !== null && c[field] !== undefined).map((c) => ({ t: new Date(c.at).getTime(), v: c[field] }));
    const fails = checks.filter((c) => !c.ok).map((c) => new Date(c.at).getTime());
    block.append(el("div", { class: "charts" },
      lineChart("Frame rate", "fps", series("fps"), fails, (v) => num(v, 1)),
      lineChart("Bitrate", "kbit/s", series("bitrate_kbps"), fails, (v) => num(v, 0)),
      lineChart("First packet", "ms", series("first_packet_ms"), fails, (v) => num(v, 0))));
    return block;
  }

  function detailText(detail, kind) {
    if (!detail || typeof detail !== "object") return detail === null || detail === undefined ? "" : String(detail);
    if (String(kind).startsWith("finding_")) {
      // `high · stream-unauthenticated · port 554: A stream plays without credentials`
      return `${[detail.severity, detail.finding, detail.port ? `port ${detail.port}` : null].filter(Boolean).join(" \u00b7 ")}: ${detail.title}`;
    }
    const show = (v) => (v !== null && typeof v === "object" ? JSON.stringify(v) : String(v));
    if ("before" in detail || "after" in detail) return `${show(detail.before ?? dash)} \u2192 ${show(detail.after ?? dash)}`;
    return Object.entries(detail).filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => `${k}: ${show(v)}`).join(", ");
  }

  function eventItem(e, fresh) {
    return el("li", { class: fresh ? "flash" : null, data: { eventId: e.id, kind: e.kind } },
      el("span", { class: "when", title: when(e.at) }, when(e.at)),
      el("span", null, kindBadge(e.kind)),
      el("span", { class: "what" },
        e.stream_url ? el("div", { class: "mono" }, e.stream_url) : null,
        el("div", { class: "detail" }, detailText(e.detail, e.kind))));
  }

  function panel(title, right, ...body) {
    return el("section", { class: "panel" }, el("header", null, el("h2", null, title), right ? el("span", { class: "right" }, right) : null), ...body);
  }

  async function showDevice(id, seq) {
    current = { kind: "device", id: null };
    clear(view).append(el("p", { class: "muted" }, "Loading\u2026"));
    let d, streams, avail, found;
    try {
      d = await api(`/api/v1/devices/${encodeURIComponent(id)}`);
      [streams, avail, found] = await Promise.all([
        all(`/api/v1/streams?device_id=${d.id}`),
        api(`/api/v1/devices/${d.id}/availability?days=7`).catch(() => null),
        deviceFindings(d.id).catch((err) => failure(err)),
      ]);
    } catch (err) {
      if (seq !== viewSeq) return;
      clear(view).append(el("div", { class: "crumbs" }, el("a", { href: "/" }, "Devices")),
        err.status === 404 ? el("div", { class: "notice" }, `No device ${id} in the inventory.`) : failure(err));
      return;
    }
    const checks = await Promise.all(streams.map((s) =>
      api(`/api/v1/streams/${s.id}/checks?since=7d&limit=1000`).then((c) => c.items).catch(() => [])));
    if (seq !== viewSeq) return;
    const title = d.name || d.hostname || makerModel(d.vendor, d.model) || d.address || d.key;
    document.title = `${title} \u00b7 camscan`;
    const events = el("ol", { class: "timeline" }, d.events.map((e) => eventItem(e, false)));
    const streamsBody = el("div", { class: "body flush" }, streamsTable(streams, d.main_stream));
    const findingsBody = el("div", { class: "body flush", id: "device-findings" }, found);
    current = { kind: "device", id: d.id, events, streamsBody, findingsBody, known: new Set(d.events.map((e) => e.id)) };
    const charts = el("div", { class: "body" }, streams.map((s, i) => checkCharts(s, checks[i])));
    await loadPushTargets();
    if (seq !== viewSeq) return;
    const pushBox = el("div", { id: "push", class: "push", hidden: true });
    const pushed = d.pushed || [];
    const opened = streams.some((s) => s.status === "ok" || s.status === "unverified");
    const pushing = d.is_camera || streams.length ? pushButtons(pushBox, () => [d.id], (n) => `Add to ${n}`, (t) => pushBlocked(t, pushed, opened)) : [];
    const blocked = pushing.map((b) => b.dataset.why).filter(Boolean);
    clear(view).append(
      el("div", { class: "crumbs" }, el("a", { href: "/" }, "Devices"), " / ", title),
      el("div", { class: "page-head" }, el("h1", { class: "device-title" }, title), stateBadge(d.state),
        el("span", { class: "sub" }, rel(d.state_since, "for ")), el("span", { class: "sub mono" }, d.key),
        pushing.length ? el("span", { class: "push-actions" }, pushing) : null),
      blocked.length ? el("div", { class: "push-why hint", id: "push-why" }, blocked.map((w) => el("div", null, w))) : null,
      pushBox,
      el("div", { class: "cols" },
        el("div", { class: "stack" },
          panel("Availability", "last 7 days", el("div", { class: "body" }, availability(avail))),
          panel("Streams", `${d.streams_up} of ${d.streams_total} up`, streamsBody),
          (d.nvr_channels || []).length ? panel("Cameras behind this NVR", `${d.nvr_channels.length} channels, as the NVR lists them`,
            el("div", { class: "body flush" }, nvrChannels(d.nvr_channels))) : null,
          panel("Findings", "open, from camscan audit", findingsBody),
          panel("Stream checks", "fps, bitrate and time to first packet", charts),
          panel("Events", `${d.events.length}`, el("div", { class: "body flush" }, d.events.length ? events : el("div", { class: "empty" }, "No events."), d.events.length ? null : events))),
        el("div", { class: "stack" },
          panel("Snapshot", null, el("div", { class: "body" }, snapshot(d.id))),
          panel("Identity", null, el("div", { class: "body" }, identity(d))),
          panel("Pushed", pushed.length ? `into ${pushed.length} entr${pushed.length === 1 ? "y" : "ies"}` : null,
            el("div", { class: "body flush", id: "device-pushed" }, pushedTable(pushed))),
          panel("Capabilities", "what it can do", el("div", { class: "body", id: "device-capabilities" }, capabilities(d.capabilities))))));
    ready("device");
  }

  // ---- Push into a running tool (camscan serve --push TOOL=URL) --------------------------------
  //
  // GET /api/v1/push lists the tools; POST /api/v1/push/{tool} with {devices, apply: false} is the
  // plan (nothing sent to the tool), then with apply: true the change and each camera's result.
  // Nothing is sent before the user presses Apply. Every string shown is set as text.

  const TOOL_NAMES = { frigate: "Frigate", go2rtc: "go2rtc", mediamtx: "MediaMTX", homeassistant: "Home Assistant" };
  let pushTargets = null;

  async function loadPushTargets() {
    if (pushTargets) return pushTargets;
    try {
      pushTargets = (await api("/api/v1/push")).targets || [];
    } catch (_) {
      pushTargets = [];
    }
    return pushTargets;
  }

  async function postPush(tool, devices, apply) {
    const r = await fetch(`/api/v1/push/${encodeURIComponent(tool)}`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ devices, apply }),
    });
    if (r.status === 401) {
      location.assign("/login");
      throw new ApiError(401, "sign in first");
    }
    let body = null;
    try { body = await r.json(); } catch (_) { /* not JSON */ }
    if (!r.ok) throw new ApiError(r.status, (body && (body.detail || body.title)) || `${r.status} ${r.statusText}`);
    return body;
  }

  function pushWhy(step) {
    let why = "";
    if (Array.isArray(step.why)) why = step.why.join("; ");
    else if (step.why) why = step.why;
    else if (step.instead_of) why = `${step.instead_of} is a person's entry: named ${step.name}`;
    if (step.note) why = why ? `${why}; ${step.note}` : step.note;
    return why;
  }

  function pushResult(r) {
    if (!r) return "";
    if (r.sent && !r.accepted) return `refused: ${r.message || ""}`;
    if (r.verified === true) return r.sent ? "done, verified" : "present, verified";
    if (r.verified === false) return `not verified: ${r.message || "not in the tool"}`;
    return "";
  }

  function pushTable(o) {
    const done = o.results && o.results.length > 0;
    return el("table", { class: "grid push-plan" },
      el("thead", null, el("tr", null, el("th", null, "Name"), el("th", null, "Plan"), el("th", null, "Camera stream"),
        el("th", null, done ? "Result" : "Why"))),
      el("tbody", null, o.steps.map((s, i) => {
        const r = done ? o.results[i] : null;
        const text = done ? (pushResult(r) || pushWhy(s)) : pushWhy(s);
        const bad = r && ((r.sent && !r.accepted) || r.verified === false);
        return el("tr", { data: { action: s.action } },
          el("td", { class: "mono" }, s.name),
          el("td", null, el("span", { class: `badge push-${s.action}` }, s.action)),
          el("td", { class: "mono wrap" }, s.stream || dash),
          el("td", { class: bad ? "bad" : (r && r.verified ? "good" : null) }, text));
      })));
  }

  function pushCounts(o) {
    const n = {};
    for (const s of o.steps) n[s.action] = (n[s.action] || 0) + 1;
    const words = { add: "to add", update: "to update", keep: "already right", leave: "left alone", skip: "skipped", remove: "to remove" };
    return Object.entries(n).map(([k, v]) => `${v} ${words[k] || k}`).join(", ") || "no camera to push";
  }

  /** The plan of pushing `devices` into `target`, shown in `box`, with an Apply button. */
  async function showPush(box, target, devices) {
    const name = TOOL_NAMES[target.tool] || target.tool;
    clear(box).append(panel(`Add to ${name}`, target.url, el("div", { class: "body" }, el("p", { class: "muted" }, "Planning…"))));
    box.hidden = false;
    let plan;
    try {
      plan = await postPush(target.tool, devices, false);
    } catch (err) {
      clear(box).append(panel(`Add to ${name}`, target.url, el("div", { class: "body" }, el("div", { class: "notice error" }, err.message))));
      return;
    }
    const sends = plan.steps.some((s) => s.action === "add" || s.action === "update" || s.action === "remove");
    const apply = el("button", { type: "button", class: "btn primary", id: "push-apply", disabled: sends ? null : true }, "Apply");
    const cancel = el("button", { type: "button", class: "btn" }, "Close");
    const status = el("span", { class: "muted push-status" }, `Plan: ${pushCounts(plan)}. Nothing is sent before Apply.`);
    const table = el("div", { class: "body flush" }, pushTable(plan));
    const notes = el("div", { class: "body" },
      (plan.references || []).length ? el("p", null, `Set in ${name}'s environment: ${plan.references.join(", ")}`) : null,
      (plan.notes || []).map((n) => el("p", { class: "muted" }, n)));
    cancel.addEventListener("click", () => { box.hidden = true; clear(box); });
    apply.addEventListener("click", async () => {
      apply.disabled = true;
      status.textContent = "Applying…";
      try {
        const done = await postPush(target.tool, devices, true);
        clear(table).append(pushTable(done));
        const refused = done.results.filter((r) => r.sent && !r.accepted).length;
        const checked = done.results.filter((r) => r.verified !== undefined && r.verified !== null);
        const ok = checked.filter((r) => r.verified).length;
        status.textContent = `Applied: ${refused} refused, verified ${ok} of ${checked.length}.`;
        status.dataset.state = refused || ok < checked.length ? "failed" : "done";
      } catch (err) {
        // 503: the server's deadline passed first; the push goes on there to its end.
        status.textContent = err.status === 503
          ? `No answer in time: ${err.message}. The push goes on in the server; close and plan again to see what ${name} holds.`
          : `Not applied: ${err.message}`;
        status.dataset.state = "failed";
      }
    });
    clear(box).append(panel(`Add to ${name}`, target.url, el("div", { class: "toolbar" }, apply, cancel, status), table, notes));
    box.scrollIntoView({ block: "nearest" });
  }

  /** Why one device cannot be added to `t` from its page: none of its streams opened, or camscan
   * wrote its entry there already (the push ledger's row, `pushed`); null when it can. */
  function pushBlocked(t, pushed, opened) {
    const name = TOOL_NAMES[t.tool] || t.tool;
    const there = pushed.find((p) => p.tool === t.tool && p.target === t.url);
    if (there) {
      return { label: `In ${name}`, why: `Already in ${name} as ${there.name} (${there.state || "written"}, ${when(there.written_at)}): camscan push keeps it up to date.` };
    }
    if (!opened) return { label: null, why: `Nothing to add to ${name}: camscan has opened no stream of this device.` };
    return null;
  }

  /** The push ledger's rows for one device: tool, entry, when camscan wrote it, its state. */
  function pushedTable(pushed) {
    if (!pushed.length) return el("div", { class: "empty" }, "Not pushed into any tool (camscan push, or an \u201cAdd to\u201d button).");
    return el("table", { class: "grid pushed" },
      el("thead", null, el("tr", null, ["Tool", "Entry", "Written", "State"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", null, pushed.map((p) => el("tr", { data: { tool: p.tool } },
        el("td", { title: p.target }, TOOL_NAMES[p.tool] || p.tool),
        el("td", { class: "mono" }, p.name),
        el("td", { class: "nowrap" }, rel(p.written_at, "", " ago"), el("div", { class: "sub" }, when(p.written_at))),
        el("td", null, el("span", { class: `badge push-${p.state || "written"}` }, p.state || "written"))))));
  }

  /** One "Add to <tool>" button per configured tool, for `devices()` (ids, read at the click);
   * `blocked(t)` (optional) says why one is not offered: the button is disabled with the reason. */
  function pushButtons(box, devices, label, blocked) {
    return (pushTargets || []).map((t) => {
      const stop = blocked ? blocked(t) : null;
      if (stop) {
        return el("button", { type: "button", class: "btn", disabled: true, title: stop.why, data: { push: t.tool, why: stop.why } },
          stop.label || label(TOOL_NAMES[t.tool] || t.tool));
      }
      const b = el("button", { type: "button", class: "btn", data: { push: t.tool } }, label(TOOL_NAMES[t.tool] || t.tool));
      b.addEventListener("click", () => {
        const ids = devices();
        if (ids.length) showPush(box, t, ids);
      });
      return b;
    });
  }

  // ---- Live preview (/live/{stream_id}) -----------------------------------------------------
  //
  // GET /api/v1/streams/{id}/preview says which players can show the stream, best first:
  //   webrtc    H.264 without B-frames: WHEP (POST an offer, DELETE the session's Location);
  //             if it is not connected within WEBRTC_PATIENCE ms (or shows no picture within
  //             WEBRTC_FIRST_PICTURE ms), the MSE player takes over
  //   mse       H.264 (B-frames fine): fMP4 over the WebSocket `live` into Media Source Extensions
  //   mjpeg     MJPEG over HTTP, shown as it is in an <img>
  //   snapshot  H.265 and the rest: the camera's snapshot, refreshed, with the plain reason
  // `?mode=mse` or `?mode=webrtc` forces a player. The page fills the window (a wall display) and
  // shows the codec, size, frame rate and how far behind the newest frame it plays.
  // window.camscanLive = { mode, state: connecting|playing|reconnecting|failed, reason, pc, dropped }
  // is what a test (or a curious user in the console) reads.

  const WEBRTC_PATIENCE = 4000;
  /** A connected WebRTC session waits this long (ms) for its first picture: the camera's next
   *  keyframe (a viewer starts at one), which comes every 1-4 s on most cameras, 10 s on some. */
  const WEBRTC_FIRST_PICTURE = 12000;
  /** The MSE player seeks forward when it is this far (s) behind the newest frame it holds. */
  const MAX_BEHIND = 1.5;
  /** ... to this far behind (s): a frame or two of slack, so playback does not stall. */
  const TARGET_BEHIND = 0.3;
  /** Seconds of played video kept in the MSE buffer (the rest is removed). */
  const KEEP_BEHIND = 10;
  /** Fragments waiting for the SourceBuffer before the player starts over from a keyframe. */
  const MAX_PENDING = 400;
  const SNAPSHOT_EVERY = 2000;

  let liveStop = null;

  function stopLive() {
    document.body.classList.remove("live-mode");
    if (liveStop) {
      const s = liveStop;
      liveStop = null;
      s();
    }
  }
  window.addEventListener("pagehide", stopLive);

  function showLive(streamId, seq) {
    current = { kind: "live" };
    document.title = "Live preview \u00b7 camscan";
    document.body.classList.add("live-mode");
    const status = { mode: null, state: "connecting", reason: null, pc: null, dropped: 0 };
    window.camscanLive = status;
    const video = el("video", { id: "live-video", muted: true, autoplay: true, playsinline: true });
    video.muted = true;
    const img = el("img", { id: "live-img", alt: "The camera's picture", hidden: true });
    const info = el("div", { id: "live-info", class: "live-info" }, "connecting\u2026");
    const reason = el("div", { id: "live-reason", class: "live-reason", hidden: true });
    const back = el("a", { class: "live-back", href: "/" }, "\u2190 Devices");
    const stage = el("div", { class: "live-stage" }, video, img, info, reason, back);
    clear(view).append(stage);
    const cleanups = [];
    let stopped = false;
    liveStop = () => {
      stopped = true;
      for (const c of cleanups.splice(0)) {
        try { c(); } catch (_) { /* ended already */ }
      }
      video.removeAttribute("src");
      video.srcObject = null;
    };
    const facts = { codec: null, width: null, height: null, fps: null, behind: null };
    const say = (state, why) => {
      status.state = state;
      status.reason = why || null;
      reason.hidden = !why;
      reason.textContent = why || "";
      stage.dataset.state = state;
      paint();
    };
    const paint = () => {
      const parts = [];
      if (facts.codec) parts.push(String(facts.codec).toUpperCase().replace("H264", "H.264").replace("H265", "H.265"));
      if (facts.width && facts.height) parts.push(`${facts.width}\u00d7${facts.height}`);
      if (facts.fps) parts.push(`${Number(facts.fps).toFixed(1)} fps`);
      if (facts.behind !== null && facts.behind !== undefined) parts.push(`${Math.round(facts.behind * 1000)} ms behind`);
      if (status.mode) parts.push(status.mode === "mse" ? "MSE" : status.mode === "webrtc" ? "WebRTC" : status.mode);
      // Audio the preview does not play is said, not silently dropped.
      if (facts.audioNote) parts.push(facts.audioNote);
      parts.push(status.state);
      info.textContent = parts.join(" \u00b7 ");
    };
    const forced = new URLSearchParams(location.search).get("mode");

    const start = async () => {
      let p;
      try {
        p = await api(`/api/v1/streams/${encodeURIComponent(streamId)}/preview`);
      } catch (err) {
        if (stopped || seq !== viewSeq) return;
        if (err.status === 404 || err.status === 422 || err.status === 400) {
          say("failed", err.status === 404 ? `No verified stream ${streamId} in the inventory.` : err.message);
          return;
        }
        // The camera refused or is down: try again (it may come back).
        say("reconnecting", err.message);
        const t = setTimeout(start, 3000);
        cleanups.push(() => clearTimeout(t));
        return;
      }
      if (stopped || seq !== viewSeq) return;
      back.setAttribute("href", `/devices/${p.device_id}`);
      back.textContent = "\u2190 Device";
      document.title = `Live: ${p.url} \u00b7 camscan`;
      Object.assign(facts, { codec: p.codec, width: p.width, height: p.height, fps: p.fps });
      let modes = p.modes.slice();
      if (forced && modes.includes(forced)) modes = [forced, ...modes.filter((m) => m !== forced)];
      else if (forced === "webrtc" && modes.includes("mse")) modes = ["webrtc", "mse"];
      if (modes[0] === "webrtc") playWebrtc(p, modes.includes("mse") && forced !== "webrtc");
      else if (modes[0] === "mse") playMse(p);
      else if (modes[0] === "mjpeg") playImage(p.mjpeg, "mjpeg");
      else playSnapshots(p);
      facts.audioNote = p.audio_note || null;
    };

    function playImage(src, mode) {
      status.mode = mode;
      video.hidden = true;
      img.hidden = false;
      img.addEventListener("load", () => say("playing"), { once: true });
      img.addEventListener("error", () => say("failed", "the stream did not load"));
      img.src = src;
      cleanups.push(() => img.removeAttribute("src"));
      paint();
    }

    function playSnapshots(p) {
      status.mode = "snapshot";
      video.hidden = true;
      img.hidden = false;
      say("playing", p.reason);
      let url = null;
      let timer = null;
      const next = async () => {
        try {
          const r = await fetch(p.snapshot, { credentials: "same-origin" });
          if (!r.ok) throw new Error(`${r.status}`);
          const blob = await r.blob();
          if (stopped) return;
          if (url) URL.revokeObjectURL(url);
          url = URL.createObjectURL(blob);
          img.src = url;
          say("playing", p.reason);
        } catch (_) {
          if (!stopped) say("reconnecting", `${p.reason} (the camera gives no snapshot now)`);
        }
        if (!stopped) timer = setTimeout(next, SNAPSHOT_EVERY);
      };
      next();
      cleanups.push(() => { clearTimeout(timer); if (url) URL.revokeObjectURL(url); });
    }

    /** Pictures the video element has presented (counted per frame where the browser can). */
    let presented = 0;
    if (video.requestVideoFrameCallback) {
      const count = () => {
        presented++;
        if (!stopped) video.requestVideoFrameCallback(count);
      };
      video.requestVideoFrameCallback(count);
    }
    /** Whether a picture is shown: a decoded frame, not only a clock that runs (a WebRTC track's
     *  time advances before its first frame). */
    const pictured = () => video.videoWidth > 0 && (video.requestVideoFrameCallback ? presented > 0 : video.currentTime > 0);

    /** Watches the video element: playing while new pictures come. */
    function watchProgress() {
      let last = -1;
      let still = 0;
      const t = setInterval(() => {
        const now = video.requestVideoFrameCallback ? presented : video.currentTime;
        if (now !== last && pictured()) {
          still = 0;
          if (status.state !== "playing") say("playing");
        } else if (++still >= 6 && status.state === "playing") {
          say("reconnecting", "no new picture for 3 s");
        }
        last = now;
      }, 500);
      cleanups.push(() => clearInterval(t));
    }

    function playMse(p) {
      status.mode = "mse";
      status.pc = null;
      video.hidden = false;
      img.hidden = true;
      if (!window.MediaSource) {
        say("failed", "this browser has no Media Source Extensions");
        return;
      }
      let ws = null;
      let sb = null;
      let ms = null;
      let pending = [];
      let retry = null;
      let ended = false;
      const wsUrl = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${p.live}`;
      const connect = () => {
        ws = new WebSocket(wsUrl);
        ws.binaryType = "arraybuffer";
        ws.addEventListener("message", (m) => {
          if (typeof m.data === "string") {
            let msg;
            try { msg = JSON.parse(m.data); } catch (_) { return; }
            onMessage(msg);
          } else {
            pending.push(m.data);
            if (pending.length > MAX_PENDING) {
              // Far behind: start over at the server's next params (a reconnect gives them).
              pending = [];
              status.dropped++;
              ws.close();
              return;
            }
            pump();
          }
        });
        ws.addEventListener("close", () => {
          if (ended) return;
          say("reconnecting", "the connection to the server closed");
          retry = setTimeout(connect, 1000);
        });
      };
      const onMessage = (msg) => {
        if (msg.type === "params") {
          Object.assign(facts, { codec: msg.codec, width: msg.width, height: msg.height });
          facts.audioNote = msg.audio_note || null;
          newSource(msg.mime);
        } else if (msg.type === "reconnecting") {
          say("reconnecting", `the camera dropped (${msg.reason}); reconnecting`);
        } else if (msg.type === "stats") {
          if (msg.fps) facts.fps = msg.fps;
          status.dropped = Math.max(status.dropped, msg.dropped || 0);
          paint();
        } else if (msg.type === "unsupported") {
          say("failed", msg.reason);
        }
      };
      const newSource = (mime) => {
        pending = [];
        sb = null;
        if (!MediaSource.isTypeSupported(mime)) {
          say("failed", `this browser cannot play ${mime}`);
          return;
        }
        ms = new MediaSource();
        const url = URL.createObjectURL(ms);
        video.src = url;
        ms.addEventListener("sourceopen", () => {
          URL.revokeObjectURL(url);
          try {
            sb = ms.addSourceBuffer(mime);
          } catch (e) {
            say("failed", `the player refused ${mime}: ${e.message}`);
            return;
          }
          sb.addEventListener("updateend", pump);
          sb.addEventListener("error", () => say("reconnecting", "the player failed to decode; starting over"));
          pump();
        }, { once: true });
      };
      const pump = () => {
        if (!sb || sb.updating || !ms || ms.readyState !== "open") return;
        const b = video.buffered;
        if (b.length && video.currentTime - b.start(0) > KEEP_BEHIND * 2) {
          try { sb.remove(b.start(0), video.currentTime - KEEP_BEHIND); } catch (_) { /* busy */ }
          return;
        }
        const next = pending.shift();
        if (!next) return;
        try {
          sb.appendBuffer(next);
        } catch (e) {
          if (e.name === "QuotaExceededError" && b.length) {
            pending.unshift(next);
            try { sb.remove(b.start(0), Math.max(b.start(0) + 0.1, video.currentTime - 1)); } catch (_) { /* busy */ }
          } else {
            say("reconnecting", `the player refused a fragment (${e.name}); starting over`);
            ws.close();
          }
        }
      };
      // The live edge: play the newest frames, seeking forward when far behind.
      const edge = setInterval(() => {
        const b = video.buffered;
        if (!b.length) return;
        const end = b.end(b.length - 1);
        if (video.currentTime < b.start(b.length - 1) || end - video.currentTime > MAX_BEHIND) {
          video.currentTime = Math.max(b.start(b.length - 1), end - TARGET_BEHIND);
        }
        if (video.paused) video.play().catch(() => { /* autoplay of muted video is allowed */ });
        facts.behind = Math.max(0, end - video.currentTime);
        paint();
      }, 250);
      watchProgress();
      connect();
      cleanups.push(() => {
        ended = true;
        clearTimeout(retry);
        clearInterval(edge);
        if (ws) ws.close();
      });
      paint();
    }

    function playWebrtc(p, fallback) {
      status.mode = "webrtc";
      video.hidden = false;
      img.hidden = true;
      let session = null;
      let pc = null;
      let givenUp = false;
      let patience = null;
      let stats = null;
      const end = () => {
        clearTimeout(patience);
        clearInterval(stats);
        if (pc) pc.close();
        pc = null;
        status.pc = null;
        if (session) {
          fetch(session, { method: "DELETE", credentials: "same-origin", keepalive: true }).catch(() => { /* gone */ });
          session = null;
        }
      };
      cleanups.push(end);
      const giveUp = (why) => {
        if (givenUp || stopped) return;
        givenUp = true;
        end();
        if (fallback) {
          info.title = `WebRTC: ${why}; MSE plays instead`;
          playMse(p);
        } else {
          say("failed", `WebRTC: ${why}`);
        }
      };
      const run = async () => {
        pc = new RTCPeerConnection({ iceServers: [] });
        status.pc = pc;
        pc.addTransceiver("video", { direction: "recvonly" });
        pc.addEventListener("track", (e) => {
          video.srcObject = e.streams[0] || new MediaStream([e.track]);
          video.play().catch(() => { /* muted autoplay is allowed */ });
        });
        pc.addEventListener("connectionstatechange", () => {
          if (pc && pc.connectionState === "failed") giveUp("the connection failed");
        });
        await pc.setLocalDescription(await pc.createOffer());
        // Host candidates only (no STUN): gathering is over in milliseconds.
        await new Promise((resolve) => {
          if (pc.iceGatheringState === "complete") return resolve();
          const t = setTimeout(resolve, 1000);
          pc.addEventListener("icegatheringstatechange", () => {
            if (pc.iceGatheringState === "complete") { clearTimeout(t); resolve(); }
          });
        });
        const r = await fetch(p.whep, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/sdp" },
          body: pc.localDescription.sdp,
        });
        if (r.status !== 201) {
          let why = `${r.status}`;
          try { why = (await r.json()).detail || why; } catch (_) { /* not a problem document */ }
          throw new Error(why);
        }
        session = r.headers.get("Location");
        if (stopped || givenUp) return end();
        await pc.setRemoteDescription({ type: "answer", sdp: await r.text() });
      };
      patience = setTimeout(() => {
        if (pictured()) return;
        if (!pc || pc.connectionState !== "connected") {
          giveUp(`not connected within ${WEBRTC_PATIENCE / 1000} s`);
          return;
        }
        patience = setTimeout(() => {
          if (!pictured()) giveUp(`no picture within ${WEBRTC_FIRST_PICTURE / 1000} s`);
        }, WEBRTC_FIRST_PICTURE - WEBRTC_PATIENCE);
      }, WEBRTC_PATIENCE);
      stats = setInterval(async () => {
        if (!pc) return;
        try {
          const report = await pc.getStats();
          report.forEach((s) => {
            if (s.type === "inbound-rtp" && s.kind === "video") {
              if (s.framesPerSecond) facts.fps = s.framesPerSecond;
              if (s.jitterBufferEmittedCount) facts.behind = s.jitterBufferDelay / s.jitterBufferEmittedCount;
              if (s.frameWidth) { facts.width = s.frameWidth; facts.height = s.frameHeight; }
            }
          });
          paint();
        } catch (_) { /* closed */ }
      }, 1000);
      watchProgress();
      run().catch((e) => giveUp(e.message));
      paint();
    }

    start();
    if (seq === viewSeq) ready("live");
  }

  // ---- Scan form and downloads (the #actions section, on the device list) -------------------

  /**
   * The export formats offered as downloads: `camscan scan -f` names and their labels,
   * `[["json", "JSON"], ...]`. The server fills them in from its registry of output formats when
   * it serves this file (`export::FORMATS`, src/serve/web/mod.rs), so a new format needs no edit here.
   */
  const EXPORTS = [/* export::FORMATS */];

  const actions = document.getElementById("actions");
  const scan = {
    built: false,
    options: null,
    job: null, // the job shown (the newest one this page saw)
    request: null, // or the scan queued for another site's agent
    form: null, targets: null, ports: null, creds: null, site: null, siteLabel: null, submit: null, hint: null,
    error: null, progress: null, bar: null, figures: null, stateEl: null, link: null,
    retryTimer: null, pollTimer: null, lastEvent: 0,
  };

  function splitTargets(text) {
    return String(text).split(/[\s,]+/).map((t) => t.trim()).filter(Boolean);
  }

  function scanError(text) {
    scan.error.textContent = text || "";
    scan.error.hidden = !text;
  }

  function buildActions() {
    if (scan.built) return;
    scan.built = true;
    scan.targets = el("input", { type: "text", name: "targets", id: "scan-targets", required: true, autocomplete: "off",
      spellcheck: "false", placeholder: "192.168.1.0/24, 192.168.1.20-192.168.1.40", "aria-describedby": "scan-hint" });
    scan.ports = el("input", { type: "text", name: "ports", id: "scan-ports", autocomplete: "off", spellcheck: "false", placeholder: "server's ports" });
    scan.creds = el("select", { name: "credentials", id: "scan-credentials" });
    // A fleet's hub: scan at another site (queued for that site's agent, which holds it to its
    // own targets and credential sets).
    scan.site = el("select", { name: "site", id: "scan-site" });
    scan.siteLabel = el("label", { hidden: true }, el("span", null, "Site"), scan.site);
    scan.site.addEventListener("change", siteHint);
    scan.submit = el("button", { type: "submit", class: "btn primary" }, "Scan");
    scan.hint = el("div", { class: "hint", id: "scan-hint" }, "Loading the server's scan options\u2026");
    scan.error = el("div", { class: "form-error", role: "alert", hidden: true });
    scan.bar = el("progress", { max: 1, value: 0 });
    scan.stateEl = el("span", { class: "badge running" }, "running");
    scan.figures = el("span", { class: "figures num" }, "");
    scan.link = el("span", { class: "job-link" });
    scan.progress = el("div", { class: "job", hidden: true, "aria-live": "polite" },
      scan.stateEl, scan.bar, scan.figures, scan.link);
    scan.form = el("form", { class: "scan-form", novalidate: true },
      el("label", { class: "grow" }, el("span", null, "Targets"), scan.targets),
      el("label", { class: "ports" }, el("span", null, "Ports"), scan.ports),
      el("label", null, el("span", null, "Credentials"), scan.creds),
      scan.siteLabel,
      scan.submit);
    scan.form.addEventListener("submit", (e) => {
      e.preventDefault();
      startScan();
    });
    const downloads = el("div", { class: "downloads", role: "group", "aria-label": "Download the inventory" },
      EXPORTS.map(([f, label]) => el("a", { class: "btn small", href: `/api/v1/export/${f}`, download: true, data: { format: f },
        title: `The inventory as ${label} (GET /api/v1/export/${f})` }, label)));
    append(clear(actions), [
      el("section", { class: "panel scan-panel" },
        el("header", null, el("h2", null, "New scan"), el("span", { class: "right" }, "one at a time \u00b7 recorded in the inventory")),
        el("div", { class: "body" }, scan.form, scan.hint, scan.error, scan.progress)),
      el("section", { class: "panel export-panel" },
        el("header", null, el("h2", null, "Download the inventory")),
        el("div", { class: "body" }, downloads,
          el("div", { class: "hint" }, "Each device as its newest scan described it; URLs carry no credentials.")))]);
    loadOptions();
    // A job started elsewhere (another tab, a script) is shown too.
    api("/api/v1/scans/jobs").then((r) => {
      const j = r.items && r.items[0];
      if (j && !scan.job) showJob(j);
    }).catch(() => { /* shown when its events come */ });
  }

  /** Whether the form asks for a scan at another site than the server's. */
  function elsewhere() {
    return !scan.siteLabel.hidden && scan.site.value && scan.options && scan.site.value !== scan.options.site;
  }

  /** The hint under the form: the server's allowed targets, or the chosen site's rules. */
  function siteHint() {
    if (!scan.options) return;
    if (elsewhere()) {
      append(clear(scan.hint), ["Queued at this hub for ", el("code", null, scan.site.value),
        "'s agent, which scans within its own targets and credential sets (it starts within 5 s of its next contact)."]);
      for (const c of [scan.targets, scan.ports, scan.creds, scan.submit]) c.disabled = false;
      return;
    }
    const allowed = scan.options.allow_targets || [];
    if (!allowed.length) {
      scan.hint.textContent = "This server takes no scans (started without targets it may scan).";
      for (const c of [scan.targets, scan.ports, scan.creds, scan.submit]) c.disabled = true;
      return;
    }
    for (const c of [scan.targets, scan.ports, scan.creds]) c.disabled = false;
    scan.submit.disabled = scan.job !== null && scan.job.state === "running";
    append(clear(scan.hint), ["Allowed targets: ",
      allowed.map((a, i) => [i ? ", " : "", el("code", null, a)]),
      " \u00b7 addresses, CIDRs or ranges, separated by commas or spaces; no host names."]);
    if (!scan.targets.value && allowed.length === 1) scan.targets.placeholder = allowed[0];
  }

  /** The sites a scan may be asked at: this server's own, and each whose agent reaches it. */
  async function loadScanSites() {
    await loadSites();
    const own = scan.options && scan.options.site;
    const agents = fleet.sites.filter((x) => x.last_contact && x.name !== own).map((x) => x.name);
    scan.siteLabel.hidden = !agents.length;
    const keep = scan.site.value;
    clear(scan.site).append(el("option", { value: own || "" }, own ? `${own} (here)` : "here"),
      ...agents.map((n) => el("option", { value: n }, n)));
    if ([...scan.site.options].some((o) => o.value === keep)) scan.site.value = keep;
    siteHint();
  }

  async function loadOptions() {
    try {
      const o = await api("/api/v1/scans/options");
      scan.options = o;
      clear(scan.creds);
      for (const name of o.credentials || []) scan.creds.append(el("option", { value: name }, name));
      // The set a scan asked without one runs with: the server's own --credentials when it has any.
      if (o.default_credentials && (o.credentials || []).includes(o.default_credentials)) scan.creds.value = o.default_credentials;
      scan.ports.placeholder = o.ports || "server's ports";
      scan.ports.title = o.ports ? `Empty: the server's ports (${o.ports})` : "";
      siteHint();
      await loadScanSites();
    } catch (err) {
      scan.hint.textContent = `Scan options unavailable: ${err.message}`;
    }
  }

  async function startScan() {
    scanError("");
    const targets = splitTargets(scan.targets.value);
    if (!targets.length) {
      scanError("Enter at least one target: an address, a CIDR or a range.");
      scan.targets.focus();
      return;
    }
    const body = { targets };
    const ports = scan.ports.value.trim();
    if (ports) body.ports = ports;
    if (scan.creds.value) body.credentials = scan.creds.value;
    if (elsewhere()) body.site = scan.site.value;
    scan.submit.disabled = true;
    let r;
    try {
      r = await fetch("/api/v1/scans", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      });
    } catch (err) {
      scan.submit.disabled = false;
      scanError(`The server did not answer: ${err.message}`);
      return;
    }
    if (r.status === 401) {
      location.assign("/login");
      return;
    }
    let doc = null;
    try { doc = await r.json(); } catch (_) { /* not JSON */ }
    if (r.status === 202 && doc) {
      if (doc.requested_at !== undefined) showRequest(doc);
      else showJob(doc);
      return;
    }
    scan.submit.disabled = false;
    let text = (doc && (doc.detail || doc.title)) || `${r.status} ${r.statusText}`;
    const retry = Number(r.headers.get("Retry-After"));
    if (r.status === 429 && retry > 0) {
      text += ` (Retry-After: ${retry} s)`;
      holdSubmit(retry);
    }
    scanError(text);
    scan.error.dataset.status = String(r.status);
  }

  /** The button waits out a 429's Retry-After. */
  function holdSubmit(seconds) {
    clearInterval(scan.retryTimer);
    let left = seconds;
    scan.submit.disabled = true;
    scan.submit.textContent = `Scan (${left} s)`;
    scan.retryTimer = setInterval(() => {
      left -= 1;
      if (left > 0) {
        scan.submit.textContent = `Scan (${left} s)`;
        return;
      }
      clearInterval(scan.retryTimer);
      scan.submit.textContent = "Scan";
      scan.submit.disabled = scan.job !== null && scan.job.state === "running";
    }, 1000);
  }

  function showJob(j) {
    if (!j || typeof j.id !== "number" || !scan.built) return;
    // Only the newest job: an older one's late message does not replace it.
    if (scan.job && j.id < scan.job.id) return;
    // The POST's answer may come after the stream's first messages
    // (so a job never runs again, nor goes back: its counts only grow).
    const old = scan.job && j.id === scan.job.id && scan.job.state === "running" && j.state === "running" ? scan.job : null;
    if (old && (j.probes_done < old.probes_done || j.probes_total < old.probes_total || j.devices < old.devices)) return;
    if (scan.job && j.id === scan.job.id && scan.job.state !== "running" && j.state === "running") return;
    // A job this page saw running has just ended: the list is read again (a device the scan saw
    // unchanged makes no event, yet its "last seen" moved).
    const ended = scan.job && j.id === scan.job.id && scan.job.state === "running" && j.state !== "running";
    scan.job = j;
    if (ended) reloadList();
    scan.request = null;
    delete scan.progress.dataset.request;
    scan.lastEvent = Date.now();
    const running = j.state === "running";
    scan.progress.hidden = false;
    scan.progress.dataset.state = j.state;
    scan.progress.dataset.job = String(j.id);
    scan.stateEl.className = `badge ${j.state}`;
    scan.stateEl.textContent = j.state;
    // Probes measure the work; before they are counted, the bar is indeterminate.
    if (j.probes_total > 0) {
      scan.bar.max = j.probes_total;
      scan.bar.value = running ? Math.min(j.probes_done, j.probes_total) : j.probes_total;
    } else if (running) {
      scan.bar.removeAttribute("value");
    } else {
      scan.bar.max = 1;
      scan.bar.value = 1;
    }
    const devices = `${num(j.devices, 0)} device${j.devices === 1 ? "" : "s"} found`;
    scan.figures.textContent = `probes ${num(j.probes_done, 0)} / ${num(j.probes_total, 0)} \u00b7 hosts ${num(j.hosts_done, 0)} / ${num(j.hosts_total, 0)} \u00b7 ${devices}`;
    scan.figures.title = `Job ${j.id}: ${(j.targets || []).join(", ")}`;
    clear(scan.link);
    if (!running) {
      if (j.scan_id !== null && j.scan_id !== undefined) {
        scan.link.append(el("a", { href: `/api/v1/diff?to=${encodeURIComponent(j.scan_id)}`, class: "scan-link", title: "What this scan changed (JSON)" }, `scan ${j.scan_id}`),
          " \u00b7 ", el("a", { href: `/api/v1/scans/jobs/${encodeURIComponent(j.id)}`, title: "The job (JSON)" }, `job ${j.id}`));
      } else {
        scan.link.append(el("a", { href: `/api/v1/scans/jobs/${encodeURIComponent(j.id)}` }, `job ${j.id}`));
      }
      if (j.error) scan.link.append(" \u00b7 ", el("span", { class: "bad" }, j.error));
      if (j.finished_at) scan.link.append(" \u00b7 ", rel(j.finished_at, "ended ", " ago"));
    }
    if (!scan.retryTimer || scan.submit.textContent === "Scan") scan.submit.disabled = running;
    clearInterval(scan.pollTimer);
    scan.pollTimer = null;
    if (running) {
      // The event stream carries the progress; if it is quiet (reconnecting), the job is read.
      scan.pollTimer = setInterval(async () => {
        if (Date.now() - scan.lastEvent < 4000 || !scan.job || scan.job.state !== "running") return;
        try { showJob(await api(`/api/v1/scans/jobs/${scan.job.id}`)); } catch (_) { /* next tick */ }
      }, 2000);
    }
  }

  /** A scan queued for a site's agent: its state read every second until it ends. */
  function showRequest(r) {
    if (!r || typeof r.id !== "number" || !scan.built) return;
    const waiting = r.state === "queued" || r.state === "running";
    scan.job = null;
    scan.request = r;
    scan.progress.hidden = false;
    scan.progress.dataset.state = r.state;
    scan.progress.dataset.request = String(r.id);
    delete scan.progress.dataset.job;
    scan.stateEl.className = `badge ${r.state === "queued" ? "running" : r.state === "refused" ? "failed" : r.state}`;
    scan.stateEl.textContent = r.state;
    if (r.probes_total > 0) {
      scan.bar.max = r.probes_total;
      scan.bar.value = Math.min(r.probes_done, r.probes_total);
    } else if (waiting) {
      scan.bar.removeAttribute("value");
    } else {
      scan.bar.max = 1;
      scan.bar.value = 1;
    }
    const devices = `${num(r.devices, 0)} device${r.devices === 1 ? "" : "s"} found`;
    scan.figures.textContent = r.state === "queued"
      ? `at ${r.site} \u00b7 waiting for its agent`
      : `at ${r.site} \u00b7 probes ${num(r.probes_done, 0)} / ${num(r.probes_total, 0)} \u00b7 ${devices}`;
    scan.figures.title = `Request ${r.id}: ${(r.targets || []).join(", ")}`;
    clear(scan.link);
    const json = el("a", { href: `/api/v1/scans/requests/${encodeURIComponent(r.id)}`, title: "The request (JSON)" }, `request ${r.id}`);
    if (!waiting) {
      if (r.scan_id !== null && r.scan_id !== undefined) {
        scan.link.append(el("a", { href: `/sites/${encodeURIComponent(r.site)}`, class: "scan-link", title: "The site's devices" }, `${r.site}'s devices`), " \u00b7 ");
      }
      scan.link.append(json);
      if (r.error) scan.link.append(" \u00b7 ", el("span", { class: "bad" }, r.error));
      if (r.finished_at) scan.link.append(" \u00b7 ", rel(r.finished_at, "ended ", " ago"));
    } else {
      scan.link.append(json);
    }
    scan.submit.disabled = false;
    clearInterval(scan.pollTimer);
    scan.pollTimer = null;
    // Until it ends and the hub holds its scan (the agent sends the scan, then the request's end).
    if (waiting || (r.state === "done" && r.scan_id === null)) {
      scan.pollTimer = setInterval(async () => {
        if (!scan.request || scan.request.id !== r.id) return;
        try { showRequest(await api(`/api/v1/scans/requests/${r.id}`)); } catch (_) { /* next tick */ }
      }, 1000);
    }
  }

  function showActions(on) {
    if (on) buildActions();
    actions.hidden = !on;
  }

  // ---- Live events --------------------------------------------------------------------------

  const pending = new Set();
  let flushTimer = null;
  let findingsChanged = false;

  function onEvent(e) {
    if (!e || typeof e.device_id !== "number") return;
    if (String(e.kind).startsWith("finding_")) findingsChanged = true;
    if (current && current.kind === "device" && current.id === e.device_id && current.events && !current.known.has(e.id)) {
      current.known.add(e.id);
      const empty = current.events.parentElement && current.events.parentElement.querySelector(".empty");
      if (empty) empty.remove();
      current.events.prepend(eventItem(e, true));
    }
    pending.add(e.device_id);
    if (!flushTimer) flushTimer = setTimeout(flush, 400);
  }

  async function flush() {
    flushTimer = null;
    const ids = [...pending];
    pending.clear();
    const refind = findingsChanged;
    findingsChanged = false;
    if (refind && current && current.kind === "findings" && current.reload) {
      try { await current.reload(); } catch (_) { /* the next event tries again */ }
      return;
    }
    if (refind && current && current.kind === "device" && current.findingsBody && ids.includes(current.id)) {
      const view0 = current;
      try {
        const body = await deviceFindings(view0.id);
        if (current === view0) clear(view0.findingsBody).append(body);
      } catch (_) { /* the next event tries again */ }
    }
    if (current && current.kind === "list") {
      if (ids.length > 25) {
        // Many at once (a scan): one read of the list is cheaper than one per device.
        try {
          const items = await all("/api/v1/devices");
          list.devices = new Map(items.map((d) => [d.id, d]));
          for (const id of ids) list.flash.set(id, Date.now());
          renderRows();
        } catch (_) { /* the next event tries again */ }
        return;
      }
      for (const id of ids) {
        try {
          const d = await api(`/api/v1/devices/${id}`);
          list.devices.set(d.id, summaryOf(d));
          list.flash.set(d.id, Date.now());
        } catch (err) {
          if (err.status === 404) list.devices.delete(id);
        }
      }
      renderRows();
    } else if (current && current.kind === "sites") {
      await loadSites();
      if (current.kind === "sites" && current.render) current.render();
    } else if (current && current.kind === "device" && ids.includes(current.id)) {
      // The device changed: its state badge and its streams' states are read again (the
      // availability and charts follow on the next view).
      const view0 = current;
      try {
        const [d, streams] = await Promise.all([
          api(`/api/v1/devices/${view0.id}`),
          all(`/api/v1/streams?device_id=${view0.id}`),
        ]);
        if (current !== view0) return;
        const head = view.querySelector(".page-head");
        const badge = head && head.querySelector(".badge");
        if (badge) badge.replaceWith(stateBadge(d.state));
        clear(view0.streamsBody).append(streamsTable(streams, d.main_stream));
      } catch (_) { /* the next event tries again */ }
    }
  }

  // The event stream is opened by the views that show events, not by /live/ (a wall of live
  // tabs would spend the browser's six connections per server on it).
  let eventsOpen = false;
  function connect() {
    if (!window.EventSource || eventsOpen) return;
    eventsOpen = true;
    const es = new EventSource("/api/v1/events/stream");
    es.addEventListener("open", () => {
      liveEl.textContent = "Live";
      liveEl.className = "live on";
    });
    es.addEventListener("error", () => {
      liveEl.textContent = "Reconnecting\u2026";
      liveEl.className = "live off";
    });
    es.addEventListener("message", (m) => {
      let e;
      try { e = JSON.parse(m.data); } catch (_) { return; }
      onEvent(e);
    });
    // A scan job's progress and end (no id: not a store event).
    es.addEventListener("scan", (m) => {
      let j;
      try { j = JSON.parse(m.data); } catch (_) { return; }
      showJob(j);
    });
  }

  route();
})();
