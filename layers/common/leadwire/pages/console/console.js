// The owner's console: one page, screens chosen by the address's #fragment, every figure from the JSON API.
// The API key lives in sessionStorage only (this tab, until sign-out or the browser closes), never in a URL.
"use strict";

const KEY = "leadwire.key";
const state = {reps: [], config: null, version: 0, leadsCursor: null, leadsQuery: "", notice: null};

// --- small helpers -------------------------------------------------------------------------------------------
function $(selector, root) { return (root || document).querySelector(selector); }

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function say(target, text, kind) {
  const node = typeof target === "string" ? $(target) : target;
  node.textContent = text || "";
  node.classList.toggle("ok", kind === "ok");
  node.classList.toggle("bad", kind === "bad");
}

function when(iso) {
  if (!iso) return "";
  const moment = new Date(iso);
  return moment.toLocaleString(undefined, {day: "numeric", month: "short", hour: "2-digit", minute: "2-digit"});
}

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `the API answered ${status}`);
    this.status = status;
    this.details = (body && body.details) || [];
  }
}

async function api(method, path, body) {
  const headers = {"Authorization": `Bearer ${sessionStorage.getItem(KEY) || ""}`};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body),
                                      credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer"});
  if (response.status === 401) {
    signOut("Your key was not accepted any more: sign in again.");
    throw new ApiError(401, {message: "signed out"});
  }
  const text = await response.text();
  const type = response.headers.get("content-type") || "";
  const answer = type.startsWith("application/json") && text ? JSON.parse(text) : text;
  if (!response.ok) throw new ApiError(response.status, typeof answer === "object" ? answer : null);
  return answer;
}

// Errors of a 422 beside their fields: `fields` maps a detail's field (or its first part) to an input's id.
function clearErrors(form) {
  for (const node of form.querySelectorAll(".field-error.from-api")) node.remove();
  for (const node of form.querySelectorAll("[aria-invalid=true]")) {
    node.removeAttribute("aria-invalid");
    node.setAttribute("aria-describedby", (node.getAttribute("aria-describedby") || "")
      .split(" ").filter(id => !id.endsWith("-error")).join(" "));
  }
}

function showErrors(form, details, inputFor) {
  clearErrors(form);
  const unplaced = [];
  let first = null;
  for (const detail of details) {
    const input = inputFor(detail.field || "");
    if (!input) { unplaced.push(detail); continue; }
    const id = `${input.id}-error`;
    let note = document.getElementById(id);
    if (!note) {
      note = el("p", {class: "field-error from-api", id});
      input.insertAdjacentElement("afterend", note);
    }
    const reason = detail.reason.replace(/^Value error, /, "");
    note.textContent = note.textContent ? `${note.textContent}; ${reason}` : reason;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", `${input.getAttribute("aria-describedby") || ""} ${id}`.trim());
    first = first || input;
  }
  if (first) first.focus();
  return unplaced;
}

function detailsText(details) {
  return details.map(detail => `${detail.field}: ${detail.reason}`).join("; ");
}

// --- signing in and out --------------------------------------------------------------------------------------
function signedIn() { return Boolean(sessionStorage.getItem(KEY)); }

function signOut(message) {
  sessionStorage.removeItem(KEY);
  state.reps = []; state.config = null;
  $("#api-key").value = "";
  say("#api-key-error", message || "");
  $("#api-key-error").hidden = !message;
  if (location.hash !== "#/signin") history.replaceState(null, "", "#/signin");
  show();
}

async function signIn(event) {
  event.preventDefault();
  const input = $("#api-key"), error = $("#api-key-error");
  const key = input.value.trim();
  error.hidden = true;
  input.removeAttribute("aria-invalid");
  if (!key) return refuseKey("Type your API key.");
  const answer = await fetch("/reps", {headers: {"Authorization": `Bearer ${key}`}, credentials: "omit",
                                       cache: "no-store"});
  if (answer.status === 401) return refuseKey("That key was not accepted.");
  if (!answer.ok) return refuseKey(`The API answered ${answer.status}: try again.`);
  sessionStorage.setItem(KEY, key);
  input.value = "";
  location.hash = "#/leads";
  show();
}

function refuseKey(text) {
  const input = $("#api-key"), error = $("#api-key-error");
  error.textContent = text;
  error.hidden = false;
  input.setAttribute("aria-invalid", "true");
  input.focus();
}

// --- screens ---------------------------------------------------------------------------------------------------
const screens = {};

async function show() {
  const [name, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  const wanted = signedIn() ? (name && name !== "signin" ? name : "leads") : "signin";
  const screen = wanted === "leads" && rest.length ? "lead" : wanted;
  for (const section of document.querySelectorAll(".screen")) section.hidden = section.id !== `screen-${screen}`;
  $("#nav").hidden = !signedIn();
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.screen === wanted) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (screen === "signin") { $("#api-key").focus(); return; }
  try {
    if (!state.reps.length) await loadReps();
    await (screens[screen] || screens.leads)(rest);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    console.error(error);
  }
}

async function loadReps() {
  state.reps = (await api("GET", "/reps")).items;
  const owner = $("#filter-owner");
  owner.replaceChildren(el("option", {value: "", text: "Anyone"}),
                        ...state.reps.map(rep => el("option", {value: rep.id, text: rep.name})));
}

function repName(id) {
  const rep = state.reps.find(candidate => candidate.id === id);
  return rep ? rep.name : (id || "—");
}

// --- leads -----------------------------------------------------------------------------------------------------
function personName(lead) {
  return [lead.first_name, lead.last_name].filter(Boolean).join(" ") || lead.company || lead.email || "a new lead";
}

