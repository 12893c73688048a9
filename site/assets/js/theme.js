// Applies the reader's saved theme before the page paints, so a dark-mode reader never
// sees a white flash. Loaded synchronously in <head>; the toggle lives in site.js.
(function () {
  try {
    var saved = localStorage.getItem("vend-theme");
    if (saved === "dark" || saved === "light") {
      document.documentElement.dataset.theme = saved;
    }
  } catch (e) {
    // Storage can be disabled; the system preference still applies through CSS.
  }
})();
