// Reclaim operator console: live stations and the cases waiting for a trusted referee.
//
// English only, on purpose: this is a staff tool for IT, not shown to the people recovering.
// No framework, no build step, no eval, no inline style: every value from the server goes into
// the DOM through textContent or setAttribute (never innerHTML). Personal data (the credential's
// names and portrait, the directory accounts) lives only in #case-body while a case is open and
// is removed, img src included, when the case view closes or the case leaves the overview.
'use strict';

(() => {
  const API = '/console/api';
  const POLL_MS = 3000;
  const SSE_RETRY_MS = 15000;
  const TICK_MS = 15000;

  // ── Words ─────────────────────────────────────────────────────────────────────────────────
  const REASONS = {
    duplicate_name: {
      title: 'Duplicate name',
      what: 'Another employee has the same name, so the kiosk could not tell which account is theirs.',
      check: "Check the ID document and choose the person's own account.",
    },
    name_mismatch: {
      title: 'Name does not match',
      what: 'The name on the verified ID does not match the name of the account typed at the kiosk.',
      check:
        'Compare the ID document with the directory names. Approve only if the difference is explained (a new surname, a shortened or transliterated name) and the account is the person’s own.',
    },
    records_mismatch: {
      title: 'HR records do not match',
      what: "The organisation's HR records did not confirm this person for the account.",
      check: "Check the person's photo ID and staff records (employee number, department, manager) against the account.",
    },
    directory_name_blank: {
      title: 'No name in the directory',
      what: 'The directory account has no first name or surname, so the names could not be compared.',
      check: "Compare the ID document with the account's user name and the organisation's records before approving.",
    },
    face_check_failed: {
      title: 'Face Check failed',
      what: 'The Face Check did not match the person to their ID photo, so there is no credential data.',
      check: "No credential data: check the person's photo ID in person against the directory account.",
    },
  };

  const PROBLEMS = {
    network: 'No network connection',
    clockSkew: 'The clock is out of sync',
    relayUnreachable: 'The callback relay cannot be reached',
    tenantUnreachable: 'Microsoft Entra cannot be reached or refused the sign-in',
    configInvalid: 'The configuration is invalid',
    switchedOff: 'Switched off by an operator',
    serviceUnreachable: 'The recovery service cannot be reached',
    stationNotEnrolled: 'The station is not enrolled with the recovery service',
  };

  const SCREENS = {
    attract: 'Idle (welcome screen)',
    identify: 'Entering the account',
    checking: 'Checking the account',
    chooseProvider: 'Choosing an ID service',
    scanId: 'Scanning the ID',
    addToAuthenticator: 'Adding the ID to Authenticator',
    openAuthenticator: 'Sharing the ID from Authenticator',
    faceCheckInProgress: 'Face Check in progress',
    faceCheckResult: 'Face Check result',
    tap: 'Showing the Temporary Access Pass',
    evaluationResult: 'Evaluation finished',
    couldNotComplete: 'Could not complete',
    outOfService: 'Out of service',
  };

  const STEPS = { 1: 'Account', 2: 'Choose a service', 3: 'Scan the ID', 4: 'Face Check', 5: 'Finish' };

  const ERRORS = {
    notOperator: {
      title: 'This account cannot use the console',
      body:
        'You signed in, but your account is not in the Reclaim operators group. Ask your IT administrator to add you, or sign in with another work account.',
    },
    signInFailed: {
      title: 'Sign-in did not complete',
      body: 'Something went wrong while signing you in. Please try again.',
    },
    sessionExpired: {
      title: 'Your session has ended',
      body: 'For security, console sessions end after a while. Sign in again to continue.',
    },
  };

  /** "fooBarBaz" or "foo_bar" → "Foo bar baz": a readable fallback for codes we do not know. */
  function humanise(code) {
    const s = String(code ?? '')
      .replace(/_/g, ' ')
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .toLowerCase()
      .trim();
    return s ? s[0].toUpperCase() + s.slice(1) : 'Unknown';
  }
  const reasonOf = (code) =>
    REASONS[code] ?? { title: humanise(code), what: 'An automated check failed.', check: "Check the person's photo ID in person against the directory account." };
  const problemText = (code) => PROBLEMS[code] ?? humanise(code);
  const screenText = (tag) => SCREENS[tag] ?? humanise(tag);

  // ── DOM helpers ───────────────────────────────────────────────────────────────────────────
  const $ = (id) => document.getElementById(id);
  /** Creates an element; `text` always goes in as textContent. */
  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') node.className = v;
        else node.setAttribute(k, v === true ? '' : String(v));
      }
    }
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  /** Sets text only when it changed (keeps screen readers and selection quiet). */
  function setText(node, text) {
    const t = String(text ?? '');
    if (node.textContent !== t) node.textContent = t;
  }

  // ── State ─────────────────────────────────────────────────────────────────────────────────
  const state = {
    me: null,
    overview: null,
    clockOffset: 0, // server time − local time, from generatedAt
    knownCases: null, // Set of session ids seen (null before the first overview)
    openCase: null, // { sessionId, reference, stationName, data? }
    deciding: false,
    es: null,
    pollTimer: null,
    sseRetryTimer: null,
  };

  const now = () => Date.now() + state.clockOffset;

  function waitingFor(openedAt) {
    const t = Date.parse(openedAt);
    if (Number.isNaN(t)) return '';
    const mins = Math.max(0, Math.floor((now() - t) / 60000));
    if (mins < 1) return 'under 1 min';
    if (mins < 60) return `${mins} min`;
    const h = Math.floor(mins / 60);
    return `${h} h ${mins % 60} min`;
  }

  function clock(iso) {
    const t = Date.parse(iso);
    if (Number.isNaN(t)) return '';
    return new Date(t).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  function announce(text) {
    const a = $('announcer');
    a.textContent = '';
    // A fresh node each time so the same sentence is announced again.
    window.setTimeout(() => { a.textContent = text; }, 50);
  }

  // ── Views ─────────────────────────────────────────────────────────────────────────────────
  function showOnly(id) {
    for (const v of ['loading', 'signin', 'list-view', 'case-view']) $(v).hidden = v !== id;
  }

  function showSignIn(errorCode) {
    stopLive();
    closeCase({ silent: true });
    $('who').hidden = true;
    const box = $('signin-error');
    const err = errorCode ? ERRORS[errorCode] ?? ERRORS.signInFailed : null;
    if (err) {
      box.hidden = false;
      box.dataset.code = errorCode in ERRORS ? errorCode : 'signInFailed';
      setText($('signin-error-h'), err.title);
      setText($('signin-error-body'), err.body);
      setText($('signin-h'), errorCode === 'notOperator' ? 'Sign in with another account' : 'Sign in to continue');
      setText($('signin-link'), 'Sign in with your work account');
    } else {
      box.hidden = true;
      delete box.dataset.code;
      setText($('signin-h'), 'Sign in to continue');
    }
    showOnly('signin');
  }

  // ── HTTP ──────────────────────────────────────────────────────────────────────────────────
  async function getJson(path) {
    const res = await fetch(API + path, { credentials: 'same-origin', headers: { accept: 'application/json' }, cache: 'no-store' });
    let body = null;
    try { body = await res.json(); } catch { body = null; }
    return { status: res.status, body };
  }

  async function post(path, json) {
    const res = await fetch(API + path, {
      method: 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-reclaim-csrf': state.me?.csrf ?? '' },
      body: JSON.stringify(json ?? {}),
    });
    let body = null;
    try { body = await res.json(); } catch { body = null; }
    return { status: res.status, body };
  }

  // ── Live updates: EventSource, polling as the fallback ───────────────────────────────────
  function startLive() {
    stopLive();
    openEvents();
  }

  function stopLive() {
    if (state.es) { state.es.close(); state.es = null; }
    window.clearInterval(state.pollTimer); state.pollTimer = null;
    window.clearTimeout(state.sseRetryTimer); state.sseRetryTimer = null;
  }

  function openEvents() {
    if (typeof EventSource === 'undefined') { startPolling(); return; }
    const es = new EventSource(API + '/events', { withCredentials: true });
    state.es = es;
    es.addEventListener('overview', (e) => {
      let data;
      try { data = JSON.parse(e.data); } catch { return; }
      if (state.pollTimer) { window.clearInterval(state.pollTimer); state.pollTimer = null; }
      $('conn').hidden = true;
      applyOverview(data);
    });
    es.addEventListener('error', () => {
      if (state.es !== es) return;
      es.close();
      state.es = null;
      startPolling();
      window.clearTimeout(state.sseRetryTimer);
      state.sseRetryTimer = window.setTimeout(() => { if (state.me && !state.es) openEvents(); }, SSE_RETRY_MS);
    });
  }

  function startPolling() {
    $('conn').hidden = false;
    if (state.pollTimer) return;
    state.pollTimer = window.setInterval(pollOnce, POLL_MS);
    pollOnce();
  }

  async function pollOnce() {
    try {
      const { status, body } = await getJson('/overview');
      if (status === 401) { state.me = null; showSignIn('sessionExpired'); return; }
      if (status === 200 && body) applyOverview(body);
    } catch {
      /* offline: keep the note up and try again on the next tick */
    }
  }

  // ── Overview rendering (in place) ────────────────────────────────────────────────────────
  const caseItems = new Map(); // sessionId → li
  const stationRows = new Map(); // id → tr

  function applyOverview(ov) {
    if (!ov || !Array.isArray(ov.stations) || !Array.isArray(ov.cases)) return;
    const gen = Date.parse(ov.generatedAt);
    if (!Number.isNaN(gen)) state.clockOffset = gen - Date.now();
    state.overview = ov;
    renderCases(ov.cases);
    renderStations(ov.stations);
    setText($('updated'), ov.generatedAt ? `Last update ${clock(ov.generatedAt)}.` : '');

    // The open case left the overview: closed at the kiosk, timed out or decided elsewhere.
    if (state.openCase && !state.deciding && !ov.cases.some((c) => c.sessionId === state.openCase.sessionId)) {
      const ref = state.openCase.reference;
      closeCase();
      flash(`Case ${ref} is no longer waiting: it was closed at the kiosk or decided by another member of staff.`, 'warn');
    }
  }

  function renderCases(cases) {
    const sorted = [...cases].sort((a, b) => (Date.parse(a.openedAt) || 0) - (Date.parse(b.openedAt) || 0));
    const list = $('cases');
    const seen = new Set();

    const fresh = [];
    for (const c of sorted) {
      seen.add(c.sessionId);
      let li = caseItems.get(c.sessionId);
      if (!li) {
        li = buildCaseItem(c);
        caseItems.set(c.sessionId, li);
        if (state.knownCases && !state.knownCases.has(c.sessionId)) fresh.push(c);
      }
      updateCaseItem(li, c);
    }
    for (const [id, li] of caseItems) {
      if (!seen.has(id)) { li.remove(); caseItems.delete(id); }
    }
    // Put the items in order, moving only the ones out of place (moving a node drops its focus).
    let cursor = list.firstElementChild;
    for (const c of sorted) {
      const li = caseItems.get(c.sessionId);
      if (li === cursor) { cursor = cursor.nextElementSibling; continue; }
      list.insertBefore(li, cursor);
    }

    $('cases-empty').hidden = sorted.length > 0;
    setText($('cases-count'), sorted.length ? `(${sorted.length})` : '');
    document.title = sorted.length ? `(${sorted.length}) Reclaim — operator console` : 'Reclaim — operator console';

    if (fresh.length === 1) {
      const c = fresh[0];
      announce(`New case waiting at ${c.stationName}: ${reasonOf(c.reason).title}, reference ${c.reference}.`);
    } else if (fresh.length > 1) {
      announce(`${fresh.length} new cases waiting for a member of staff.`);
    }
    state.knownCases = seen;
  }

  function buildCaseItem(c) {
    const li = el('li', { class: 'case-item', 'data-session': c.sessionId });
    const field = (cls, label) => {
      const d = el('div', { class: `case-field ${cls}` });
      d.append(el('span', { class: 'label' }, label), el('span', { class: 'v' }));
      return d;
    };
    const btn = el('button', { type: 'button', class: 'btn btn-primary case-open' });
    // Visible "Open case"; the hidden rest tells a screen reader which one.
    btn.append(document.createTextNode('Open case'), el('span', { class: 'visually-hidden v' }));
    btn.addEventListener('click', () => openCase(li.dataset.session));
    li.append(field('case-station', 'Station'), field('case-ref', 'Reference'), field('case-reason', 'Reason'), field('case-wait', 'Waiting'), btn);
    return li;
  }

  function updateCaseItem(li, c) {
    li._case = c;
    setText(li.querySelector('.case-station .v'), c.stationName);
    setText(li.querySelector('.case-ref .v'), c.reference);
    setText(li.querySelector('.case-reason .v'), reasonOf(c.reason).title);
    setText(li.querySelector('.case-wait .v'), waitingFor(c.openedAt));
    setText(li.querySelector('.case-open .v'), ` ${c.reference} at ${c.stationName}`);
  }

  function renderStations(stations) {
    const sorted = [...stations].sort((a, b) => String(a.name).localeCompare(String(b.name)) || String(a.id).localeCompare(String(b.id)));
    const body = $('stations');
    const seen = new Set();
    for (const s of sorted) {
      seen.add(s.id);
      let tr = stationRows.get(s.id);
      if (!tr) { tr = buildStationRow(); stationRows.set(s.id, tr); }
      updateStationRow(tr, s);
    }
    for (const [id, tr] of stationRows) if (!seen.has(id)) { tr.remove(); stationRows.delete(id); }
    let cursor = body.firstElementChild;
    for (const s of sorted) {
      const tr = stationRows.get(s.id);
      if (tr === cursor) { cursor = cursor.nextElementSibling; continue; }
      body.insertBefore(tr, cursor);
    }
    $('stations-empty').hidden = sorted.length > 0;
    $('stations-table').hidden = sorted.length === 0;
  }

  function buildStationRow() {
    const tr = el('tr');
    tr.append(
      el('td', { 'data-label': 'Station' }),
      el('td', { 'data-label': 'Status' }),
      el('td', { 'data-label': 'Current step' }),
      el('td', { 'data-label': 'Today' }),
    );
    return tr;
  }

  /** Rebuilds a cell's children only when what it shows changed (cells hold nothing focusable). */
  function fill(td, key, build) {
    if (td._key === key) return;
    td._key = key;
    td.replaceChildren(...build());
  }

  function updateStationRow(tr, s) {
    const [name, status, step, today] = tr.children;
    fill(name, JSON.stringify([s.name, s.id, s.version]), () => {
      const out = [document.createTextNode(String(s.name ?? s.id))];
      out.push(el('span', { class: 'st-id' }, s.version ? `${s.id} · v${s.version}` : s.id));
      return out;
    });

    fill(status, JSON.stringify([s.online, s.ready, s.problems]), () => {
      const badges = el('span', { class: 'badges' });
      badges.append(el('span', { class: `badge ${s.online ? 'badge-ok' : 'badge-bad'}` }, s.online ? 'Online' : 'Offline'));
      if (s.online) {
        badges.append(el('span', { class: `badge ${s.ready ? 'badge-ok' : 'badge-warn'}` }, s.ready ? 'Ready' : 'Out of service'));
      }
      const out = [badges];
      const problems = Array.isArray(s.problems) ? s.problems : [];
      if (problems.length) {
        const ul = el('ul', { class: 'problems' });
        for (const p of problems) ul.append(el('li', null, problemText(p)));
        out.push(ul);
      }
      return out;
    });

    fill(step, JSON.stringify([s.online, s.screen, s.step, s.case && s.case.reference, s.case && s.case.reason]), () => {
      if (!s.online) return [el('span', { class: 'step-sub' }, 'Not connected')];
      const out = [el('span', { class: 'step-main' }, screenText(s.screen))];
      if (typeof s.step === 'number' && s.step >= 1) {
        out.push(el('span', { class: 'step-sub' }, `Step ${s.step} of 5${STEPS[s.step] ? `: ${STEPS[s.step]}` : ''}`));
      }
      if (s.case) {
        const w = el('span', { class: 'step-case' }, 'Waiting for staff: ');
        w.append(el('span', { class: 'nowrap' }, s.case.reference));
        out.push(w);
      }
      return out;
    });

    const t = s.today ?? {};
    fill(today, JSON.stringify(t), () => {
      const dl = el('dl', { class: 'today' });
      const n = (v) => (Number.isFinite(v) ? String(v) : '0');
      dl.append(
        el('dt', null, 'Recovered'), el('dd', null, `${n(t.tapIssued)} of ${n(t.started)} started`),
        el('dt', null, 'Blocked'), el('dd', null, n(t.blocked)),
        el('dt', null, 'Face Checks'), el('dd', null, n(t.faceChecks)),
      );
      if (t.evaluation || t.other) {
        dl.append(el('dt', null, 'Other'), el('dd', null, `${n(t.other)} · evaluation ${n(t.evaluation)}`));
      }
      return [dl];
    });
  }

  function tick() {
    if (!state.overview) return;
    for (const li of caseItems.values()) if (li._case) updateCaseItem(li, li._case);
    if (state.openCase?.openedAt) setText($('case-meta'), caseMeta(state.openCase));
  }

  // ── Flash message on the list ────────────────────────────────────────────────────────────
  function flash(text, kind) {
    const f = $('flash');
    f.classList.toggle('is-warn', kind === 'warn');
    f.hidden = false;
    f.textContent = text;
  }

  // ── Case view ─────────────────────────────────────────────────────────────────────────────
  function caseMeta(c) {
    const since = clock(c.openedAt);
    return `Waiting ${waitingFor(c.openedAt)}${since ? ` (since ${since.slice(0, 5)})` : ''}`;
  }

  async function openCase(sessionId) {
    const summary = state.overview?.cases.find((c) => c.sessionId === sessionId);
    $('flash').hidden = true;
    $('case-error').hidden = true;
    clearCaseBody();
    state.openCase = { sessionId, reference: summary?.reference ?? '', stationName: summary?.stationName ?? '', openedAt: summary?.openedAt };
    setText($('case-h'), summary ? `Case ${summary.reference} at ${summary.stationName}` : 'Case');
    setText($('case-meta'), summary ? caseMeta(state.openCase) : '');
    $('case-body').append(el('p', { class: 'meta' }, 'Loading the case…'));
    showOnly('case-view');
    $('case-h').focus();

    let res;
    try {
      res = await getJson(`/cases/${encodeURIComponent(sessionId)}`);
    } catch {
      clearCaseBody();
      caseError('The case could not be loaded. Check the connection and try again.');
      return;
    }
    if (state.openCase?.sessionId !== sessionId) return; // closed meanwhile
    if (res.status === 401) { state.me = null; showSignIn('sessionExpired'); return; }
    if (res.status === 404 || !res.body) {
      const ref = state.openCase.reference;
      closeCase();
      flash(`${ref ? `Case ${ref}` : 'The case'} is no longer waiting: it was closed at the kiosk or decided by another member of staff.`, 'warn');
      return;
    }
    if (res.status !== 200) {
      clearCaseBody();
      caseError(`The case could not be loaded (error ${res.status}). Try again.`);
      return;
    }
    renderCase(res.body);
  }

  function checkLine(text) {
    const p = el('p', { class: 'check' });
    p.append(el('strong', null, 'What to check: '), document.createTextNode(text));
    return p;
  }

  function caseError(text) {
    const box = $('case-error');
    box.textContent = text;
    box.hidden = false;
  }

  function clearCaseBody() {
    const body = $('case-body');
    for (const img of body.querySelectorAll('img')) { img.removeAttribute('src'); img.removeAttribute('alt'); }
    body.replaceChildren();
    setText($('confirm-body'), '');
  }

  function renderCase(c) {
    const oc = state.openCase;
    oc.reference = c.reference;
    oc.stationName = c.stationName;
    oc.openedAt = c.openedAt;
    setText($('case-h'), `Case ${c.reference} at ${c.stationName}`);
    setText($('case-meta'), caseMeta(oc));
    clearCaseBody();
    const body = $('case-body');
    const r = reasonOf(c.reason);

    const grid = el('div', { class: 'case-grid' });
    // Why staff are needed.
    const why = el('section', { class: 'box box-reason', 'aria-labelledby': 'why-h' });
    why.append(
      el('h3', { id: 'why-h' }, 'Why a member of staff is needed'),
      el('p', { class: 'reason-title' }, r.title),
      el('p', null, r.what),
      checkLine(r.check),
    );
    // The credential.
    const cred = el('section', { class: 'box', 'aria-labelledby': 'cred-h' });
    cred.append(el('h3', { id: 'cred-h' }, 'The presented credential'));
    if (c.credential) {
      const wrap = el('div', { class: 'cred' });
      if (typeof c.credential.portrait === 'string' && c.credential.portrait.startsWith('data:image/')) {
        const img = el('img', { class: 'portrait', alt: 'Portrait from the presented credential', width: '160', height: '213', decoding: 'async' });
        img.src = c.credential.portrait;
        wrap.append(img);
      } else {
        wrap.append(el('p', { class: 'no-cred' }, 'The credential carries no portrait.'));
      }
      const dl = el('dl', { class: 'names' });
      dl.append(
        el('dt', null, 'First name'), el('dd', null, c.credential.givenName || '(none)'),
        el('dt', null, 'Surname'), el('dd', null, c.credential.surname || '(none)'),
      );
      wrap.append(dl);
      cred.append(wrap);
    } else {
      cred.append(el('p', { class: 'no-cred' }, "No credential data. Check the person's photo ID in person against the directory account."));
    }
    grid.append(why, cred);
    body.append(grid);

    // The accounts.
    const form = el('form', { class: 'decide', novalidate: true });
    const fs = el('fieldset', { class: 'accounts' });
    fs.append(el('legend', null, "Choose the person's account"));
    fs.append(el('p', { class: 'accounts-hint', id: 'acc-hint' }, 'The Temporary Access Pass is issued at the kiosk to the account you choose.'));
    fs.setAttribute('aria-describedby', 'acc-hint');
    const list = el('div', { class: 'acc-list' });
    const accounts = [];
    if (c.typed) accounts.push({ a: c.typed, kind: 'Account typed at the kiosk' });
    for (const cand of Array.isArray(c.candidates) ? c.candidates : []) {
      if (c.typed && cand.id === c.typed.id) continue;
      accounts.push({ a: cand, kind: 'Directory candidate' });
    }
    accounts.forEach(({ a, kind }, i) => {
      const id = `acc-${i}`;
      const label = el('label', { class: 'account', for: id });
      const input = el('input', { type: 'radio', name: 'account', id, value: a.id });
      if (a.enabled === false) input.disabled = true;
      const text = el('span', { class: 'acc-text' });
      const names = [a.givenName, a.surname].filter(Boolean).join(' ');
      text.append(
        el('span', { class: 'acc-kind' }, kind),
        el('span', { class: 'acc-upn' }, a.upn),
        el('span', { class: 'acc-names' }, names || 'No name in the directory'),
        el('span', { class: `acc-state ${a.enabled === false ? 'is-off' : 'is-on'}` },
          a.enabled === false ? 'Disabled: cannot receive a Temporary Access Pass' : 'Enabled'),
      );
      label.append(input, text);
      label._account = a;
      list.append(label);
    });
    if (!accounts.length) list.append(el('p', null, 'No directory account to choose.'));
    fs.append(list);
    form.append(fs);

    const actions = el('div', { class: 'actions' });
    const approve = el('button', { type: 'submit', class: 'btn btn-primary', id: 'approve' }, 'Approve and issue a Temporary Access Pass');
    approve.disabled = true;
    const refuse = el('button', { type: 'button', class: 'btn btn-danger', id: 'refuse' }, 'Refuse');
    actions.append(approve, refuse);
    form.append(actions);
    form.append(el('p', { class: 'decide-hint', id: 'decide-hint' }, 'Choose an account to approve, or refuse if you cannot confirm who the person is.'));
    body.append(form);

    form.addEventListener('change', () => {
      approve.disabled = !form.querySelector('input[name=account]:checked');
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const chosen = form.querySelector('input[name=account]:checked');
      if (!chosen) return;
      const a = chosen.closest('label')._account;
      const names = [a.givenName, a.surname].filter(Boolean).join(' ');
      confirmThen(
        'Approve and issue a Temporary Access Pass?',
        `A Temporary Access Pass will be issued at ${c.stationName} for ${a.upn}${names ? ` (${names})` : ''}. Approve only if you have checked the person's photo ID and this is their own account.`,
        'Approve',
        () => decide('approve', { userId: a.id }),
        approve,
      );
    });
    refuse.addEventListener('click', () => {
      confirmThen(
        'Refuse this recovery?',
        `The person at ${c.stationName} will be told the recovery could not be completed. No Temporary Access Pass is issued.`,
        'Refuse',
        () => decide('refuse', {}),
        refuse,
      );
    });
  }

  function confirmThen(title, body, okText, action, returnFocus) {
    const dlg = $('confirm');
    setText($('confirm-h'), title);
    setText($('confirm-body'), body);
    setText($('confirm-ok'), okText);
    dlg.returnValue = '';
    const onClose = () => {
      dlg.removeEventListener('close', onClose);
      const ok = dlg.returnValue === 'ok';
      setText($('confirm-body'), '');
      if (ok) action();
      else if (returnFocus?.isConnected) returnFocus.focus();
    };
    dlg.addEventListener('close', onClose);
    dlg.showModal();
    $('confirm-cancel').focus();
  }

  async function decide(kind, payload) {
    const oc = state.openCase;
    if (!oc || state.deciding) return;
    state.deciding = true;
    const buttons = [...$('case-body').querySelectorAll('button, input')];
    for (const b of buttons) b.disabled = true;
    $('case-error').hidden = true;
    let res;
    try {
      res = await post(`/cases/${encodeURIComponent(oc.sessionId)}/${kind}`, payload);
    } catch {
      res = null;
    }
    state.deciding = false;
    if (state.openCase !== oc) return;
    const ref = oc.reference;
    const station = oc.stationName;
    if (res && (res.status === 204 || res.status === 200)) {
      closeCase();
      flash(kind === 'approve'
        ? `Approved case ${ref}. A Temporary Access Pass is being issued at ${station}.`
        : `Refused case ${ref}. The person at ${station} has been told.`);
      $('flash').focus();
      return;
    }
    if (res && res.status === 401) { state.me = null; showSignIn('sessionExpired'); return; }
    if (res && res.status === 404) {
      closeCase();
      flash(`Case ${ref} is no longer waiting: it was closed at the kiosk or decided by another member of staff. Nothing was changed.`, 'warn');
      $('flash').focus();
      return;
    }
    if (res && res.status === 409) {
      await openCase(oc.sessionId);
      if (state.openCase?.sessionId === oc.sessionId && !$('case-view').hidden) {
        caseError('The case changed at the kiosk while you were deciding. Nothing was decided: check it again.');
      }
      return;
    }
    for (const b of buttons) if (b.isConnected) b.disabled = false;
    const approve = $('approve');
    if (approve) approve.disabled = !$('case-body').querySelector('input[name=account]:checked');
    for (const i of $('case-body').querySelectorAll('input[name=account]')) if (i.closest('label')?._account?.enabled === false) i.disabled = true;
    caseError(
      res && res.status === 403
        ? 'The request was refused (your session may have expired). Reload the page and try again.'
        : res && res.status === 503
          ? 'The station is not available right now, so nothing was decided. Try again in a moment.'
          : 'The decision could not be sent. Check the connection and try again.',
    );
  }

  function closeCase({ silent = false } = {}) {
    const oc = state.openCase;
    state.openCase = null;
    state.deciding = false;
    const dlg = $('confirm');
    if (dlg.open) dlg.close('cancel');
    clearCaseBody();
    setText($('case-h'), '');
    setText($('case-meta'), '');
    $('case-error').hidden = true;
    if (silent) return;
    showOnly('list-view');
    const li = oc && caseItems.get(oc.sessionId);
    if (li) li.querySelector('.case-open').focus();
    else {
      $('cases-h').setAttribute('tabindex', '-1');
      $('cases-h').focus();
    }
  }

  // ── Start ─────────────────────────────────────────────────────────────────────────────────
  async function start() {
    $('case-back').addEventListener('click', () => closeCase());
    window.setInterval(tick, TICK_MS);

    const params = new URLSearchParams(window.location.search);
    const error = params.get('error');

    let me;
    try {
      me = await getJson('/me');
    } catch {
      showSignIn('signInFailed');
      return;
    }
    if (me.status !== 200 || !me.body) {
      const code = error || (me.status === 403 && me.body?.code === 'notOperator' ? 'notOperator' : null);
      showSignIn(code);
      return;
    }
    if (error) {
      // Signed in after all: the old error no longer applies.
      window.history.replaceState(null, '', window.location.pathname);
    }
    state.me = me.body;
    setText($('who-name'), me.body.name || me.body.username || 'operator');
    $('logout-csrf').value = me.body.csrf ?? '';
    $('who').hidden = false;
    showOnly('list-view');
    // The event stream sends the first picture at once and every change after it.
    startLive();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
