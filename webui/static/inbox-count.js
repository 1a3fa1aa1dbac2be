// 待办数：the nav badge (and the inbox's own total) follow GET /tasks/count every 30 s without a reload;
// polling stops while the tab is hidden and resumes, with a fresh count, when it is shown again.
(() => {
  const badge = document.getElementById('nav-inbox-count');
  if (!badge) return;
  const PERIOD = 30000;
  let timer = null;

  const show = (counts) => {
    badge.textContent = String(counts.total);
    badge.hidden = false;
    badge.title = `待办 ${counts.total} 项，已超期 ${counts.overdue} 项，待跟进 ${counts.follow_up_due} 项`;
    const total = document.getElementById('total-count');
    if (total) total.textContent = String(counts.total);
  };

  const refresh = async () => {
    try {
      const response = await fetch(badge.dataset.countUrl, {credentials: 'same-origin', headers: {Accept: 'application/json'}});
      if (!response.ok || response.redirected) { stop(); return; }  // logged out: stop asking
      show(await response.json());
    } catch (_error) { /* offline for a moment: the next tick tries again */ }
  };

  const start = () => { if (timer === null) { refresh(); timer = window.setInterval(refresh, PERIOD); } };
  const stop = () => { if (timer !== null) { window.clearInterval(timer); timer = null; } };

  document.addEventListener('visibilitychange', () => (document.hidden ? stop() : start()));
  if (!document.hidden) start();
})();