function leadRow(lead) {
  return el("tr", {"data-lead-id": lead.id},
    el("td", {text: when(lead.created_at)}),
    el("td", {}, el("a", {href: `#/leads/${lead.id}`, text: personName(lead)})),
    el("td", {text: lead.company || ""}),
    el("td", {text: lead.source}),
    el("td", {class: "number", text: String(Math.round(lead.score))}),
    el("td", {text: lead.stage}),
    el("td", {}, el("span", {class: `badge status-${lead.status}`, text: lead.status}),
       lead.stuck ? el("span", {class: "badge status-new", text: "stuck"}) : null,
       lead.needs_review ? el("span", {class: "badge status-new", text: "review"}) : null),
    el("td", {class: "owner", text: repName(lead.owner)}));
}

function filterQuery() {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData($("#filters"))) if (value) params.set(name, value);
  return params;
}

async function showLeads(query, cursor) {
  const params = new URLSearchParams(query);
  params.set("limit", "25");
  if (cursor) params.set("cursor", cursor);
  say("#leads-message", "Loading…");
  let page;
  try {
    page = await api("GET", `/leads?${params}`);
  } catch (error) {
    if (error instanceof ApiError) say("#leads-message", `${error.message}${error.details.length ? ": " +
      detailsText(error.details) : ""}`, "bad");
    return;
  }
  state.leadsQuery = query.toString();
  state.leadsCursor = page.cursor;
  $("#leads-table tbody").replaceChildren(...page.items.map(leadRow));
  const counted = page.items.length ? `${page.items.length} lead${page.items.length === 1 ? "" : "s"}` +
    (page.cursor ? ", more on the next page." : ".") : "No leads match.";
  say("#leads-message", state.notice ? `${state.notice} ${counted}` : counted, state.notice ? "ok" : null);
  state.notice = null;
  $("#leads-next").disabled = !page.cursor;
  $("#leads-first").disabled = !cursor;
}

screens.leads = async () => { await showLeads(filterQuery()); };

// --- one lead --------------------------------------------------------------------------------------------------
screens.lead = async ([leadId]) => {
  const view = $("#lead-view");
  try {
    view.innerHTML = await api("GET", `/console/leads/${encodeURIComponent(leadId)}`);  // rendered and escaped by jinja
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      view.replaceChildren(el("p", {class: "problem", text: "This lead is gone (erased or merged)."}));
      return;
    }
    throw error;
  }
  const heading = $("h1", view);
  if (heading) { heading.tabIndex = -1; heading.focus(); }
};

async function leadAction(event) {
  const form = event.target.closest("form[data-action]");
  if (!form || !$("#lead-view").contains(form)) return;
  event.preventDefault();
  const article = $("#lead"), leadId = article.dataset.leadId, person = article.dataset.person;
  const values = Object.fromEntries(new FormData(form));
  const message = $("#lead-message");
  try {
    if (form.dataset.action === "reassign") {
      if (!values.owner) return say(message, "Choose who should have the lead.", "bad");
      await api("PATCH", `/leads/${leadId}`, {owner: values.owner});
      await screens.lead([leadId]);
      say("#lead-message", `Reassigned to ${repName(values.owner)}.`, "ok");
    } else if (form.dataset.action === "status") {
      await api("PATCH", `/leads/${leadId}`, {status: values.status});
      await screens.lead([leadId]);
      say("#lead-message", `Status changed to ${values.status}.`, "ok");
    } else if (form.dataset.action === "merge") {
      await api("POST", `/leads/${leadId}/merge`, {from: values.from});
      await screens.lead([leadId]);
      say("#lead-message", "Merged: the other lead is now part of this one.", "ok");
    } else if (form.dataset.action === "erase") {
      if (!(await confirmErase(person))) return;
      await api("DELETE", `/leads/${leadId}`);
      state.notice = `${person} was erased.`;
      location.hash = "#/leads";
    }
  } catch (error) {
    if (error instanceof ApiError && error.status !== 401) {
      say(message, error.message + (error.details.length ? `: ${detailsText(error.details)}` : ""), "bad");
    }
  }
}

function confirmErase(person) {
  const dialog = $("#erase-dialog");
  $("#erase-title").textContent = `Erase ${person}?`;
  $("#erase-text").textContent = `Everything leadwire keeps about ${person} goes: the lead, every message, the ` +
    "timeline and their email and phone. This cannot be undone.";
  $("#erase-confirm").textContent = `Erase ${person}`;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise(resolve => dialog.addEventListener("close", () => resolve(dialog.returnValue === "erase"),
                                                        {once: true}));
}

// --- team ------------------------------------------------------------------------------------------------------
const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

function recordText(record) {
  const sla = record.sla;
  if (!sla.leads) return "No leads yet";
  const median = sla.median_first_contact_minutes === null ? "" : `, median ${sla.median_first_contact_minutes} min`;
  return `${sla.breached} of ${sla.leads} missed the deadline; ${sla.contacted} contacted${median}`;
}

screens.team = async () => {
  await loadReps();
  const records = await Promise.all(state.reps.map(rep => api("GET", `/reps/${rep.id}/record`)));
  $("#team-table tbody").replaceChildren(...state.reps.map((rep, index) => el("tr", {"data-rep-id": rep.id},
    el("td", {text: rep.name}), el("td", {text: rep.email}), el("td", {text: rep.timezone}),
    el("td", {text: rep.active ? "Yes" : "No (inactive)"}),
    el("td", {class: "number"}, String(records[index].open_leads.length)),
    el("td", {text: recordText(records[index])}),
    el("td", {},
       el("button", {type: "button", class: "button quiet", "data-edit": rep.id, text: "Edit",
                     "aria-label": `Edit ${rep.name}`}), " ",
       el("button", {type: "button", class: "button quiet", "data-toggle": rep.id,
                     text: rep.active ? "Deactivate" : "Activate",
                     "aria-label": `${rep.active ? "Deactivate" : "Activate"} ${rep.name}`})))));
  const zones = $("#timezones");
  if (!zones.children.length && Intl.supportedValuesOf) {
    zones.replaceChildren(...Intl.supportedValuesOf("timeZone").map(zone => el("option", {value: zone})));
  }
  toggleHours();
};

