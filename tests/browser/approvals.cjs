// Drives the operators' approvals page in headless Chromium (Debian's
// /usr/bin/chromium, through playwright-core from npm): sign in with the
// admin token, wait for the pending approval of TOOL on VM to appear, check
// what it shows, save a screenshot, and click Approve.
//
// Environment: ADMIN_URL, ADMIN_TOKEN, TOOL, VM, SCREENSHOT, USER_DATA_DIR;
// NODE_PATH must reach playwright-core. Prints one JSON line with what it saw.
"use strict";
const { chromium } = require("playwright-core");

const need = (name) => {
  const v = process.env[name];
  if (!v) { console.error(`missing ${name}`); process.exit(2); }
  return v;
};

(async () => {
  const url = need("ADMIN_URL"), token = need("ADMIN_TOKEN"), tool = need("TOOL"), vm = need("VM");
  const screenshot = need("SCREENSHOT"), userDataDir = need("USER_DATA_DIR");
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const external = [];
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.on("request", (r) => { if (!r.url().startsWith(url)) external.push(r.url()); });
    const consoleErrors = [];
    page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
    await page.goto(url + "/approvals");
    // A wrong token is refused and the sign-in form comes back.
    await page.fill("#token", "wrong-token");
    await page.click("#connect");
    await page.waitForSelector("#login-error:has-text('refused')", { timeout: 15000 });
    // The right one shows the board.
    await page.fill("#token", token);
    await page.fill("#approver", "browser-operator");
    await page.click("#connect");
    const card = page.locator(".card[data-approval-id]", { hasText: tool }).filter({ hasText: vm });
    await card.first().waitFor({ timeout: 60000 });
    const id = await card.first().getAttribute("data-approval-id");
    const text = await card.first().innerText();
    const stored = await page.evaluate(() => sessionStorage.getItem("vmware-mcp-admin-token"));
    await card.first().locator("textarea.reason-input").fill("approved from the browser test");
    await page.screenshot({ path: screenshot, fullPage: true });
    await card.first().locator("button[data-action=approve]").click();
    // The card leaves the pending list and shows up as approved in recent decisions.
    await page.locator(`.card[data-approval-id="${id}"]`).waitFor({ state: "detached", timeout: 30000 });
    const row = page.locator(`#recent tr[data-approval-id="${id}"]`);
    await row.waitFor({ timeout: 30000 });
    const rowText = await row.innerText();
    await page.screenshot({ path: screenshot.replace(/\.png$/, "-decided.png"), fullPage: true });
    // The banner's link signs in with the token in the fragment and no name:
    // the board asks for the name once, and shows it once given.
    const banner = await context.newPage();
    await banner.goto(url + "/approvals#token=" + encodeURIComponent(token));
    await banner.waitForSelector("#name-ask:not(.hidden)", { timeout: 15000 });
    await banner.fill("#late-name", "banner-operator");
    await banner.click("#save-name");
    await banner.waitForSelector("#name-ask.hidden", { state: "attached", timeout: 15000 });
    const whoAfterName = await banner.locator("#who").innerText();
    const nameKept = await banner.evaluate(() => sessionStorage.getItem("vmware-mcp-approver"));
    console.log(JSON.stringify({ id, text, rowText, tokenKeptInSession: stored === token, whoAfterName, nameKept, external, consoleErrors }));
  } finally {
    await context.close();
  }
})().catch((e) => { console.error(e && e.stack || String(e)); process.exit(1); });
