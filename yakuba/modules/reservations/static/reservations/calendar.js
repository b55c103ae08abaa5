// After htmx swaps in another month or week (the links work without it), put the focus on the
// calendar's heading, as a new page would, so that a screen reader reads where the reader is.
document.addEventListener("htmx:afterSettle", (event) => {
  if (event.detail.target && event.detail.target.id === "availability") {
    const heading = document.getElementById("availability-title");
    if (heading) heading.focus();
  }
});