function repBody(rep) {
  return {name: rep.name, email: rep.email, active: rep.active, weight: rep.weight, capacity: rep.capacity,
          timezone: rep.timezone, working_hours: rep.working_hours, languages: rep.languages};
}

function fillRepForm(rep) {
  const form = $("#rep-form");
  clearErrors(form);
  say("#rep-message", "");
  $("#rep-id").value = rep ? rep.id : "";
  $("#rep-id").readOnly = Boolean(rep);
  $("#rep-name").value = rep ? rep.name : "";
  $("#rep-email").value = rep ? rep.email : "";
  $("#rep-timezone").value = rep ? rep.timezone : "UTC";
  $("#rep-capacity").value = rep && rep.capacity ? rep.capacity : "";
  $("#rep-weight").value = rep ? rep.weight : 1;
  $("#rep-languages").value = rep ? rep.languages.join(", ") : "";
  $("#rep-active").checked = rep ? rep.active : true;
  $("#rep-always").checked = !rep || !rep.working_hours;
  for (const day of WEEKDAYS) {
    $(`#rep-hours-${day}`).value = rep && rep.working_hours && rep.working_hours[day] ?
      rep.working_hours[day].join(", ") : "";
  }
  $("#rep-form-title").textContent = rep ? `Edit ${rep.name}` : "Add a rep";
  toggleHours();
}

function toggleHours() {
  for (const day of WEEKDAYS) $(`#rep-hours-${day}`).disabled = $("#rep-always").checked;
}

function listOf(text) { return text.split(",").map(part => part.trim()).filter(Boolean); }

function numberOr(text, empty) {
  const trimmed = text.trim();
  if (!trimmed) return empty;
  return /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : trimmed;  // the API explains what is not a number
}

async function saveRep(event) {
  event.preventDefault();
  const form = $("#rep-form"), id = $("#rep-id").value.trim();
  const hours = $("#rep-always").checked ? null :
    Object.fromEntries(WEEKDAYS.map(day => [day, listOf($(`#rep-hours-${day}`).value)]).filter(([, r]) => r.length));
  const body = {name: $("#rep-name").value, email: $("#rep-email").value, timezone: $("#rep-timezone").value.trim(),
                capacity: numberOr($("#rep-capacity").value, null), weight: numberOr($("#rep-weight").value, 1),
                languages: listOf($("#rep-languages").value), active: $("#rep-active").checked,
                working_hours: hours};
  try {
    const saved = await api("PUT", `/reps/${encodeURIComponent(id || "-")}`, body);
    fillRepForm(null);
    say("#rep-message", `${saved.name} saved.`, "ok");
    await screens.team();
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 401) return;
    const left = showErrors(form, error.details, field => {
      const [first, second] = field.split(".");
      if (first === "rep_id" || first === "id") return $("#rep-id");
      if (first === "working_hours") return second && WEEKDAYS.includes(second) ? $(`#rep-hours-${second}`) :
        $("#rep-always");
      return $(`#rep-${first}`);
    });
    say("#rep-message", error.details.length ? `Please fix the marked fields.${left.length ? " " +
      detailsText(left) : ""}` : error.message, "bad");
  }
}

async function teamAction(event) {
  const button = event.target.closest("button");
  if (!button) return;
  const rep = state.reps.find(candidate => candidate.id === (button.dataset.edit || button.dataset.toggle));
  if (!rep) return;
  if (button.dataset.edit) { fillRepForm(rep); $("#rep-name").focus(); return; }
  try {
    await api("PUT", `/reps/${rep.id}`, {...repBody(rep), active: !rep.active});
    await screens.team();
    say("#team-message", `${rep.name} ${rep.active ? "deactivated: gets no new leads" : "activated"}.`, "ok");
  } catch (error) {
    if (error instanceof ApiError) say("#team-message", error.message, "bad");
  }
}

// --- rules: a structured editor of the whole document ---------------------------------------------------------
const ENUMS = {op: ["exists", "equals", "in", "contains", "matches", "gte", "lte"], assign_at: ["new", "mql", "sql"],
               strategy: ["round_robin", "weighted", "least_loaded"]};
const NUMBERS = new Set(["mql", "sql", "half_life_days", "points", "max", "sticky_days", "after_hours",
  "first_contact_sla_minutes", "reassign_after_minutes", "stale_after_days", "retry_after_no_answer_minutes",
  "rep_link_days"]);
const NULLABLE = new Set(["max", "reassign_after_minutes"]);
const LISTS = {remind_owner_at_minutes: "number", reps: "string"};
const LABELS = {business_name: "Business name", scoring: "Scoring", mql: "MQL threshold", sql: "SQL threshold",
  half_life_days: "Engagement half-life (days)", fit: "Fit rules", engagement: "Engagement points per event",
  routing: "Routing", assign_at: "Assign at stage", strategy: "Strategy", rules: "Routing rules",
  working_hours: "Only reps at work", sticky_days: "Same company, same rep for (days)", followup: "Follow-up",
  first_contact_sla_minutes: "First contact within (minutes)", remind_owner_at_minutes: "Remind the owner at (minutes)",
  reassign_after_minutes: "Reassign after (minutes)", stale_after_days: "Stale after (days)",
  retry_after_no_answer_minutes: "Call again after no answer (minutes)", rep_link_days: "Lead-page links work for (days)",
  nurture: "Nurture steps", meta: "Meta Lead Ads", "meta.pages": "Page ids polled (comma-separated)",
  "meta.conversions": "Stages sent back to Meta, as event names", poll_every_minutes: "Poll every (minutes)",
  first_poll_hours: "First poll looks back (hours)", after_hours: "After (hours)", template: "Template", if: "If", field: "Field", op: "Test",
  value: "Value", points: "Points", max: "At most", reps: "Reps (ids)", id: "Id"};
