// An end-to-end test of the dashboard, offline: `tbjwt mocks` with your post-login Action, the app, and a
// real headless Chromium driven by puppeteer-core. It logs in (the Action runs at login), reads the pipe
// rows the page shows, reloads (a silent login from the tenant's session), logs out, and prints what it saw
// as one JSON line; --screenshot keeps a picture of the page after login.
//
//   node e2e.mjs --tbjwt tbjwt --action node:path/to/your/action [--pipe kpis] [--screenshot after-login.png]
//                [--allow-read PATH]   (a folder the action's sandbox may read besides its own)
//                [--chromium /usr/bin/chromium]
import { spawn } from "node:child_process";
import readline from "node:readline";
import puppeteer from "puppeteer-core";
import { startApp } from "./serve.mjs";

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const tbjwt = option("tbjwt", "tbjwt");
const action = option("action", null);
const pipe = option("pipe", null);
const screenshot = option("screenshot", null);
const chromium = option("chromium", process.env.CHROMIUM ?? "/usr/bin/chromium");
const allowRead = option("allow-read", null);
if (!action) {
  console.error(
    "usage: node e2e.mjs --tbjwt PATH --action IMPL [--pipe NAME] [--screenshot FILE] [--chromium PATH] [--allow-read PATH]",
  );
  process.exit(2);
}

function firstLine(stream) {
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: stream });
    lines.once("line", (line) => resolve(line));
    lines.once("close", () => reject(new Error("tbjwt mocks ended before printing its line")));
  });
}

/** What the page shows. */
function seen(page) {
  return page.evaluate(() => ({
    state: document.body.dataset.state,
    url: location.href,
    user: document.getElementById("user").textContent,
    scopes: document.getElementById("scopes").textContent,
    title: document.getElementById("pipe-title").textContent,
    rows: [...document.querySelectorAll("#rows tbody tr")].map((tr) => [...tr.cells].map((td) => td.textContent)),
    error: document.getElementById("error").textContent,
  }));
}

const settled = (page) =>
  page.waitForFunction(() => ["ready", "error", "logged-out"].includes(document.body.dataset.state), {
    timeout: 30000,
  });

let config;
const app = await startApp(0, () => config);
const origin = `http://127.0.0.1:${app.address().port}`;
const sandbox = allowRead ? ["--allow-read", allowRead] : [];
const mocks = spawn(tbjwt, ["mocks", "--action", action, "--callback-url", `${origin}/`, ...sandbox], {
  stdio: ["ignore", "pipe", "inherit"],
});
let browser;
try {
  config = JSON.parse(await firstLine(mocks.stdout));
  browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ["--no-sandbox"] });
  const page = await browser.newPage();
  await page.setViewport({ width: 1000, height: 640 });
  await page.goto(`${origin}/?autologin=1${pipe ? `&pipe=${encodeURIComponent(pipe)}` : ""}`);
  await page.waitForFunction(() => ["ready", "error"].includes(document.body.dataset.state), { timeout: 30000 });
  const result = { login: await seen(page) };
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  if (result.login.state === "ready") {
    await page.reload();
    await page.waitForFunction(() => ["ready", "error"].includes(document.body.dataset.state), { timeout: 30000 });
    result.reload = await seen(page);
    await Promise.all([page.waitForNavigation(), page.click("#logout")]);
    await settled(page);
    result.logout = await seen(page);
  }
  console.log(JSON.stringify(result));
} finally {
  await browser?.close();
  mocks.kill();
  app.close();
}
