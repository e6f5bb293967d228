// Seed 003 snapshot backup: state, primary LUN, the backup log LUN and its usage, define / remove the
// log LUN, initiate / terminate, and the LOP copy to a destination LUN with its progress (pause,
// resume, cancel through the job "lopcopy"). Refusals show the seed's reason and sense at the field.
// Live: 'backup' (state, log usage, copy progress), 'luns' (choices), and 'jobs' frames move the bar.

import { h, replace, fmtBytes, fmtInt, percent, progressBar, updateBar, toast } from '../dom.js';
import { get, post, put, del, seg, normalizeJobs } from '../api.js';
import { field, formDialog, confirmDialog, forceDialog, needsForce, serial, badge, clearErrors, showError } from '../ui.js';
import { sizeControls, sizeBytes } from './luns.js';

/** The API error's text plus the seed-003 sense or LOP status it carries. */
function reason(err) {
  if (err.sense) return `${err.message} (sense ${err.sense.key}/${err.sense.asc}/${err.sense.ascq})`;
  if (err.lopStatus) return `${err.message} (LOP status ${err.lopStatus}h)`;
  return err.message;
}

/** The copy's state from its LOP status word: 0100h completed, 0107h terminated by command. */
function copyState(c) {
  if (c.running) return c.paused ? 'PAUSED' : 'RUNNING';
  return c.lopStatus === '0100' ? 'DONE' : c.lopStatus === '0107' ? 'CANCELLED' : 'FAILED';
}