const NEW_ITEM = {
  "scoring.fit": () => ({id: "", if: {field: "", op: "exists", value: null}, points: 0}),
  "scoring.engagement": () => ({points: 0, max: null}),
  "routing.rules": () => ({id: "", if: {field: "country", op: "in", value: []}, reps: []}),
  "followup.nurture": () => ({after_hours: 24, template: "check-in"}),
};
const HIDDEN = new Set(["followup.templates"]);  // edited on the Templates screen, saved with the rest
let editorSerial = 0;

function label(name, path) {
  if (path && path.startsWith("meta.conversions.")) return `When a lead becomes ${name}`;
  return LABELS[path] || LABELS[name] || name.replace(/_/g, " ");
}

// A value edited in one input: anything but an object, or a list of objects (a list of words or numbers is one input).
function isLeaf(name, value, path) {
  if (name === "value" || LISTS[name] || value === null || typeof value !== "object") return true;
  if (Array.isArray(value)) return value.length ? typeof value[0] !== "object" : !NEW_ITEM[path];
  return false;
}

function leafKind(name, value) {
  if (ENUMS[name]) return "enum";
  if (LISTS[name]) return `list-${LISTS[name]}`;
  if (name !== "value" && Array.isArray(value)) {
    return value.length && value.every(item => typeof item === "number") ? "list-number" : "list-string";
  }
  if (name === "value") return "json";
  if (typeof value === "boolean") return "boolean";
  if (NUMBERS.has(name) || typeof value === "number") return "number";
  return "string";
}

function leaf(name, value, path) {
  const kind = leafKind(name, value), id = `rule-${++editorSerial}`;
  let input;
  if (kind === "enum") {
    input = el("select", {id}, ...ENUMS[name].map(option => el("option", {value: option, text: option,
                                                                           selected: option === value})));
  } else if (kind === "boolean") {
    input = el("input", {id, type: "checkbox", checked: Boolean(value)});
    return el("div", {class: "check", "data-name": name, "data-kind": kind}, input, el("label", {for: id,
                                                                                           text: label(name, path)}));
  } else {
    let text = value === null || value === undefined ? "" : String(value);
    if (kind.startsWith("list-")) text = (value || []).join(", ");
    if (kind === "json") text = typeof value === "string" ? value : (value === null ? "" : JSON.stringify(value));
    input = el("input", {id, value: text, autocomplete: "off", inputmode: kind === "number" ? "decimal" : null});
  }
  return el("div", {"data-name": name, "data-kind": kind}, el("label", {for: id, text: label(name, path)}), input);
}


function node(name, value, path) {
  if (isLeaf(name, value, path)) return leaf(name, value, path);
  if (Array.isArray(value)) return listNode(name, value, path);
  if (value && typeof value === "object" && path === "scoring.engagement") return mapNode(name, value, path);
  if (value && typeof value === "object") {
    const box = name === "if" ? el("div", {class: "row", "data-name": name, "data-kind": "object"}) :
      el("fieldset", {"data-name": name, "data-kind": "object"}, el("legend", {text: label(name)}));
    const grid = name === "if" ? box : el("div", {class: "grid"});
    for (const [key, child] of Object.entries(value)) {
      const childPath = path ? `${path}.${key}` : key;
      if (HIDDEN.has(childPath)) continue;
      grid.append(node(key, child, childPath));
    }
    if (grid !== box) box.append(grid);
    return box;
  }
  return leaf(name, value);
}

function itemRow(value, path) {
  const row = el("div", {class: "row", "data-item": "1"});
  for (const [key, child] of Object.entries(value)) {
    row.append(node(key, child, `${path}.${key}`));
  }
  row.append(el("button", {type: "button", class: "button quiet", "data-remove": "1", text: "Remove"}));
  return row;
}

function listNode(name, items, path) {
  const box = el("fieldset", {"data-name": name, "data-kind": "list", "data-path-of": path},
                 el("legend", {text: label(name)}));
  const rows = el("div", {"data-rows": "1"}, ...items.map(item => itemRow(item, path)));
  box.append(rows, el("button", {type: "button", class: "button quiet", "data-add": path,
                                 text: `Add to ${label(name).toLowerCase()}`}));
  return box;
}

function mapRow(key, value, path) {
  const id = `rule-${++editorSerial}`;
  const row = itemRow(value, path);
  row.prepend(el("div", {"data-key": "1"}, el("label", {for: id, text: "Event type"}),
                 el("input", {id, value: key, class: "map-key", autocomplete: "off"})));
  return row;
}

function mapNode(name, entries, path) {
  const box = el("fieldset", {"data-name": name, "data-kind": "map", "data-path-of": path},
                 el("legend", {text: label(name)}));
  box.append(el("div", {"data-rows": "1"}, ...Object.entries(entries).map(([key, value]) => mapRow(key, value, path))),
             el("button", {type: "button", class: "button quiet", "data-add": path, text: "Add an event type"}));
  return box;
}

