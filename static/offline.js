// Offline support (docs/OFFLINE.md), on every page. Without JavaScript or a service worker nothing
// changes: every form posts as before. With them:
// - the service worker (/sw.js) keeps the volunteer's own home, passbook and logging form for use
//   without a network, and shows their 离线 line when it answers from that copy;
// - a page without a signed-in user (the sign-in page after 退出) tells it to forget those copies;
// - the logging form, sent without a network (or when the network drops its answer), is kept in
//   the phone's outbox (./outbox.js, loaded only where it is needed) and uploaded later.
if (!window.silverHoursOffline && 'serviceWorker' in navigator) {
  window.silverHoursOffline = true;
  const worker = navigator.serviceWorker;
  let outbox;
  const loadOutbox = () => (outbox ??= import('./outbox.js'));
  const tellWorker = (message) => worker.ready.then((registration) => registration.active?.postMessage(message));
  const ownerOfPage = () => document.querySelector('[data-offline-owner]')?.getAttribute('data-offline-owner') ?? null;

  const onPage = () => {
    if (document.querySelector('[data-offline-signed-out]')) tellWorker({ type: 'signed-out' });
    const owner = ownerOfPage();
    if (!owner) return;
    if (navigator.onLine) tellWorker({ type: 'page', owner });
    if (document.getElementById('outbox')) loadOutbox().then((module) => module.showOutbox(owner));
  };

  const keep = (form) => {
    const owner = ownerOfPage();
    if (owner) loadOutbox().then((module) => module.keepForm(form, owner));
  };

  // Offline, the form never leaves the phone: it goes to the outbox (before htmx sees the submit).
  document.addEventListener('submit', (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-outbox-form') || navigator.onLine) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    keep(form);
  }, true);
  // Online, but the request or its answer was lost on the way: the same entry, with the same key, goes to the
  // outbox; if the server did save it, the upload gets the first answer back (no second record).
  document.addEventListener('htmx:error', (event) => {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.hasAttribute('data-outbox-form') && !event.detail?.ctx?.response) keep(form);
  });
  document.addEventListener('htmx:after:swap', onPage);
  window.addEventListener('load', () => {
    worker.register('/sw.js', { type: 'module', scope: '/' }).catch(() => {});
    onPage();
  });
}
