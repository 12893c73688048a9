// Small progressive enhancements: the theme toggle, the mobile menu, copy buttons on code
// blocks and keyboard access to regions that scroll sideways. Every page works without them.
(function () {
  "use strict";

  var root = document.documentElement;

  function currentTheme() {
    if (root.dataset.theme === "dark" || root.dataset.theme === "light") {
      return root.dataset.theme;
    }
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function setTheme(theme) {
    root.dataset.theme = theme;
    try {
      localStorage.setItem("vend-theme", theme);
    } catch (e) {
      // Without storage the choice lasts for this page only.
    }
    updateToggle();
  }

  var toggle = document.getElementById("theme-toggle");
  function updateToggle() {
    if (!toggle) return;
    var dark = currentTheme() === "dark";
    toggle.setAttribute("aria-pressed", dark ? "true" : "false");
    toggle.setAttribute("aria-label", dark ? "Switch to light mode" : "Switch to dark mode");
    toggle.title = toggle.getAttribute("aria-label");
  }
  if (toggle) {
    toggle.addEventListener("click", function () {
      setTheme(currentTheme() === "dark" ? "light" : "dark");
    });
    updateToggle();
  }

  var navToggle = document.getElementById("nav-toggle");
  var sidebar = document.getElementById("sidebar");
  if (navToggle && sidebar) {
    navToggle.addEventListener("click", function () {
      var open = sidebar.classList.toggle("open");
      navToggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && sidebar.classList.contains("open")) {
        sidebar.classList.remove("open");
        navToggle.setAttribute("aria-expanded", "false");
        navToggle.focus();
      }
    });
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Fallback for pages served over plain http from a non-loopback host.
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try {
        ok = document.execCommand("copy");
      } catch (e) {
        ok = false;
      }
      document.body.removeChild(area);
      if (ok) resolve(); else reject(new Error("copy failed"));
    });
  }

  document.querySelectorAll("main pre").forEach(function (pre) {
    var code = pre.querySelector("code");
    if (!code) return;
    var holder = pre.closest(".highlight") || pre;
    var wrap = document.createElement("div");
    wrap.className = "code-block";
    holder.parentNode.insertBefore(wrap, holder);
    wrap.appendChild(holder);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy code to clipboard");
    button.addEventListener("click", function () {
      copyText(code.innerText.replace(/\n$/, "")).then(function () {
        button.textContent = "Copied";
        button.dataset.state = "copied";
      }, function () {
        button.textContent = "Press Ctrl+C";
        button.dataset.state = "failed";
      }).then(function () {
        setTimeout(function () {
          button.textContent = "Copy";
          delete button.dataset.state;
        }, 2000);
      });
    });
    wrap.appendChild(button);
  });

  // A code block or table wider than its column scrolls sideways, and a keyboard user can
  // scroll it only if it takes focus (WCAG 2.1.1): not every browser focuses scrolling
  // regions by itself. Only the ones that scroll become tab stops, rechecked on resize.
  var scrollers = document.querySelectorAll("main pre, main table");
  var pending = false;
  function markScrollers() {
    pending = false;
    scrollers.forEach(function (el) {
      if (el.scrollWidth > el.clientWidth) {
        el.setAttribute("tabindex", "0");
      } else {
        el.removeAttribute("tabindex");
      }
    });
  }
  markScrollers();
  window.addEventListener("resize", function () {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(markScrollers);
  });
})();
