// The phone's outbox for the logging form (docs/OFFLINE.md). Used by the page (static/offline.js)
// and by the service worker's background sync (static/worker/sw.js), so nothing here runs at import
// time and only the show/keep functions touch the page.
import { createStore, del, entries, set } from './idb-keyval.js';

const store = createStore('silver-hours-outbox', 'entries');
/** The fields the server reads. The elder's PIN is never kept on the phone. */
const fieldNames = ['service_type', 'elder_id', 'date', 'start_time', 'end_time', 'duration_minutes', 'village_code', 'note'];
const changed = 'silver-hours-outbox-changed';

const allEntries = async () => (await entries(store)).map(([, entry]) => entry);

/** The entries of one user, oldest first. */
export async function entriesOf(owner) {
  return (await allEntries()).filter((entry) => entry.owner === owner).sort((a, b) => a.savedAtMs - b.savedAtMs);
}

/** How many entries of other users the phone holds: they stay here, never shown in detail nor sent under this user. */
async function othersCount(owner) {
  return (await allEntries()).filter((entry) => entry.owner !== owner).length;
}

/** The page's note of how many entries this user has, so pages load this module only when there are some. */
export const countKey = (owner) => `silver-hours-outbox:${owner}`;
async function noteCount(owner) {
  if (typeof localStorage === 'undefined') return; // the service worker
  const count = (await entriesOf(owner)).length;
  if (count > 0) localStorage.setItem(countKey(owner), String(count));
  else localStorage.removeItem(countKey(owner));
}

/**
 * How long an upload (and the fetch of its token) waits for a weak signal before the entry stays pending
 * (docs/OFFLINE.md); the next try sends the same idempotency key, so a late answer never makes two records.
 */
export const uploadTimeoutMs = 8000;
const withTimeout = (init) => ({ ...init, credentials: 'same-origin', signal: AbortSignal.timeout(uploadTimeoutMs) });
const csrfProblem = 'errors.csrf.message';
/** The server's refusal of an entry saved by another user than the session's (src/routes/hours/log.ts). */
const otherOwnerProblem = 'hours.error.offline_owner';

/** A 403's JSON answer, or null (a page, or no body). */
async function problemOf(response) {
  if (!(response.headers.get('content-type') ?? '').startsWith('application/json')) return null;
  return response.json().catch(() => null);
}

/**
 * A fresh CSRF token from the logging form (a token kept for hours may be stale) and the owner of the session
 * that answered (the form's data-offline-owner), or why there is none: signed out (sign-in), or an account
 * that may not log hours any more (forbidden, with the server's reason).
 */
async function freshToken() {
  const response = await fetch('/hours/new', withTimeout({ cache: 'no-store', headers: { Accept: 'application/json, text/html' } }));
  if (response.status === 403) return { kind: 'forbidden', messages: (await problemOf(response))?.messages ?? [] };
  if (new URL(response.url).pathname !== '/hours/new' || !response.ok) return { kind: 'sign-in' };
  const html = await response.text();
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  const owner = /data-offline-owner="([0-9a-f]+)"/.exec(html)?.[1] ?? null;
  return token ? { token, owner } : { kind: 'sign-in' };
}

/** What a 403 means: a stale CSRF token (a fresh one, and one more try), or a refusal of the account itself. */
async function forbiddenResult(response) {
  const problem = await problemOf(response);
  if (problem === null || problem.problem === csrfProblem) return { kind: 'stale-token' };
  return { kind: 'forbidden', messages: problem.messages ?? [] };
}

/** One upload under the entry's own idempotency key: the server's answer, or why there is none yet. */
async function send(entry, token) {
  const body = new URLSearchParams({ ...entry.fields, idempotency_key: entry.key, offline_owner: entry.owner, _csrf: token });
  let response;
  try {
    response = await fetch('/hours', withTimeout({ method: 'POST', body, headers: { Accept: 'application/json' } }));
    if (response.status === 409 && (await problemOf(response.clone()))?.problem === otherOwnerProblem) return { kind: 'other-user' };
    if (response.status === 403) return await forbiddenResult(response);
    if (response.status === 401 || new URL(response.url).pathname === '/sign-in') return { kind: 'sign-in' };
    if ((response.headers.get('content-type') ?? '').startsWith('application/json')) {
      const answer = await response.json();
      if (answer.ok === true || Array.isArray(answer.messages)) return { kind: 'answer', answer };
    }
  } catch {
    // No network, the signal too weak to answer within uploadTimeoutMs, or the answer cut off: the entry waits.
  }
  return { kind: 'network' };
}

function correctionUrl(fields) {
  const filled = Object.entries(fields).filter(([, value]) => value !== '');
  return `/hours/new?${new URLSearchParams(filled)}`;
}

async function settle(entry, result) {
  if (result.kind === 'sign-in') await set(entry.key, { ...entry, state: 'sign-in' }, store);
  // Another user is signed in now: the entry stays on the phone, waiting for its owner's session.
  if (result.kind === 'other-user') await set(entry.key, { ...entry, state: 'other-user' }, store);
  // The account may not log hours any more: not pending forever, but shown with the server's reason.
  if (result.kind === 'forbidden') await set(entry.key, { ...entry, state: 'forbidden', messages: result.messages }, store);
  if (result.kind !== 'answer') return;
  const answer = result.answer;
  const settled = answer.ok
    ? { ...entry, state: 'saved', recordUrl: answer.recordUrl, recordStatus: answer.status }
    : { ...entry, state: 'refused', messages: answer.messages, correctUrl: correctionUrl(entry.fields) };
  await set(entry.key, settled, store);
}

let running = null;
const isWaiting = (entry) => entry.state === 'pending' || entry.state === 'sign-in' || entry.state === 'other-user';

