// Browser tests of the built site: `go tool mage site:test` builds the site, serves it on
// 127.0.0.1 and runs this file with SITE_URL, CHROMIUM_PATH and ARTIFACTS_DIR set.
// Debian's Chromium, driven by puppeteer-core, loads every page in the sitemap and checks
// that nothing fails, nothing leaves loopback, every internal link and anchor exists, and
// axe-core finds no WCAG 2 A/AA violation in either theme.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import puppeteer from "puppeteer-core";

const SITE_URL = process.env.SITE_URL;
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const ARTIFACTS = process.env.ARTIFACTS_DIR || path.join(import.meta.dirname ?? ".", "..", "test-artifacts");

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
const NAV_TIMEOUT = 15_000;

// Pages whose screenshots reviewers look at: at both widths, and at desktop width in dark.
const KEY_PAGES = ["/", "/quick-start/", "/clients/", "/clients/cli/", "/guardrails/templates/", "/reference/errors/", "/reference/policy/"];

// The axe-core rules the site must pass: WCAG 2.0 and 2.1, levels A and AA.
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

// Violations the accessibility check accepts, each with the reason. None today; an entry
// is { page: "/path/" or "*", theme: "light", "dark" or "*", rule: "axe rule id",
// target: "a selector axe reports" (optional: every element), why: "…" }. An entry that
// matches nothing fails the check, so the list cannot outlive its reasons.
const AXE_EXCEPTIONS = [];

// THEMES are the palettes the accessibility check covers. Dark is chosen the way the
// toggle chooses it (saved in localStorage, applied by theme.js) under a light system, so
// a token the dark palette forgets shows as its light colour on a dark background.
const THEMES = [
  { name: "light", saved: null },
  { name: "dark", saved: "dark" },
];

let browser;
let userDataDir;
const pages = new Map(); // pathname → { ids: Set, links: [{href, from}] }
const problems = new Map(); // label → what went wrong on the pages watched under it

function problemsOf(label) {
  if (!problems.has(label)) problems.set(label, { external: [], console: [], pageErrors: [], failed: [], httpErrors: [] });
  return problems.get(label);
}

// assertClean fails when a page watched under label made a request off loopback, logged
// a console error, threw, or had a request fail or answer 4xx/5xx.
function assertClean(label) {
  const p = problemsOf(label);
  assert.deepEqual(p.external, [], "requests to non-loopback hosts");
  assert.deepEqual(p.console, [], "console errors");
  assert.deepEqual(p.pageErrors, [], "uncaught exceptions");
  assert.deepEqual(p.failed, [], "failed requests");
  assert.deepEqual(p.httpErrors, [], "HTTP errors");
}

function siteURL(p) {
  return new URL(p, SITE_URL).href;
}