// Read the editor back into a document; every input learns its path, so a 422's `field` finds it.
function readLeaf(box, path) {
  const input = box.querySelector("input,select");
  input.dataset.path = path;
  const text = input.value, kind = box.dataset.kind;
  if (kind === "boolean") return input.checked;
  if (kind === "enum" || kind === "string") return text;
  if (kind === "number") return numberOr(text, NULLABLE.has(box.dataset.name) ? null : text);
  if (kind === "list-number") return listOf(text).map(part => numberOr(part, part));
  if (kind === "list-string") return listOf(text);
  if (!text.trim()) return null;
  try { return JSON.parse(text); } catch { return text; }  // json: 5, true, ["DE","AT"], or plain words
}

function readChildren(container, path) {
  const document = {};
  for (const child of container.children) {
    if (child.tagName === "LEGEND" || child.matches("button,[data-key]")) continue;
    if (child.classList.contains("grid")) { Object.assign(document, readChildren(child, path)); continue; }
    const name = child.dataset.name, childPath = path ? `${path}.${name}` : name;
    document[name] = readNode(child, childPath);
  }
  return document;
}

function readNode(box, path) {
  const kind = box.dataset.kind;
  if (["object", "list", "map"].includes(kind)) box.dataset.path = path;
  if (kind === "object") return readChildren(box, path);
  if (kind === "list") return Array.from(box.querySelector("[data-rows]").children)
    .map((row, index) => { row.dataset.path = `${path}.${index}`; return readChildren(row, `${path}.${index}`); });
  if (kind === "map") {
    return Object.fromEntries(Array.from(box.querySelector("[data-rows]").children).map(row => {
      const key = row.querySelector(".map-key");
      key.dataset.path = `${path}.${key.value}.[key]`;
      row.dataset.path = `${path}.${key.value}`;
      return [key.value, readChildren(row, `${path}.${key.value}`)];
    }));
  }
  return readLeaf(box, path);
}

function readRules() {
  const document = readChildren($("#rules-editor"), "");
  document.followup.templates = state.config.followup.templates;  // kept as they are
  return document;
}

function inputAt(root, field) {
  // The input of that path; for a whole object or item (a rule's condition), its first input.
  const exact = root.querySelector(`input[data-path="${CSS.escape(field)}"],select[data-path="${CSS.escape(field)}"]`);
  if (exact) return exact;
  const box = root.querySelector(`[data-path="${CSS.escape(field)}"]`);
  return box ? box.querySelector("input,select") : null;
}

async function loadConfig() {
  const current = await api("GET", "/config");
  state.config = current.document;
  state.version = current.version;
}

screens.rules = async () => {
  await loadConfig();
  drawRules();
  await drawVersions();
};

function drawRules() {
  $("#rules-editor").replaceChildren(...Object.entries(state.config).map(([name, value]) => node(name, value, name)));
  $("#rules-version").textContent = state.version ? `Version ${state.version} is in force.` :
    "The rules that ship with leadwire are in force (nothing saved yet).";
  $("#dry-run").hidden = true;
}

async function drawVersions() {
  const versions = await api("GET", "/config/versions");
  $("#versions-table tbody").replaceChildren(...versions.items.map(item => el("tr", {},
    el("td", {text: `Version ${item.version}${item.version === versions.current ? " (in force)" : ""}`}),
    el("td", {text: when(item.saved_at)}),
    el("td", {}, item.version === versions.current ? "" : el("button", {type: "button", class: "button quiet",
      "data-restore": item.version, text: `Restore version ${item.version}`})))));
}

function rulesFailed(error) {
  if (!(error instanceof ApiError) || error.status === 401) return;
  const form = $("#rules-form");
  const left = showErrors(form, error.details, field => inputAt(form, field));
  say("#rules-message", error.details.length ? `The rules were refused: see the marked fields.${left.length ? " " +
    detailsText(left) : ""}` : error.message, "bad");
}

function ownerWords(outcome) {
  if (outcome.owner) return repName(outcome.owner);
  if (outcome.pool) return outcome.pool.length ? `one of ${outcome.pool.map(repName).join(", ")}` : "nobody can take it";
  return "—";
}

async function dryRun() {
  clearErrors($("#rules-form"));
  say("#rules-message", "Running the candidate over recent leads…");
  let answer;
  try {
    answer = await api("POST", "/config/preview", readRules());
  } catch (error) { return rulesFailed(error); }
  const lines = answer.moves.map(move => `${move.count} lead${move.count === 1 ? "" : "s"} move from ${move.from} to ${move.to}`);
  lines.push(`${answer.score_changes} of ${answer.compared} scores change`);
  if (answer.routing_changes) lines.push(`${answer.routing_changes} lead${answer.routing_changes === 1 ? "" : "s"} would be routed differently`);
  $("#dry-run-summary").replaceChildren(...lines.map(line => el("li", {text: line})));
  $("#dry-run-table tbody").replaceChildren(...answer.changes.map(change => el("tr", {"data-lead-id": change.id},
    el("td", {}, el("a", {href: `#/leads/${change.id}`, text: change.name})), el("td", {text: change.status}),
    el("td", {class: "number", text: String(change.now.score)}),
    el("td", {class: `number ${change.candidate.score > change.now.score ? "up" : change.candidate.score <
      change.now.score ? "down" : ""}`, text: String(change.candidate.score)}),
    el("td", {text: change.now.stage}),
    el("td", {class: change.candidate.stage !== change.now.stage ? "up" : "", text: change.candidate.stage}),
    el("td", {text: ownerWords(change.now)}), el("td", {text: ownerWords(change.candidate)}))));
  $("#dry-run").hidden = false;
  say("#rules-message", `Dry run over the ${answer.compared} most recent leads: ${answer.changed} would change. ` +
      "Nothing was saved.", "ok");
  $("#dry-run-title").focus();
}

