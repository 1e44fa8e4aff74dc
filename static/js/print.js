// The requirement sheet's "Print" button (no inline scripts: the CSP forbids them).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
