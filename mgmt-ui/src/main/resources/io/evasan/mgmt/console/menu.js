// The nav's menu button on narrow screens (style.css shows it below 760 px and hides the nav until it is opened):
// a real <button> (Enter and Space work), aria-expanded says whether the nav is open; Escape or following a link
// closes it, and Escape gives the focus back to the button.

/** Wires the menu button to the nav inside header; close() shuts the menu (the shell calls it on navigation). */
export function navMenu(header, button, nav) {
  const setOpen = (open) => {
    header.classList.toggle('open', open);
    button.setAttribute('aria-expanded', String(open));
  };
  button.addEventListener('click', () => {
    const open = button.getAttribute('aria-expanded') !== 'true';
    setOpen(open);
    if (open) nav.querySelector('a[aria-current="page"], a')?.focus();
  });
  header.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && button.getAttribute('aria-expanded') === 'true') {
      setOpen(false);
      button.focus();
    }
  });
  nav.addEventListener('click', (e) => {
    if (e.target.closest('a')) setOpen(false);
  });
  return { close: () => setOpen(false) };
}