async function saveRules(event) {
  event.preventDefault();
  clearErrors($("#rules-form"));
  try {
    const saved = await api("PUT", "/config", readRules());
    state.config = saved.document; state.version = saved.version;
    drawRules();
    await drawVersions();
    say("#rules-message", `Saved as version ${saved.version}; open leads are re-scored in the background.`, "ok");
  } catch (error) { rulesFailed(error); }
}

function editorClick(event) {
  const button = event.target.closest("button");
  if (!button) return;
  if (button.dataset.remove) { button.closest("[data-item]").remove(); return; }
  if (button.dataset.add) {
    const path = button.dataset.add, make = NEW_ITEM[path];
    if (!make) return;
    const rows = button.parentElement.querySelector("[data-rows]");
    const row = path === "scoring.engagement" ? mapRow("", make(), path) : itemRow(make(), path);
    rows.append(row);
    row.querySelector("input,select").focus();
  }
}

async function restore(event) {
  const button = event.target.closest("button[data-restore]");
  if (!button) return;
  try {
    const old = await api("GET", `/config/versions/${button.dataset.restore}`);
    const saved = await api("PUT", "/config", old.document);
    state.config = saved.document; state.version = saved.version;
    drawRules();
    await drawVersions();
    say("#rules-message", `Version ${old.version} restored as version ${saved.version}.`, "ok");
  } catch (error) { rulesFailed(error); }
}

// --- nurture templates -------------------------------------------------------------------------------------------
const NEW_TEMPLATE = "";

screens.templates = async () => {
  await loadConfig();
  drawTemplates(Object.keys(state.config.followup.templates)[0] || NEW_TEMPLATE);
};

function drawTemplates(chosen) {
  const templates = state.config.followup.templates;
  $("#template-pick").replaceChildren(...Object.keys(templates).map(name => el("option", {value: name, text: name,
    selected: name === chosen})), el("option", {value: NEW_TEMPLATE, text: "New template…",
                                                selected: chosen === NEW_TEMPLATE}));
  const template = templates[chosen] || {subject: "", body: ""};
  $("#template-name").value = chosen;
  $("#template-name").readOnly = chosen !== NEW_TEMPLATE;
  $("#template-subject").value = template.subject;
  $("#template-body").value = template.body;
  clearErrors($("#template-form"));
  $("#template-steps").replaceChildren(...state.config.followup.nurture.map(step => el("li", {},
    `${step.after_hours} hours after the lead came in: `, el("strong", {text: step.template}))),
    ...(state.config.followup.nurture.length ? [] : [el("li", {text: "No nurture steps: add them under Rules."})]));
}

function templateInput(field) {
  const part = field.split(".").pop();
  if (part === "[key]" || part === "name") return $("#template-name");
  return part === "subject" ? $("#template-subject") : part === "body" ? $("#template-body") : null;
}

function templateFailed(error) {
  if (!(error instanceof ApiError) || error.status === 401) return;
  const left = showErrors($("#template-form"), error.details, templateInput);
  say("#template-message", error.details.length ? `Please fix the marked fields.${left.length ? " " +
    detailsText(left) : ""}` : error.message, "bad");
}

async function previewTemplate() {
  clearErrors($("#template-form"));
  try {
    const written = await api("POST", "/config/templates/preview", {subject: $("#template-subject").value,
                                                                    body: $("#template-body").value});
    $("#template-preview").replaceChildren(el("p", {}, el("strong", {text: "To: "}), written.to),
      el("p", {}, el("strong", {text: "Subject: "}), el("span", {id: "preview-subject", text: written.subject})),
      el("div", {id: "preview-body", text: written.text}));
    say("#template-message", "Preview written for the sample lead Dana Fox. Nothing was saved.", "ok");
  } catch (error) { templateFailed(error); }
}

async function saveTemplate(event) {
  event.preventDefault();
  const name = $("#template-name").value.trim();
  const document = structuredClone(state.config);
  document.followup.templates[name] = {subject: $("#template-subject").value, body: $("#template-body").value};
  try {
    const saved = await api("PUT", "/config", document);
    state.config = saved.document; state.version = saved.version;
    drawTemplates(name);
    say("#template-message", `Template ${name} saved (rules version ${saved.version}).`, "ok");
  } catch (error) { templateFailed(error); }
}

// --- funnel --------------------------------------------------------------------------------------------------------
const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attributes, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

function legend(names) {
  return el("ul", {class: "legend"}, ...names.map((name, index) => el("li", {},
    el("span", {class: `swatch c${index % 7}`, "aria-hidden": "true"}), name)));
}

function figure(id, title, chart, names, table) {
  return el("figure", {id}, el("figcaption", {id: `${id}-title`, text: title}), chart, names ? legend(names) : null,
            el("details", {}, el("summary", {text: "The figures"}), table));
}

function figuresTable(header, rows) {
  return el("table", {}, el("thead", {}, el("tr", {}, ...header.map(name => el("th", {scope: "col", text: name})))),
            el("tbody", {}, ...rows.map(row => el("tr", {}, ...row.map(cell => el("td", {text: String(cell)}))))));
}

