// Dialogs and small UI plumbing shared by the pages.

import { h } from './dom.js';
import { ApiError } from './api.js';

/** Clears every field error of a form. */
export function clearErrors(form) {
  for (const e of form.querySelectorAll('.field-error')) e.textContent = '';
  for (const i of form.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
}

/**
 * Shows message next to the control the server named in `field` (elements declare the API field
 * names they stand for in data-fields="a b"); without a match it goes to the form's general error.
 */
export function showError(form, field, message) {
  let slot = null;
  if (field) {
    for (const e of form.querySelectorAll('.field-error[data-fields]')) {
      if (e.dataset.fields.split(' ').includes(field)) slot = e;
    }
    for (const i of form.querySelectorAll('[data-fields]:not(.field-error)')) {
      if (i.dataset.fields.split(' ').includes(field)) i.setAttribute('aria-invalid', 'true');
    }
  }
  if (!slot) slot = form.querySelector('.field-error.general');
  slot.textContent = message;
  const input = slot.closest('label, .field')?.querySelector('input, select, textarea');
  if (input) input.focus();
}

/** A labelled control with its error slot: field('Name', input, ['name']). */
export function field(label, control, apiFields, hint) {
  const names = apiFields.join(' ');
  for (const c of Array.isArray(control) ? control : [control]) c.dataset.fields = names;
  return h('div', { class: 'field' },
    h('label', {}, h('span', { class: 'label' }, label), h('span', { class: 'control' }, control)),
    hint ? h('span', { class: 'hint' }, hint) : null,
    h('span', { class: 'field-error', 'data-fields': names, role: 'alert' }));
}

/** Keeps Tab and Shift+Tab inside el: past its last focusable control the focus wraps to its first, and back. */
export function trapFocus(el) {
  el.addEventListener('keydown', (e) => {
    if (e.key !== 'Tab') return;
    const items = [...el.querySelectorAll('a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])')]
      .filter((c) => !c.disabled && c.getClientRects().length > 0);
    if (items.length === 0) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (e.shiftKey && (document.activeElement === first || !el.contains(document.activeElement))) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (document.activeElement === last || !el.contains(document.activeElement))) {
      e.preventDefault();
      first.focus();
    }
  });
}

/**
 * A modal form. onSubmit(form) does the request; an ApiError keeps the dialog open and shows the
 * server's message next to the field it names. Resolves true when submitted, false when cancelled.
 */
export function formDialog({ title, content, submitLabel, onSubmit, testid, danger }) {
  return new Promise((resolve) => {
    const submit = h('button', { type: 'submit', class: danger ? 'danger' : 'primary', 'data-testid': testid ? testid + '-submit' : undefined }, submitLabel);
    const cancel = h('button', { type: 'button', class: 'ghost' }, 'Cancel');
    const form = h('form', { class: 'dialog-form', novalidate: true },
      h('h2', {}, title),
      content,
      h('p', { class: 'field-error general', role: 'alert' }),
      h('div', { class: 'actions' }, cancel, submit));
    const dlg = h('dialog', { class: 'modal', 'data-testid': testid, 'aria-label': title }, form);
    const opener = document.activeElement;
    let done = false;
    const finish = (ok) => {
      if (done) return;
      done = true;
      dlg.close();
      dlg.remove();
      if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
      resolve(ok);
    };
    trapFocus(dlg);
    cancel.addEventListener('click', () => finish(false));
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); finish(false); });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      submit.disabled = true;
      submit.classList.add('busy');
      try {
        await onSubmit(form);
        finish(true);
      } catch (err) {
        if (!(err instanceof ApiError)) console.error(err);
        if (err instanceof ApiError && err.status === 401) { finish(false); return; }
        showError(form, err.field, err.message);
      } finally {
        submit.disabled = false;
        submit.classList.remove('busy');
      }
    });
    document.body.append(dlg);
    dlg.showModal();
    const first = form.querySelector('input, select, textarea');
    if (first) first.focus();
  });
}

/** Asks a yes/no question; onConfirm() runs the action and its ApiError is shown in the dialog. */
export function confirmDialog({ title, message, confirmLabel, onConfirm, testid }) {
  return formDialog({
    title,
    content: h('p', { class: 'message' }, message),
    submitLabel: confirmLabel,
    onSubmit: () => onConfirm(),
    testid: testid || 'confirm',
    danger: true,
  });
}

/** True for the server's refusal of a destructive change that force would allow (409, field "force"). */
export function needsForce(err) {
  return err instanceof ApiError && err.status === 409 && err.field === 'force';
}

/**
 * The confirmation a forced destructive change needs: says what happens, lists the hosts that see the LUN
 * (presentations [{initiator, hostLun, unit, host}]) and its snapshots, and asks for the LUN's name; only when
 * it is typed exactly does onForce() run (it sends the request with force). Resolves like formDialog.
 */
export function forceDialog({ title, lun, message, presentations, snapshots, confirmLabel, onForce, testid }) {
  const input = h('input', { type: 'text', name: 'confirm', autocomplete: 'off', spellcheck: 'false', 'data-testid': 'force-name' });
  const seen = (presentations || []).map((p) => h('li', { 'data-testid': 'force-host' },
    (p.host ? p.host + ': ' : '') + (p.initiator === '*' ? 'every initiator (*)' : p.initiator) + ' as host LUN ' + p.hostLun
    + (p.note ? ' (' + p.note + ')' : p.unit && p.unit !== lun ? ' (snapshot ' + p.unit + ')' : '')));
  const snaps = snapshots || [];
  return formDialog({
    title,
    testid: testid || 'force-dialog',
    submitLabel: confirmLabel,
    danger: true,
    content: [
      h('p', { class: 'message' }, message),
      seen.length ? h('p', {}, 'Hosts that see it:') : h('p', { class: 'muted' }, 'No host sees it.'),
      seen.length ? h('ul', { 'data-testid': 'force-hosts' }, seen) : null,
      snaps.length ? h('p', { 'data-testid': 'force-snapshots' }, 'Snapshots: ' + snaps.join(', ')) : null,
      field(`Type ${lun} to confirm`, input, ['confirm']),
    ].filter((x) => x !== null),
    onSubmit: async () => {
      if (input.value !== lun) {
        throw new ApiError(400, { error: `type the LUN's name, ${lun}, exactly`, field: 'confirm' });
      }
      await onForce();
    },
  });
}

/**
 * Serialises refreshes: refresh(topics) while one runs merges the topics (null or none = everything) and
 * runs once more afterwards, so a burst of events never stacks requests.
 */
export function serial(fn) {
  let running = false;
  let pending = null;
  let pendingAll = false;
  const run = async (topics) => {
    if (running) {
      if (topics == null) pendingAll = true;   // null or undefined (refresh()): everything
      else {
        pending = pending || new Set();
        for (const t of topics) pending.add(t);
      }
      return;
    }
    running = true;
    try {
      await fn(topics);
    } catch (e) {
      // 401: back to the login screen; 0 (no answer): the unreachable banner says so (reach.js)
      if (!(e instanceof ApiError) || (e.status !== 401 && e.status !== 0)) console.error(e);
    } finally {
      running = false;
    }
    if (pendingAll || pending) {
      const next = pendingAll ? null : pending;
      pendingAll = false;
      pending = null;
      await run(next);
    }
  };
  return run;
}

/** A small state badge. */
export function badge(text, kind) {
  return h('span', { class: ['badge', kind ? 'b-' + kind : 'b-' + String(text).toLowerCase()] }, text);
}
