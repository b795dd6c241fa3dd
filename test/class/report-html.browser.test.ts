import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import puppeteer, { type Browser, type ElementHandle, type Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classHtml } from "../../src/class/report-html.js";
import { scratchDir } from "../helpers/scratch-dir.js";
import { ALICE, BOB, BOB_MISSING, HOSTILE_NAME, MALLORY, report } from "./fixture.js";

/**
 * The page of `lab class check --html` in a real browser: Debian's chromium, headless, driven
 * by puppeteer-core (no browser download). It is opened from a file:// URL the way a teacher
 * opens it, then read and clicked the way a teacher would. Without /usr/bin/chromium (or the
 * browser LAB_CHROMIUM names) the file is skipped, and says why.
 */
const CHROMIUM = process.env.LAB_CHROMIUM ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(`report-html.browser.test.ts skipped: ${CHROMIUM} is missing (Debian: apt-get install chromium)`);

describe.skipIf(!hasChromium)("the class report page in chromium", () => {
  const students = [ALICE, BOB, MALLORY];
  let browser: Browser | undefined;
  let page: Page;
  let url: string;
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  const dialogs: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    const file = join(scratchDir("class-html"), "report.html");
    writeFileSync(file, classHtml(report(students)));
    url = pathToFileURL(file).href;
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Root in a container: no sandbox; a small /dev/shm is common there too.
      args: ["--no-sandbox", "--disable-dev-shm-usage"],
      timeout: 30_000,
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => pageErrors.push(String(error)));
    // An injected alert() would open a dialog (it would hang the page if not answered).
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    // Every request is recorded; only the page itself is let through.
    await page.setRequestInterception(true);
    page.on("request", (request) => {
      requests.push(request.url());
      void (request.url() === url ? request.continue() : request.abort());
    });
    await page.goto(url, { waitUntil: "load", timeout: 30_000 });
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** A student's <section>, found by comparing the attribute (no selector built from the name). */
  async function studentSection(name: string): Promise<ElementHandle<Element>> {
    const handle = await page.evaluateHandle(
      (n) => [...document.querySelectorAll("[data-student]")].find((e) => e.getAttribute("data-student") === n),
      name,
    );
    const element = handle.asElement() as ElementHandle<Element> | null;
    expect(element, `no row for ${name}`).not.toBeNull();
    return element!;
  }

  /** The text of the elements matching `selector` under `root` that are rendered and visible. */
  const visibleTexts = (root: ElementHandle<Element>, selector: string) =>
    root.$$eval(selector, (els) =>
      els.filter((e) => e.checkVisibility() && e.getClientRects().length > 0).map((e) => (e as HTMLElement).innerText),
    );

  it("lists every student, one row each, in the report's order", async () => {
    const rows = await page.$$eval("[data-student]", (els) => els.map((e) => e.getAttribute("data-student")));
    expect(rows).toEqual(students.map((s) => s.student));
    const shown = await page.$$eval("[data-student] summary", (els) =>
      els.map((e) => e.checkVisibility() && e.getBoundingClientRect().height > 0),
    );
    expect(shown).toEqual([true, true, true]);
  });

  it("shows the hostile student's name as literal text, no element injected", async () => {
    const mallory = await studentSection(HOSTILE_NAME);
    const name = await mallory.$eval(".name", (e) => ({
      text: e.textContent,
      elements: e.querySelectorAll("*").length,
    }));
    expect(name).toEqual({ text: HOSTILE_NAME, elements: 1 }); // its <bdi> alone
    expect(await page.$$eval("img, script, iframe, object, embed", (els) => els.length)).toBe(0);
  });

  it("hides the broken student's details until its summary is clicked, then shows exactly its missing steps", async () => {
    const bob = await studentSection(BOB.student);
    const details = (await bob.$("[data-details]"))!;
    expect(await details.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    // Before: no missing step is visible anywhere on the page (nothing is open), though the page holds them.
    expect(await bob.$$eval("[data-missing]", (els) => els.length)).toBe(BOB_MISSING.length);
    const body = (await page.$("body"))!;
    expect(await visibleTexts(body, "[data-missing]")).toEqual([]);
    expect(await visibleTexts(body, "[data-ping]")).toEqual([]);

    await (await details.$("summary"))!.click();

    expect(await details.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    expect(await visibleTexts(body, "[data-missing]")).toEqual(BOB_MISSING);
    // The other students stay closed.
    const open = await page.$$eval("[data-student]", (els) =>
      els.map((e) => (e.querySelector("[data-details]") as HTMLDetailsElement).open),
    );
    expect(open).toEqual([false, true, false]);
  });

  it("the open student's ping grid: a cell per pair, ✓ or ✗ with expected and got, a title", async () => {
    const bob = await studentSection(BOB.student);
    // Open (the test before clicked it), whatever became of the test before.
    await bob.$eval("[data-details]", (d) => ((d as HTMLDetailsElement).open = true));
    const cells = await bob.$$eval("[data-ping]", (els) =>
      els
        .filter((e) => e.checkVisibility())
        .map((e) => ({
          pair: e.getAttribute("data-ping"),
          text: (e as HTMLElement).innerText,
          title: e.getAttribute("title"),
        })),
    );
    expect(cells.map((c) => c.pair)).toEqual([
      "bbox11 → bbox12",
      "bbox11 → bbox13",
      "bbox12 → bbox11",
      "bbox13 → bbox11",
    ]);
    expect(cells[0]!.text.split("\n")).toEqual(["✗", "expect reachable", "got could not run"]);
    expect(cells[0]!.title).toBe(
      "bbox11 → bbox12 (10.0.10.12): expected reachable, got could not run (container bbox11 not running) — NOT as expected",
    );
    expect(cells[3]!.text.split("\n")).toEqual(["✓", "expect unreachable", "got unreachable"]);
  });

  it("the unreachable student's details name the host and why", async () => {
    const mallory = await studentSection(HOSTILE_NAME);
    await (await mallory.$("summary"))!.click();
    expect(await visibleTexts(mallory, "[data-unreachable]")).toEqual(["docker02: connection refused"]);
    expect(await visibleTexts(mallory, "[data-missing]")).toEqual([]);
  });

  it("made no request but the page itself, logged no error, ran nothing", () => {
    expect(requests).toEqual([url]);
    expect(consoleErrors).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(dialogs).toEqual([]);
  });
});