// Columns per day, one stacked segment per source.
function dayChart(id, days, sources) {
  const width = 640, height = 240, left = 36, bottom = 28, top = 10;
  const totals = days.map(day => sources.reduce((sum, source) => sum + (day.by_source[source] || 0), 0));
  const most = Math.max(1, ...totals), step = (width - left) / Math.max(1, days.length);
  const chart = svg("svg", {viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": `${id}-title`,
                            width: "100%"});
  for (const tick of [0, Math.ceil(most / 2), most]) {
    const y = height - bottom - (height - bottom - top) * tick / most;
    chart.append(svg("line", {x1: left, x2: width, y1: y, y2: y, stroke: "#c8c8c8"}),
                 svg("text", {x: 0, y: y + 4}, String(tick)));
  }
  days.forEach((day, index) => {
    let base = height - bottom;
    sources.forEach((source, sourceIndex) => {
      const count = day.by_source[source] || 0;
      if (!count) return;
      const tall = (height - bottom - top) * count / most;
      base -= tall;
      chart.append(svg("rect", {x: left + index * step + step * 0.15, y: base, width: Math.max(1, step * 0.7),
                                height: tall, class: `c${sourceIndex % 7}`, "data-day": day.day,
                                "data-source": source}, svg("title", {}, `${day.day}, ${source}: ${count}`)));
    });
    if (days.length <= 16 || index % Math.ceil(days.length / 8) === 0) {
      chart.append(svg("text", {x: left + index * step + step / 2, y: height - 8, "text-anchor": "middle"},
                       day.day.slice(5)));
    }
  });
  return chart;
}

// Horizontal bars: one group per category (a source), one bar per series.
function barChart(id, categories, series, format) {
  const rowHeight = 16 * series.length + 14, width = 640, left = 110, right = 70;
  const height = Math.max(40, categories.length * rowHeight + 10);
  const most = Math.max(1e-9, ...series.flatMap(line => line.values.filter(value => value !== null)));
  const chart = svg("svg", {viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": `${id}-title`,
                            width: "100%"});
  categories.forEach((category, index) => {
    const y = 6 + index * rowHeight;
    chart.append(svg("text", {x: 0, y: y + rowHeight / 2}, category));
    series.forEach((line, lineIndex) => {
      const value = line.values[index];
      const long = value === null ? 0 : (width - left - right) * value / most;
      chart.append(svg("rect", {x: left, y: y + lineIndex * 16, width: Math.max(value ? 2 : 0, long), height: 13,
                                class: `c${lineIndex % 7}`}, svg("title", {}, `${category}, ${line.name}: ${format(value)}`)),
                   svg("text", {x: left + long + 4, y: y + lineIndex * 16 + 11}, format(value)));
    });
  });
  return chart;
}

function percent(value) { return value === null || value === undefined ? "—" : `${Math.round(value * 1000) / 10}%`; }
function minutes(value) { return value === null || value === undefined ? "—" : `${value} min`; }
function count(value) { return String(value ?? 0); }

function isoDay(moment) { return moment.toISOString().slice(0, 10); }

screens.funnel = async () => {
  if (!$("#funnel-from").value) {
    const today = new Date();
    $("#funnel-to").value = isoDay(today);
    $("#funnel-from").value = isoDay(new Date(today.getTime() - 29 * 86400000));
  }
  await drawFunnel();
};

async function drawFunnel() {
  const from = $("#funnel-from").value, to = $("#funnel-to").value;
  let report;
  try {
    report = await api("GET", `/reports/funnel?${new URLSearchParams({from, to})}`);
  } catch (error) {
    if (error instanceof ApiError && error.status !== 401) say("#funnel-message", `${error.message}${
      error.details.length ? ": " + detailsText(error.details) : ""}`, "bad");
    return;
  }
  const sources = Object.keys(report.by_source), rows = [...sources, "all sources"];
  const figures = [...sources.map(source => report.by_source[source]), report.total];
  const days = [];
  const byDay = Object.fromEntries(report.leads_by_day.map(day => [day.day, day]));
  for (let moment = new Date(`${from}T00:00:00Z`); isoDay(moment) <= to; moment = new Date(moment.getTime() + 86400000)) {
    days.push(byDay[isoDay(moment)] || {day: isoDay(moment), by_source: {}});
    if (days.length > 370) break;
  }
  say("#funnel-message", `${report.total.leads} lead${report.total.leads === 1 ? "" : "s"} came in from ${from} to ${to}.`,
      "ok");
  $("#funnel-charts").replaceChildren(
    figure("chart-days", "Leads per day by source", dayChart("chart-days", days, sources), sources,
           figuresTable(["Day", ...sources], days.map(day => [day.day, ...sources.map(s => day.by_source[s] || 0)]))),
    figure("chart-rates", "MQL and SQL rates", barChart("chart-rates", rows, [
      {name: "MQL rate", values: figures.map(f => f.mql_rate)}, {name: "SQL rate", values: figures.map(f => f.sql_rate)}],
      percent), ["MQL rate", "SQL rate"],
      figuresTable(["Source", "Leads", "MQL", "SQL", "MQL rate", "SQL rate"], rows.map((row, i) =>
        [row, figures[i].leads, figures[i].mql, figures[i].sql, percent(figures[i].mql_rate), percent(figures[i].sql_rate)]))),
    figure("chart-outcomes", "Won and lost", barChart("chart-outcomes", rows, [
      {name: "Won", values: figures.map(f => f.won)}, {name: "Lost", values: figures.map(f => f.lost)}], count),
      ["Won", "Lost"], figuresTable(["Source", "Won", "Lost", "Won rate"], rows.map((row, i) =>
        [row, figures[i].won, figures[i].lost, percent(figures[i].won_rate)]))),
    figure("chart-speed", "Speed to first contact", barChart("chart-speed", rows, [
      {name: "Median", values: figures.map(f => f.first_contact_minutes.median)},
      {name: "90th percentile", values: figures.map(f => f.first_contact_minutes.p90)}], minutes),
      ["Median", "90th percentile"], figuresTable(["Source", "Contacted", "Median", "90th percentile"], rows.map((row, i) =>
        [row, figures[i].first_contact_minutes.contacted, minutes(figures[i].first_contact_minutes.median),
         minutes(figures[i].first_contact_minutes.p90)]))),
    figure("chart-sla", "First-contact deadline missed", barChart("chart-sla", rows, [
      {name: "SLA breach rate", values: figures.map(f => f.sla_breach_rate)}], percent), null,
      figuresTable(["Source", "Missed", "Breach rate"], rows.map((row, i) =>
        [row, figures[i].sla_breached, percent(figures[i].sla_breach_rate)]))));
}

