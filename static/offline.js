// Offline support (docs/OFFLINE.md): registers /sw.js; a form sent offline, lost or timed out goes to the outbox.
if (!window.silverHoursOffline && 'serviceWorker' in navigator) {
  window.silverHoursOffline = true;
  const worker = navigator.serviceWorker;
  let outbox;
  const loadOutbox = () => (outbox ??= import('./outbox.js'));
  const tellWorker = (message) => worker.ready.then((registration) => registration.active?.postMessage(message));
  const ownerOfPage = () => document.querySelector('[data-offline-owner]')?.getAttribute('data-offline-owner');

  const onPage = () => {
    if (document.querySelector('[data-offline-signed-out]')) worker.getRegistration().then((r) => r?.active?.postMessage({ type: 'signed-out' }));
    const owner = ownerOfPage();
    if (!owner) return;
    if (navigator.onLine) tellWorker({ type: 'page', owner, lang: document.documentElement.lang });
    // Entries on this phone: hers are listed and uploaded, another user's only counted.
    const held = Object.keys(localStorage).some((key) => key.startsWith('silver-hours-outbox:'));
    if (document.getElementById('outbox') && held) loadOutbox().then((module) => module.showOutbox(owner));
  };
  const keep = (form) => {
    const owner = ownerOfPage();
    if (owner) loadOutbox().then((module) => module.keepForm(form, owner));
  };
  const outboxForm = (target) => target instanceof HTMLFormElement && target.hasAttribute('data-outbox-form');

  // Offline: the form goes to the outbox, before htmx sees the submit.
  document.addEventListener('submit', (event) => {
    if (!outboxForm(event.target) || navigator.onLine) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    keep(event.target);
  }, true);
  // A weak signal: htmx gives up after 8 s (outbox.js uploadTimeoutMs).
  document.addEventListener('htmx:config:request', (event) => {
    if (outboxForm(event.target)) event.detail.ctx.request.timeout = 8000;
  });
  // Lost or timed out: kept with its key, so a retry makes no second record.
  document.addEventListener('htmx:error', (event) => {
    if (outboxForm(event.target) && !event.detail?.ctx?.response) keep(event.target);
  });
  document.addEventListener('htmx:after:swap', onPage);
  window.addEventListener('load', () => {
    worker.register('/sw.js', { type: 'module', scope: '/' }).catch(() => {});
    onPage();
  });
}
