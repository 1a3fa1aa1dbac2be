// 待办 inbox: row selection for bulk work and keyboard shortcuts (kept out of the page: the CSP refuses inline
// scripts). j/k move the row focus, x toggles the focused row's checkbox, o shows its facts, Enter opens it,
// a claims it (its own claim form, which carries the CSRF token), ? shows the help. Not while typing.
(function () {
  const table = document.getElementById('inbox-table');
  const help = document.getElementById('kbd-help');
  const helpToggle = document.getElementById('kbd-help-toggle');
  const counter = document.getElementById('bulk-selected-count');
  const pageBox = document.getElementById('select-page');
  const allMatching = document.getElementById('bulk-all-matching');
  const rows = table ? Array.from(table.querySelectorAll('tbody tr[data-task-id]')) : [];
  const boxes = () => rows.map((row) => row.querySelector('input.row-select')).filter(Boolean);
  let current = -1;

  function sync() {
    rows.forEach((row) => {
      const box = row.querySelector('input.row-select');
      row.setAttribute('aria-selected', box && box.checked ? 'true' : 'false');
    });
    const all = boxes();
    const ticked = all.filter((box) => box.checked).length;
    if (counter) {
      counter.textContent = allMatching && allMatching.checked
        ? `${allMatching.dataset.matching}（当前筛选的全部匹配项）` : String(ticked);
    }
    if (pageBox) {
      pageBox.checked = all.length > 0 && ticked === all.length;
      pageBox.indeterminate = ticked > 0 && ticked < all.length;
    }
  }

  function focusRow(index) {
    if (!rows.length) return;
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach((row, i) => row.classList.toggle('row-focus', i === current));
    rows[current].focus();
    rows[current].scrollIntoView({ block: 'nearest' });
  }

  function toggleFacts(row) {
    const button = row && row.querySelector('.facts-toggle');
    const facts = button && document.getElementById(button.getAttribute('aria-controls'));
    if (!facts) return;
    facts.hidden = !facts.hidden;
    button.setAttribute('aria-expanded', facts.hidden ? 'false' : 'true');
  }

  function toggleHelp() {
    if (!help) return;
    help.hidden = !help.hidden;
    if (helpToggle) helpToggle.setAttribute('aria-expanded', help.hidden ? 'false' : 'true');
  }

  function typing(target) {
    return target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
  }

  const actions = {
    j: () => focusRow(current + 1),
    k: () => focusRow(current < 0 ? 0 : current - 1),
    x: (row) => {
      const box = row && row.querySelector('input.row-select');
      if (box) { box.checked = !box.checked; sync(); }
    },
    o: (row) => toggleFacts(row),
    a: (row) => {
      const form = row && row.querySelector('form[action$="/claim"]');
      if (form) form.requestSubmit();
    },
    '?': () => toggleHelp(),
  };

  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const row = current >= 0 ? rows[current] : null;
    if (event.key === 'Enter') {
      if (row && document.activeElement === row) {
        const link = row.querySelector('a[href]');
        if (link) { event.preventDefault(); window.location.assign(link.href); }
      }
      return;
    }
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action(row);
  });

  rows.forEach((row, i) => {
    row.tabIndex = -1;
    row.addEventListener('click', () => { current = i; rows.forEach((r, j) => r.classList.toggle('row-focus', j === i)); });
    const button = row.querySelector('.facts-toggle');
    if (button) button.addEventListener('click', () => toggleFacts(row));
    const box = row.querySelector('input.row-select');
    if (box) box.addEventListener('change', sync);
  });
  if (table && rows.length) {
    table.setAttribute('aria-multiselectable', 'true');
    table.setAttribute('role', 'grid');
  }
  if (pageBox) {
    pageBox.addEventListener('change', () => {
      boxes().forEach((box) => { box.checked = pageBox.checked; });
      sync();
    });
  }
  if (allMatching) allMatching.addEventListener('change', sync);
  if (helpToggle) helpToggle.addEventListener('click', toggleHelp);
  sync();
}());