// --- webhooks and Slack ------------------------------------------------------------------------------------------
const DELIVERY_WORDS = {delivered: "delivered", pending: "waiting to be tried again", failed: "failed",
                        gone: "refused for good (410)", cancelled: "dropped"};

function deliveriesText(items) {
  if (!items.length) return "None yet";
  const counts = {};
  for (const item of items) counts[item.status] = (counts[item.status] || 0) + 1;
  const pending = items.filter(item => item.status === "pending" && item.next_try_at).map(item => item.next_try_at);
  const next = pending.length ? `; next try ${when(pending.sort()[0])}` : "";
  return Object.entries(counts).map(([status, count]) => `${count} ${DELIVERY_WORDS[status] || status}`)
    .join(", ") + next;
}

function failedList(items) {
  const failed = items.filter(item => item.status === "failed");
  if (!failed.length) return "None";
  return el("ul", {class: "plain"}, ...failed.map(item => el("li", {
    text: `${item.event_type}, ${when(item.event_at)}: ${item.last_error || `answered ${item.last_code}`} ` +
          `(${item.attempts} tries)`})));
}

screens.outbound = async () => {
  const subscriptions = (await api("GET", "/subscriptions")).items;
  const deliveries = await Promise.all(subscriptions.map(subscription =>
    api("GET", `/subscriptions/${encodeURIComponent(subscription.id)}/deliveries?limit=50`)));
  $("#outbound-table tbody").replaceChildren(...subscriptions.map((subscription, index) => el(
    "tr", {"data-subscription-id": subscription.id},
    el("td", {text: `${subscription.id} (${subscription.kind === "slack" ? "Slack" : "signed webhook"})`}),
    el("td", {text: subscription.url}),
    el("td", {text: subscription.events.join(", ")}),
    el("td", {text: subscription.active ? "On" : `Off: ${subscription.deactivated_reason || "turned off"}`}),
    el("td", {text: deliveriesText(deliveries[index].items)}),
    el("td", {}, failedList(deliveries[index].items)))));
  say("#outbound-message", subscriptions.length ? "" :
      "No subscriptions yet: add one with PUT /subscriptions/{id} (see the README).");
};

// --- Meta sources ------------------------------------------------------------------------------------------------
function byWay(leads) {
  return `${leads.webhook} by webhook, ${leads.poll} recovered by poll`;
}

function subscribedText(subscribed) {
  return subscribed === true ? "Yes" : subscribed === false ? "No: leads arrive only by poll" : "Not checked yet";
}

screens.sources = async () => {
  const health = await api("GET", "/sources/health");
  const problems = health.problems.length ? health.problems : ["Nothing: every Page and form is fine"];
  $("#sources-problems").replaceChildren(...problems.map(problem => el("li", {text: problem})));
  const rows = health.pages.flatMap(page => (page.forms.length ? page.forms : [null]).map(form => el(
    "tr", {"data-page-id": page.page_id, "data-form-id": form ? form.form_id : ""},
    el("td", {text: page.page_id}),
    el("td", {text: form ? (form.name ? `${form.name} (${form.form_id})` : form.form_id) : "No form seen yet"}),
    el("td", {text: subscribedText(page.subscribed)}),
    el("td", {text: when((form || page).last_webhook_at) || "Never"}),
    el("td", {text: when((form || page).last_poll_at) || "Never"}),
    el("td", {text: byWay((form || page).leads.last_7_days)}),
    el("td", {text: byWay((form || page).leads.last_30_days)}),
    el("td", {text: ((form || page).last_error || {}).message || "None"}))));
  $("#sources-table tbody").replaceChildren(...rows);
  say("#sources-message", rows.length ? "" : "No Meta lead has arrived yet, and no Page is listed in the rules.");
};

// --- wiring ----------------------------------------------------------------------------------------------------
document.addEventListener("DOMContentLoaded", () => {
  $("#signin").addEventListener("submit", signIn);
  $("#sign-out").addEventListener("click", () => signOut());
  $("#filters").addEventListener("submit", event => { event.preventDefault(); showLeads(filterQuery()); });
  $("#find").addEventListener("submit", event => {
    event.preventDefault();
    const email = $("#find-email").value.trim(), phone = $("#find-phone").value.trim();
    if (!email && !phone) return showLeads(filterQuery());
    showLeads(new URLSearchParams(email ? {email} : {phone}));
  });
  $("#leads-next").addEventListener("click", () => showLeads(new URLSearchParams(state.leadsQuery), state.leadsCursor));
  $("#leads-first").addEventListener("click", () => showLeads(new URLSearchParams(state.leadsQuery)));
  $("#lead-view").addEventListener("submit", leadAction);
  $("#rep-form").addEventListener("submit", saveRep);
  $("#rep-new").addEventListener("click", () => { fillRepForm(null); $("#rep-id").focus(); });
  $("#rep-always").addEventListener("change", toggleHours);
  $("#team-table").addEventListener("click", teamAction);
  $("#rules-form").addEventListener("submit", saveRules);
  $("#rules-dry-run").addEventListener("click", dryRun);
  $("#rules-editor").addEventListener("click", editorClick);
  $("#versions-table").addEventListener("click", restore);
  $("#template-form").addEventListener("submit", saveTemplate);
  $("#template-preview-button").addEventListener("click", previewTemplate);
  $("#template-pick").addEventListener("change", event => drawTemplates(event.target.value));
  $("#funnel-range").addEventListener("submit", event => { event.preventDefault(); drawFunnel(); });
  window.addEventListener("hashchange", show);
  show();
});
