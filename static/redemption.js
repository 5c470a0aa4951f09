// Print buttons on receipts: without JavaScript the link simply reloads the printable page.
if (!window.silverHoursPrint) {
  window.silverHoursPrint = true;
  document.addEventListener('click', (event) => {
    const link = event.target instanceof Element ? event.target.closest('[data-print]') : null;
    if (!link) return;
    event.preventDefault();
    window.print();
  });
}