// watch records everything that goes wrong on a page, including any request that leaves
// loopback. Chromium is also started with a host resolver that resolves nothing but
// loopback, so such a request cannot reach the network even before the test fails.
// (Request interception would stall the requests of Pagefind's web worker.)
async function watch(page, label) {
  const problems = problemsOf(label);
  page.on("request", (req) => {
    const u = new URL(req.url());
    if (u.protocol === "data:" || u.protocol === "blob:" || LOOPBACK.has(u.hostname)) return;
    problems.external.push(`${label}: ${req.url()}`);
  });
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.console.push(`${label}: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.pageErrors.push(`${label}: ${err.message}`));
  page.on("requestfailed", (req) => {
    const u = new URL(req.url());
    if (LOOPBACK.has(u.hostname)) problems.failed.push(`${label}: ${req.url()} ${req.failure()?.errorText}`);
  });
  page.on("response", (res) => {
    if (res.status() >= 400) problems.httpErrors.push(`${label}: ${res.status()} ${res.url()}`);
  });
}

async function newPage(viewport = DESKTOP, label = "page") {
  const page = await browser.newPage();
  await page.setViewport(viewport);
  page.setDefaultTimeout(NAV_TIMEOUT);
  await watch(page, label);
  return page;
}

async function sitemapPaths() {
  const res = await fetch(siteURL("sitemap.xml"));
  assert.equal(res.status, 200, "sitemap.xml");
  const xml = await res.text();
  const locs = [...xml.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => new URL(m[1].trim(), SITE_URL).pathname);
  assert.ok(locs.length > 10, `sitemap lists only ${locs.length} pages`);
  return [...new Set(locs)];
}

before(async () => {
  assert.ok(SITE_URL, "SITE_URL is not set: run the browser tests with go tool mage site:test");
  userDataDir = await mkdtemp(path.join(tmpdir(), "vend-site-chromium-"));
  await mkdir(ARTIFACTS, { recursive: true });
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-sync",
      "--disable-quic",
      "--disable-dev-shm-usage",
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    ],
  });
});

after(async () => {
  await browser?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

test("every page in the sitemap loads cleanly", { timeout: 180_000 }, async () => {
  const paths = await sitemapPaths();
  const page = await newPage(DESKTOP, "crawl");
  for (const p of paths) {
    const res = await page.goto(siteURL(p.replace(/^\//, "")), { waitUntil: "load" });
    assert.equal(res.status(), 200, `${p} answered ${res.status()}`);
    const info = await page.evaluate(() => ({
      title: document.title,
      h1: document.querySelectorAll("h1").length,
      ids: [...document.querySelectorAll("[id]")].map((e) => e.id),
      links: [...document.querySelectorAll("a[href]")].map((a) => a.href),
    }));
    assert.ok(info.title.length > 0, `${p} has no title`);
    assert.equal(info.h1, 1, `${p} has ${info.h1} h1 elements`);
    pages.set(p, { ids: new Set(info.ids), links: info.links });
  }
  await page.close();
  assertClean("crawl");
});

test("internal links and anchors resolve", { timeout: 60_000 }, async () => {
  assert.ok(pages.size > 0, "the crawl found no pages");
  const origin = new URL(SITE_URL).origin;
  const broken = [];
  const checkedFiles = new Map();
  for (const [from, { links }] of pages) {
    for (const href of links) {
      const u = new URL(href);
      if (u.origin !== origin) continue;
      let target = pages.get(u.pathname);
      if (!target) {
        // Not an HTML page of the sitemap (search, a file, a page the sitemap lacks).
        if (!checkedFiles.has(u.pathname)) {
          const res = await fetch(origin + u.pathname);
          checkedFiles.set(u.pathname, res.status);
        }
        const status = checkedFiles.get(u.pathname);
        if (status !== 200) {
          broken.push(`${from} → ${u.pathname} (${status})`);
          continue;
        }
        if (u.hash && u.hash !== "#") broken.push(`${from} → ${u.pathname}${u.hash} (anchor on a page outside the sitemap)`);
        continue;
      }
      if (u.hash && u.hash !== "#") {
        const id = decodeURIComponent(u.hash.slice(1));
        if (!target.ids.has(id)) broken.push(`${from} → ${u.pathname}${u.hash} (no such anchor)`);
      }
    }
  }
  assert.deepEqual(broken, [], "broken internal links");
});

test("pages fit a phone screen", { timeout: 180_000 }, async () => {
  const page = await newPage(PHONE, "phone");
  const wide = [];
  for (const p of pages.keys()) {
    await page.goto(siteURL(p.replace(/^\//, "")), { waitUntil: "load" });
    const { scroll, inner } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    if (scroll > inner + 1) wide.push(`${p}: ${scroll}px wide on a ${inner}px screen`);
  }
  await page.close();
  assert.deepEqual(wide, [], "pages that scroll sideways on a phone");
  assertClean("phone");
});

// axeSource is axe-core's script, read from node_modules: the page's Content-Security-Policy
// (script-src 'self') refuses an added <script> element, so the test evaluates the source
// through DevTools, which the policy does not govern, and the policy stays on for the rest.
async function axeSource() {
  const require = createRequire(import.meta.url);
  return readFile(require.resolve("axe-core/axe.min.js"), "utf8");
}

// TOKEN_SAMPLE names, in reports and AXE_EXCEPTIONS, the sample of every highlight class.
const TOKEN_SAMPLE = "(every highlight class)";

// runAxe runs the injected axe-core on the elements matching selector and returns its
// violations, with what the report needs and nothing that cannot cross to node.
function runAxe(page, selector, runOnly) {
  return page.evaluate(
    (selector, runOnly) =>
      window.axe.run(selector, { runOnly, resultTypes: ["violations"] }).then((r) =>
        r.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          nodes: v.nodes.map((n) => ({ target: n.target, any: n.any.map((c) => ({ data: c.data })) })),
        })),
      ),
    selector,
    runOnly,
  );
}

// excepted reports whether AXE_EXCEPTIONS accepts a violation of rule on an element of
// page in theme, and marks the entry used.
function excepted(used, page, theme, rule, target) {
  const i = AXE_EXCEPTIONS.findIndex(
    (e) => (e.page === "*" || e.page === page) && (e.theme === "*" || e.theme === theme) && e.rule === rule && (!e.target || e.target === target),
  );
  if (i >= 0) used.add(i);
  return i >= 0;
}

// describeNodes lists the elements of one violation readably: for contrast, one line per
// colour pair axe measured (a page repeats the same token colour many times), with a count
// and the first element; otherwise the first few selectors.
function describeNodes(nodes) {
  const groups = new Map();
  for (const n of nodes) {
    const d = n.any.find((c) => c.data && c.data.contrastRatio !== undefined)?.data;
    const key = d ? `${d.fgColor} on ${d.bgColor}, ${d.contrastRatio}:1 (needs ${d.expectedContrastRatio}, ${d.fontSize} ${d.fontWeight})` : n.target.join(" ");
    const g = groups.get(key) ?? { count: 0, first: n.target.join(" ") };
    g.count++;
    groups.set(key, g);
  }
  const lines = [...groups].slice(0, 8).map(([key, g]) => (key === g.first ? `      ${key}` : `      ${key}: ${g.count}× e.g. ${g.first}`));
  if (groups.size > 8) lines.push(`      … and ${groups.size - 8} more`);
  return lines.join("\n");
}

// addTokenSample appends to the page's main a code block holding one token of every class
// the stylesheets colour inside .chroma, so that a highlight colour no page uses yet is
// checked too. It returns the sample's selector.
async function addTokenSample(page) {
  const classes = await page.evaluate(() => {
    const found = new Set();
    const walk = (rules) => {
      for (const r of rules) {
        if (r.cssRules) walk(r.cssRules);
        for (const m of (r.selectorText ?? "").matchAll(/\.chroma \.([\w-]+)/g)) found.add(m[1]);
      }
    };
    for (const sheet of document.styleSheets) walk(sheet.cssRules);
    const block = document.createElement("div");
    block.id = "axe-token-sample";
    block.innerHTML = '<div class="highlight"><pre class="chroma"><code></code></pre></div>';
    const code = block.querySelector("code");
    for (const c of [...found].sort()) {
      const line = document.createElement("span");
      line.className = "line";
      const token = document.createElement("span");
      token.className = c;
      token.textContent = `${c} token`;
      line.append(token, "\n");
      code.append(line);
    }
    document.querySelector("main").append(block);
    return [...found];
  });
  assert.ok(classes.length > 50, `only ${classes.length} highlight classes in the stylesheets`);
  return "#axe-token-sample";
}

test("every page passes axe-core's WCAG 2 A and AA rules in both themes", { timeout: 300_000 }, async () => {
  assert.ok(pages.size > 0, "the crawl found no pages");
  // The sitemap's pages, the 404 page, and the search page showing results.
  const targets = [...pages.keys(), "/404.html", "/search/?q=guardrails"];
  const source = await axeSource();
  const report = [];
  const counts = new Map(); // "rule page theme" → elements
  const used = new Set();
  const collect = (p, theme, violations) => {
    for (const v of violations) {
      const nodes = v.nodes.filter((n) => !excepted(used, p, theme, v.id, n.target.join(" ")));
      if (nodes.length === 0) continue;
      counts.set(`${v.id} ${p} ${theme}`, nodes.length);
      report.push(`  ${p} [${theme}] ${v.id} (${v.impact}, ${nodes.length} elements): ${v.help}\n${describeNodes(nodes)}`);
    }
  };
  for (const theme of THEMES) {
    const context = await browser.createBrowserContext();
    try {
      const page = await context.newPage();
      await page.setViewport(DESKTOP);
      page.setDefaultTimeout(NAV_TIMEOUT);
      await watch(page, `axe-${theme.name}`);
      await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "light" }]);
      if (theme.saved) await page.evaluateOnNewDocument((t) => localStorage.setItem("vend-theme", t), theme.saved);
      for (const p of targets) {
        await page.goto(siteURL(p.replace(/^\//, "")), { waitUntil: "load" });
        if (p.startsWith("/search/?")) await page.waitForSelector(".pagefind-ui__result-link[href]", { timeout: 20_000 });
        const applied = await page.evaluate(() => document.documentElement.dataset.theme ?? "light");
        assert.equal(applied, theme.name, `${p} did not apply the ${theme.name} theme`);
        await page.evaluate(source);
        const violations = await runAxe(page, "html", { type: "tag", values: AXE_TAGS });
        collect(p, theme.name, violations);
      }
      // The highlight palette, every class, in a code block added to the quick start.
      await page.goto(siteURL("quick-start/"), { waitUntil: "load" });
      await page.evaluate(source);
      const sample = await addTokenSample(page);
      collect(TOKEN_SAMPLE, theme.name, await runAxe(page, sample, { type: "rule", values: ["color-contrast"] }));
      if (theme.saved === "dark") {
        // syntax.css spells the dark palette twice (the toggle's and the system's): the
        // system's, which axe does not see, must colour every class the same.
        const colours = () => page.$$eval(`${sample} .line > span`, (ts) => ts.map((t) => `${t.className} ${getComputedStyle(t).color}`));
        const toggled = await colours();
        assert.ok(toggled.length > 50, `only ${toggled.length} tokens in the sample`);
        await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "dark" }]);
        await page.evaluate(() => delete document.documentElement.dataset.theme);
        assert.deepEqual(await colours(), toggled, "the system's dark highlight palette differs from the toggle's");
      }
      await page.close();
    } finally {
      await context.close();
    }
  }
  const summary = [...counts].map(([k, n]) => `  ${k}: ${n}`).join("\n");
  assert.equal(report.length, 0, `axe-core ${AXE_TAGS.join(", ")} violations on ${targets.length} pages and the highlight classes × ${THEMES.length} themes:\n${report.join("\n")}\nElements by rule, page and theme:\n${summary}`);
  const stale = AXE_EXCEPTIONS.filter((_, i) => !used.has(i));
  assert.deepEqual(stale, [], "AXE_EXCEPTIONS entries that match no violation: remove them");
  for (const theme of THEMES) assertClean(`axe-${theme.name}`);
});

test("navigation works on desktop and on a phone", { timeout: 60_000 }, async () => {
  const desk = await newPage(DESKTOP, "nav-desktop");
  await desk.goto(SITE_URL, { waitUntil: "load" });
  await Promise.all([
    desk.waitForNavigation({ waitUntil: "load" }),
    desk.click("#sidebar a[href$='/quick-start/']"),
  ]);
  assert.equal(new URL(desk.url()).pathname, "/quick-start/");
  assert.equal(await desk.$eval("h1", (h) => h.textContent.trim()), "Quick start");
  // The current page is marked in the sidebar.
  assert.equal(await desk.$eval("#sidebar a[aria-current='page']", (a) => a.textContent.trim()), "Quick start");
  await desk.close();

  const phone = await newPage(PHONE, "nav-phone");
  await phone.goto(SITE_URL, { waitUntil: "load" });
  assert.equal(await phone.$eval("#sidebar", (n) => getComputedStyle(n).display), "none", "the menu starts closed on a phone");
  await phone.click("#nav-toggle");
  assert.equal(await phone.$eval("#nav-toggle", (b) => b.getAttribute("aria-expanded")), "true");
  assert.notEqual(await phone.$eval("#sidebar", (n) => getComputedStyle(n).display), "none", "the menu opens");
  await Promise.all([
    phone.waitForNavigation({ waitUntil: "load" }),
    phone.click("#sidebar a[href$='/guardrails/']"),
  ]);
  assert.equal(new URL(phone.url()).pathname, "/guardrails/");
  await phone.close();
  assertClean("nav-desktop");
  assertClean("nav-phone");
});

test("search finds pages", { timeout: 60_000 }, async () => {
  const page = await newPage(DESKTOP, "search");
  await page.goto(SITE_URL, { waitUntil: "load" });
  await page.type("#header-search", "SourceIdentity");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.keyboard.press("Enter")]);
  assert.equal(new URL(page.url()).pathname, "/search/");
  // Pagefind renders a result's container before its link: wait for a link with an href,
  // not for the first container (reading right after that was flaky).
  await page.waitForFunction(
    () => [...document.querySelectorAll(".pagefind-ui__result-link")].some((a) => a.getAttribute("href")),
    { timeout: 20_000 },
  );
  const results = await page.$$eval(".pagefind-ui__result-link", (as) => as.map((a) => a.getAttribute("href")).filter(Boolean));
  assert.ok(results.length > 0, "no search results for SourceIdentity");
  await page.close();
  assertClean("search");
});

test("dark mode follows the system and the toggle, and persists", { timeout: 60_000 }, async () => {
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    await page.setViewport(DESKTOP);
    await watch(page, "theme");
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);

    await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "dark" }]);
    await page.goto(SITE_URL, { waitUntil: "load" });
    const systemDark = await background();
    await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "light" }]);
    const light = await background();
    assert.notEqual(systemDark, light, "prefers-color-scheme changes nothing");

    await page.click("#theme-toggle");
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
    assert.equal(await background(), systemDark, "the toggle does not switch to the dark palette");
    assert.equal(await page.$eval("#theme-toggle", (b) => b.getAttribute("aria-pressed")), "true");

    await page.goto(siteURL("quick-start/"), { waitUntil: "load" });
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark", "the choice does not persist");
    assert.equal(await background(), systemDark);

    await page.click("#theme-toggle");
    assert.equal(await background(), light);
    assertClean("theme");
  } finally {
    await context.close();
  }
});

test("code blocks have working copy buttons", { timeout: 60_000 }, async () => {
  const context = await browser.createBrowserContext();
  try {
    await context.overridePermissions(new URL(SITE_URL).origin, ["clipboard-read", "clipboard-write", "clipboard-sanitized-write"]);
    const page = await context.newPage();
    await page.setViewport(DESKTOP);
    await watch(page, "copy");
    await page.goto(siteURL("quick-start/"), { waitUntil: "load" });
    const buttons = await page.$$(".copy-button");
    assert.ok(buttons.length >= 3, `only ${buttons.length} copy buttons on the quick start`);
    const expected = await page.$eval(".code-block pre code", (c) => c.innerText.replace(/\n$/, ""));
    await page.bringToFront();
    await buttons[0].click();
    await page.waitForFunction(() => document.querySelector(".copy-button").textContent === "Copied");
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), expected);
    assertClean("copy");
  } finally {
    await context.close();
  }
});

test("screenshots of key pages", { timeout: 180_000 }, async () => {
  // Dark at desktop width follows the system setting: the accessibility check covers the
  // toggle's dark, and the two must look the same.
  for (const [name, viewport, scheme] of [["desktop", DESKTOP, "light"], ["phone", PHONE, "light"], ["desktop-dark", DESKTOP, "dark"]]) {
    const page = await newPage(viewport, `shot-${name}`);
    await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: scheme }]);
    for (const p of [...KEY_PAGES, "/search/?q=guardrails"]) {
      await page.goto(siteURL(p.replace(/^\//, "")), { waitUntil: "load" });
      if (p.startsWith("/search/")) await page.waitForSelector(".pagefind-ui__result", { timeout: 20_000 });
      const slug = p.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "") || "home";
      await page.screenshot({ path: path.join(ARTIFACTS, `${slug}-${name}.png`), fullPage: true });
    }
    await page.close();
    assertClean(`shot-${name}`);
  }
});