/**
 * Sends every waiting entry of this user, each with its own key, so an entry whose answer was lost
 * is answered with the record it made. Resolves true when nothing is left waiting for the network.
 */
export function uploadAll(owner) {
  running ??= (async () => {
    try {
      const waiting = (await entriesOf(owner)).filter(isWaiting);
      if (waiting.length === 0) return true;
      let token = await freshToken();
      // The session now is not the one that saved them (a shared phone): none is sent, the server would refuse too.
      if (token.token && token.owner !== owner) token = { kind: 'other-user' };
      let done = true;
      for (const entry of waiting) {
        let result = token.token ? await send(entry, token.token) : token;
        if (result.kind === 'stale-token') {
          token = await freshToken();
          result = token.token ? await send(entry, token.token) : token;
        }
        if (result.kind === 'network' || result.kind === 'stale-token') done = false;
        await settle(entry, result);
      }
      return done;
    } catch {
      return false; // no network for the token: the entries wait
    } finally {
      running = null;
    }
  })();
  return running;
}

function summaryOf(form, fields) {
  const type = form.querySelector('#service_type option:checked')?.textContent ?? fields.service_type;
  const recipient = form.querySelector('input[name="elder_id"]:checked')?.closest('label')?.textContent ?? '';
  const time = fields.start_time && fields.end_time ? `${fields.start_time}–${fields.end_time}` : '';
  return [type.trim(), recipient.trim(), `${fields.date} ${time}`.trim()].filter(Boolean).join(' · ');
}

/** Keeps the form's entry (with its idempotency key) and readies the form for the next visit with a new key. */
export async function keepForm(form, owner) {
  const data = new FormData(form);
  const fields = Object.fromEntries(fieldNames.map((name) => [name, String(data.get(name) ?? '')]));
  const key = String(data.get('idempotency_key') ?? '');
  await set(key, { key, owner, fields, summary: summaryOf(form, fields), savedAtMs: Date.now(), state: 'pending' }, store);
  await noteCount(owner);
  form.reset();
  form.elements.namedItem('idempotency_key').value = crypto.randomUUID();
  navigator.serviceWorker?.ready.then((registration) => registration.sync?.register('silver-hours-outbox')).catch(() => {});
  await showOutbox(owner);
  document.getElementById('outbox-title')?.scrollIntoView({ block: 'start' });
}

function link(href, text) {
  const anchor = document.createElement('a');
  anchor.href = href;
  anchor.textContent = text;
  return anchor;
}

function entryItem(section, entry, owner) {
  const text = (name) => section.getAttribute(`data-text-${name}`) ?? '';
  const item = document.createElement('li');
  item.className = `outbox-entry outbox-${entry.state}`;
  item.dataset.key = entry.key;
  const title = document.createElement('p');
  title.className = 'card-title';
  title.textContent = entry.summary;
  const state = document.createElement('p');
  if (entry.state === 'pending') state.textContent = text('pending');
  if (entry.state === 'sign-in') state.append(link('/sign-in', text('sign-in')));
  if (entry.state === 'other-user') state.textContent = text('other-user');
  if (entry.state === 'saved') state.append(`${text('saved')} `, link(entry.recordUrl, text('view')));
  if (entry.state === 'refused') state.append(`${text('refused')}${entry.messages.join(' ')} `, link(entry.correctUrl, text('correct')));
  if (entry.state === 'forbidden') state.append(`${text('refused')}${entry.messages.join(' ')}`);
  item.append(title, state);
  if (entry.state === 'saved' || entry.state === 'refused' || entry.state === 'forbidden') {
    const dismiss = document.createElement('button');
    dismiss.type = 'button';
    dismiss.textContent = text('dismiss');
    dismiss.addEventListener('click', () => del(entry.key, store).then(() => noteCount(owner)).then(() => showOutbox(owner)));
    item.append(dismiss);
  }
  return item;
}

async function render(section, owner) {
  const list = (await entriesOf(owner));
  const others = await othersCount(owner);
  section.hidden = list.length === 0 && others === 0;
  section.querySelector('#outbox-list').replaceChildren(...list.map((entry) => entryItem(section, entry, owner)));
  section.querySelector('#outbox-upload').hidden = !list.some(isWaiting);
  const othersLine = section.querySelector('#outbox-others');
  othersLine.hidden = others === 0;
  othersLine.textContent = (section.getAttribute('data-text-others') ?? '').replace('{count}', String(others));
}

async function uploadAndShow(owner) {
  const status = document.getElementById('outbox-status');
  if (status) status.textContent = document.getElementById('outbox')?.getAttribute('data-text-uploading') ?? '';
  await uploadAll(owner);
  if (status) status.textContent = '';
  const section = document.getElementById('outbox');
  if (section) await render(section, owner);
}

let watchedOwner = null;

/** Lists this user's entries on the page and uploads the waiting ones now, when the network returns, or on 立即上传. */
export async function showOutbox(owner) {
  const section = document.getElementById('outbox');
  if (!section) return;
  await render(section, owner);
  if (watchedOwner === null) {
    watchedOwner = owner;
    document.addEventListener('click', (event) => {
      if (event.target instanceof Element && event.target.closest('#outbox-upload')) uploadAndShow(watchedOwner);
    });
    window.addEventListener('online', () => uploadAndShow(watchedOwner));
    navigator.serviceWorker?.addEventListener('message', (event) => {
      const current = document.getElementById('outbox');
      if (event.data?.type === changed && current) render(current, watchedOwner);
    });
  }
  watchedOwner = owner;
  if (navigator.onLine && (await entriesOf(owner)).some(isWaiting)) await uploadAndShow(owner);
}

export const outboxChanged = changed;