export function create() {
  const stateBox = h('div', { 'data-testid': 'backup-state' }, h('p', { class: 'muted' }, 'Loading…'));
  const logBox = h('div', { 'data-testid': 'backup-log' });
  const actionsBox = h('div', { 'data-testid': 'backup-actions' });
  const copyBox = h('div', { 'data-testid': 'backup-copy' });
  const el = h('div', { class: 'page backup' },
    h('h1', {}, 'Snapshot backup (seed 003)'),
    h('p', { class: 'muted' }, 'One backup at a time per controller: a snapshot of the primary LUN read through the backup LUN, '
      + 'changes tracked in the backup log LUN, and a LOP copy of the snapshot to a destination LUN.'),
    h('div', { class: 'columns' },
      h('section', { class: 'panel' }, h('h2', {}, 'State'), stateBox, actionsBox),
      h('section', { class: 'panel' }, h('h2', {}, 'Backup log LUN'), logBox)),
    h('section', { class: 'panel' }, h('h2', {}, 'Copy to a destination'), copyBox));

  let disposed = false;
  let state = null;
  let luns = [];

  const primaryNames = () => luns.filter((l) => l.kind === 'PRIMARY').map((l) => l.name);

  const refresh = serial(async (topics) => {
    const want = (t) => topics === null || topics.has(t);
    const [b, l] = await Promise.all([get('/api/backup'), want('luns') || luns.length === 0 ? get('/api/luns') : null]);
    if (disposed) return;
    state = b;
    if (l) luns = l;
    render();
  });

  /** Keeps what the user chose in a select across live redraws (when the option still exists). */
  function keepChoice(box, testid, select) {
    const old = box.querySelector(`[data-testid="${testid}"]`);
    if (old && [...select.options].some((o) => o.value === old.value)) select.value = old.value;
    return select;
  }

  function render() {
    const b = state;
    const active = b.state === 'ACTIVE';
    replace(stateBox, h('dl', { class: 'facts' },
      h('dt', {}, 'State'), h('dd', { 'data-testid': 'backup-state-value' }, badge(b.state, active ? 'online' : b.state === 'INACTIVE' ? 'inactive' : 'warn')),
      h('dt', {}, 'Primary LUN'), h('dd', {}, b.primary ? h('a', { href: '#/luns/' + seg(b.primary) }, b.primary) : '–'),
      h('dt', {}, 'Snapshot disk'), h('dd', {}, b.snapshotDisk === null || b.snapshotDisk === undefined ? '–' : String(b.snapshotDisk)),
      h('dt', {}, 'Last copy'), h('dd', {}, `${fmtInt(b.lastCopiedSegments)} segments copied`)));

    // initiate (LUN choice) or terminate
    if (b.state === 'INACTIVE') {
      const lun = keepChoice(actionsBox, 'backup-lun', h('select', { name: 'lun', 'data-testid': 'backup-lun' },
        primaryNames().filter((n) => n !== b.logLun).map((n) => h('option', { value: n }, n))));
      const form = h('form', { class: 'inline-form', novalidate: true },
        field('Primary LUN', lun, ['lun']),
        h('button', { type: 'submit', class: 'primary', 'data-testid': 'backup-initiate' }, 'Initiate backup'),
        h('p', { class: 'field-error general', role: 'alert' }));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearErrors(form);
        try {
          state = await post('/api/backup/initiate', { lun: lun.value });
          toast(`Backup of ${lun.value} initiated`, 'ok');
          render();
        } catch (err) {
          if (err.status !== 401) showError(form, err.field, reason(err));
        }
      });
      replace(actionsBox, form);
    } else {
      replace(actionsBox, h('div', { class: 'buttons' }, h('button', {
        type: 'button', class: 'danger', 'data-testid': 'backup-terminate', disabled: !active && b.state !== 'INITIATING',
        onclick: () => confirmDialog({
          title: 'Terminate the backup?',
          message: `The backup snapshot of ${b.primary || 'the primary LUN'} is deleted and a running copy stops.`,
          confirmLabel: 'Terminate',
          testid: 'confirm-terminate',
          onConfirm: async () => {
            state = await post('/api/backup/terminate');
            toast('Backup terminated', 'ok');
            render();
          },
        }),
      }, 'Terminate backup')));
    }

    // the log LUN: usage bar and remove, or the define form
    if (b.logLun) {
      const used = b.logUsedSegments ?? 0;
      const cap = b.logCapacitySegments ?? 0;
      replace(logBox,
        h('dl', { class: 'facts' },
          h('dt', {}, 'Log LUN'), h('dd', { class: 'mono' }, b.logLun),
          h('dt', {}, 'Capacity'), h('dd', {}, fmtBytes(b.logCapacityBytes)),
          h('dt', {}, 'Usage'), h('dd', {},
            cap ? `${fmtInt(used)} / ${fmtInt(cap)} segments (${percent(used, cap).toFixed(1)}%)` : 'not in use (no active backup)',
            progressBar(used, cap, { testid: 'backup-log-usage', label: 'backup log usage' }))),
        h('button', {
          type: 'button', class: 'small danger', 'data-testid': 'backup-log-remove', disabled: b.state !== 'INACTIVE',
          title: b.state !== 'INACTIVE' ? 'terminate the backup first' : '',
          onclick: () => confirmDialog({
            title: `Remove the log LUN ${b.logLun}?`,
            message: 'The backup log LUN is deleted; a new backup needs a log LUN again.',
            confirmLabel: 'Remove',
            testid: 'confirm-remove-log',
            onConfirm: async () => {
              try {
                await del('/api/backup/log');
              } catch (err) {
                if (!needsForce(err)) throw err;
                const forced = await forceDialog({   // hosts see the log (backup) LUN: name it to go on
                  title: `Remove the log LUN ${b.logLun} while hosts see it?`, lun: b.logLun, message: err.message,
                  presentations: err.presentations, snapshots: err.snapshots, confirmLabel: 'Remove',
                  testid: 'force-remove-log', onForce: () => del('/api/backup/log?force=true'),
                });
                if (!forced) throw err;
              }
              toast(`Log LUN ${b.logLun} removed`, 'ok');
              refresh(new Set(['backup', 'luns']));
            },
          }),
        }, 'Remove log LUN'));
    } else {
      replace(logBox, h('p', { class: 'muted' }, 'No log LUN defined: a backup cannot be initiated without one.'),
        h('button', { type: 'button', 'data-testid': 'backup-log-define', onclick: defineLog }, 'Define log LUN'));
    }

    renderCopy();
  }

  function renderCopy() {
    const b = state;
    const c = b.copy;
    const parts = [];
    if (c) {
      const st = copyState(c);
      parts.push(h('p', {}, `To ${c.destination}${c.incremental ? ' (incremental)' : ''}: `, badge(st),
        ` ${fmtInt(c.done)} / ${fmtInt(c.total)} segments examined, ${fmtInt(c.copiedSegments)} copied · LOP status ${c.lopStatus}h`),
      progressBar(c.done, c.total, { testid: 'backup-copy-progress', label: 'LOP copy', state: st }));
      if (c.running) {
        parts.push(h('div', { class: 'buttons' },
          jobButton(c.paused ? 'resume' : 'pause', c.paused ? 'Resume' : 'Pause'),
          h('button', {
            type: 'button', class: 'small danger', 'data-testid': 'cancel-lopcopy',
            onclick: () => confirmDialog({
              title: 'Cancel the copy?',
              message: `The LOP copy to ${c.destination} stops; the backup snapshot stays active.`,
              confirmLabel: 'Cancel the copy',
              testid: 'confirm-cancel',
              onConfirm: async () => {
                await post('/api/jobs/lopcopy/cancel');
                toast('Copy cancelled', 'ok');
                refresh(new Set(['backup']));
              },
            }),
          }, 'Cancel')));
      }
    }
    if (b.state === 'ACTIVE' && !(c && c.running)) {
      const dest = keepChoice(copyBox, 'backup-destination', h('select', { name: 'destination', 'data-testid': 'backup-destination' },
        primaryNames().filter((n) => n !== b.primary && n !== b.logLun).map((n) => h('option', { value: n }, n))));
      const wasIncremental = copyBox.querySelector('[data-testid="backup-incremental"]');
      const incremental = h('input', { type: 'checkbox', name: 'incremental', 'data-testid': 'backup-incremental' });
      if (wasIncremental) incremental.checked = wasIncremental.checked;
      const form = h('form', { class: 'inline-form', novalidate: true },
        field('Destination LUN', dest, ['destination']),
        field('Incremental', incremental, ['incremental'], 'only what changed since the last copy'),
        h('button', { type: 'submit', class: 'primary', 'data-testid': 'backup-copy-start' }, 'Start copy'),
        h('p', { class: 'field-error general', role: 'alert' }));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearErrors(form);
        const body = { destination: dest.value, incremental: incremental.checked };
        try {
          try {
            state = await post('/api/backup/copy', body);
          } catch (err) {
            if (!needsForce(err)) throw err;
            const forced = await forceDialog({   // the copy would overwrite a LUN in use or holding data
              title: `Overwrite LUN ${body.destination}?`, lun: body.destination, message: err.message,
              presentations: err.presentations, snapshots: err.snapshots, confirmLabel: 'Overwrite and copy',
              testid: 'force-backup-copy',
              onForce: async () => { state = await post('/api/backup/copy?force=true', body); },
            });
            if (!forced) throw err;
          }
          toast(`Copy to ${dest.value} started`, 'ok');
          render();
        } catch (err) {
          if (err.status !== 401) showError(form, err.field, reason(err));
        }
      });
      parts.push(form);
    } else if (!c) {
      parts.push(h('p', { class: 'muted' }, 'Initiate a backup to copy its snapshot to another LUN.'));
    }
    replace(copyBox, parts);
  }

  function jobButton(verb, label) {
    return h('button', {
      type: 'button', class: 'small', 'data-testid': verb + '-lopcopy',
      onclick: async () => {
        try {
          await post(`/api/jobs/lopcopy/${verb}`);
          refresh(new Set(['backup']));
        } catch (e) {
          toast(`${verb} the copy: ${e.message}`, 'error');
        }
      },
    }, label);
  }

  async function defineLog() {
    const name = h('input', { name: 'name', required: true, autocomplete: 'off', value: 'backup-log', 'data-testid': 'log-name' });
    const ctl = sizeControls('log', 1, 'GiB');
    await formDialog({
      title: 'Define the backup log LUN',
      testid: 'define-log',
      submitLabel: 'Define',
      content: [
        h('p', { class: 'message' }, 'The log LUN records which segments of the primary LUN change while a backup is active.'),
        field('Name', name, ['name']),
        field('Capacity', [ctl.size, ctl.unit], ['capacityBytes'], '1 MiB to 2 TiB, in whole MiB'),
      ],
      onSubmit: async () => {
        state = await put('/api/backup/log', { name: name.value.trim(), capacityBytes: sizeBytes(ctl, 'capacityBytes') });
        toast(`Log LUN ${state.logLun} defined`, 'ok');
        render();
      },
    });
  }

  /** 'jobs' event: the LOP copy bar moves in place (no request). */
  function onJobs(body) {
    const j = normalizeJobs(body).find((x) => x.id === 'lopcopy');
    const bar = copyBox.querySelector('[data-testid="backup-copy-progress"]');
    if (j && bar && state && state.copy) updateBar(bar, j.done, j.total, j.state);
  }

  return {
    el,
    title: 'Backup',
    topics: ['backup', 'luns'],
    refresh,
    onJobs,
    dispose: () => { disposed = true; },
  };
}
