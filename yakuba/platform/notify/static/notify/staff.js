// Staff console (notify): progressive enhancement only; every page works without it.
// A button marked data-once is disabled after its form is submitted, so a double click sends one
// request. The server guards as well (a one-time token), this only spares the second request.
document.addEventListener("submit", (event) => {
  const button = event.target.querySelector("button[data-once]");
  if (button) {
    // Disable after the submit has been dispatched, so the button's own value is still sent.
    window.setTimeout(() => { button.disabled = true; }, 0);
  }
});
