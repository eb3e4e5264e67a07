// The owner's console: one page, screens chosen by the address's #fragment, every figure from the JSON API.
// The API key lives in sessionStorage only (this tab, until sign-out or the browser closes), never in a URL.
"use strict";

const KEY = "leadwire.key";
const state = {reps: [], config: null, version: 0, leadsCursor: null, leadsQuery: ""};

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
    note.textContent = note.textContent ? `${note.textContent}; ${detail.reason}` : detail.reason;
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
  say("#leads-message", page.items.length ? `${page.items.length} lead${page.items.length === 1 ? "" : "s"}` +
      (page.cursor ? ", more on the next page" : "") : "No leads match.");
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
      location.hash = "#/leads";
      say("#leads-message", `${person} was erased.`, "ok");
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
  window.addEventListener("hashchange", show);
  show();
});
