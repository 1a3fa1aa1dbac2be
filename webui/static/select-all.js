// 全选：a checkbox with data-select-all="NAME" checks or clears every input named NAME on the page
// (kept out of the pages so the Content-Security-Policy can refuse inline scripts).
document.querySelectorAll('[data-select-all]').forEach((master) => {
  master.addEventListener('change', () => {
    document.querySelectorAll(`input[name="${master.dataset.selectAll}"]`).forEach((box) => {
      box.checked = master.checked;
    });
  });
});
