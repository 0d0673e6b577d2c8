import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, type TestContext } from "vitest";
import { type ContractValidator, getContractValidator, type OperationInfo } from "../src/contract/validator.ts";
import { type ServerProcess, startServerProcess } from "./helpers/process.ts";

// Debian's chromium, which .ci/run installs; CHROMIUM_PATH points elsewhere on other systems.
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const IN_CI = process.env.CI === "true";
const MISSING = `no Chromium at ${CHROMIUM} (apt-get install chromium, as .ci/run does, or set CHROMIUM_PATH)`;
/** Where the screenshot goes; DOCS_SCREENSHOT=docs/api-reference.png refreshes the README's. */
const SCREENSHOT = process.env.DOCS_SCREENSHOT ?? "test-results/api-reference.png";

type SchemaNode = { oneOf?: SchemaNode[]; properties?: Record<string, { const?: string; enum?: string[] }> };
type ResponseNode = { content?: Record<string, { schema?: SchemaNode }> };
type OperationNode = {
  responses: Record<string, ResponseNode>;
  requestBody?: { content: Record<string, { example?: Record<string, string> }> };
};

/** The operation as written in the contract (dereferenced). */
function operationNode(validator: ContractValidator, op: OperationInfo): OperationNode {
  const paths = validator.contract.dereferenced.paths as Record<string, Record<string, OperationNode>>;
  return paths[op.path]![op.method.toLowerCase()]!;
}

/** The Zulip error `code`s the contract declares for each status of an operation. */
function declaredCodes(validator: ContractValidator, op: OperationInfo): Record<string, string[]> {
  const codesOf = (schema: SchemaNode | undefined): string[] => {
    if (!schema) return [];
    if (schema.oneOf) return schema.oneOf.flatMap(codesOf);
    const code = schema.properties?.code;
    return code ? (code.const !== undefined ? [code.const] : (code.enum ?? [])) : [];
  };
  return Object.fromEntries(
    Object.entries(operationNode(validator, op).responses).map(([status, response]) => [
      status,
      codesOf(response.content?.["application/json"]?.schema).sort(),
    ]),
  );
}

/** The operation's block on the page, found by its method and path as Swagger UI shows them. */
const operationBlock = (page: Page, op: OperationInfo) =>
  page.locator(".opblock", { has: page.locator(`.opblock-summary-path[data-path="${op.path}"]`) }).filter({
    has: page.locator(".opblock-summary-method", { hasText: new RegExp(`^${op.method}$`, "i") }),
  });

async function expand(page: Page, op: OperationInfo) {
  const block = operationBlock(page, op);
  if (!(await block.locator(".opblock-body").isVisible())) await block.locator(".opblock-summary-control").click();
  await block.locator("tr.response").first().waitFor();
  return block;
}

describe("/docs in a real browser (Chromium, over HTTP from the demo server)", () => {
  let demo: ServerProcess | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  let profile: string | undefined;
  let validator: ContractValidator;
  const requested: string[] = [];
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];

  /** Skips (with the reason) on a machine without Chromium; under CI=true the browser is required, so each test fails. */
  const needBrowser = (ctx: TestContext) => {
    if (HAVE_CHROMIUM) return;
    if (IN_CI) throw new Error(`CI=true but ${MISSING}`);
    ctx.skip(MISSING);
  };

  beforeAll(async () => {
    if (!HAVE_CHROMIUM) return;
    validator = await getContractValidator();
    demo = await startServerProcess(["demo", "--port", "0"]);
    profile = mkdtempSync(join(tmpdir(), "zulip-auth-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 900 },
    });
    // Anything the page's Content-Security-Policy blocks is collected here (and would otherwise go unseen).
    await context.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { cspViolations: string[] }).cspViolations = seen;
      document.addEventListener("securitypolicyviolation", (e) => seen.push(`${e.effectiveDirective} ${e.blockedURI}`));
    });
    context.on("request", (request) => requested.push(request.url()));
    page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    await page.goto(`${demo.url}/docs`);
  });

  afterAll(async () => {
    await context?.close();
    await demo?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it("renders every operation of the contract, against this server's URL", async (ctx) => {
    needBrowser(ctx);
    await page.locator(".opblock").first().waitFor();
    expect(await page.locator(".opblock").count()).toBe(validator.operations.length);
    for (const op of validator.operations) await expect(operationBlock(page, op).count(), `${op.method} ${op.path}`).resolves.toBe(1);
    expect(await page.locator(".servers select option").allTextContents()).toEqual([expect.stringContaining(`${demo!.url}/api/v1`)]);
  });

  it("renders every status and every error code each operation declares", async (ctx) => {
    needBrowser(ctx);
    for (const op of validator.operations) {
      const block = await expand(page, op);
      const rows = block.locator("tr.response[data-code]");
      const statuses = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-code")));
      expect(statuses, op.operationId).toEqual(op.statuses.map(String));

      // Each status's examples are offered in a list: show each one and read the `code` it renders.
      const rendered: Record<string, string[]> = {};
      for (const status of statuses) {
        const row = block.locator(`tr.response[data-code="${status}"]`);
        const select = row.locator("select.examples-select-element");
        const names = await select.locator("option").evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
        const codes = new Set<string>();
        for (const name of names) {
          await select.selectOption(name);
          const text = await row.locator(".model-example .highlight-code").innerText();
          const code = (JSON.parse(text) as { code?: string }).code;
          if (code) codes.add(code);
        }
        rendered[status!] = [...codes].sort();
      }
      expect(rendered, op.operationId).toEqual(declaredCodes(validator, op));
    }
  });

  it("runs fetch_api_key from the page with the demo credentials from the contract's examples, and gets a conformant 200", async (ctx) => {
    needBrowser(ctx);
    const op = validator.operation("fetch-api-key");
    const example = operationNode(validator, op).requestBody!.content["application/x-www-form-urlencoded"]!.example!;
    const block = await expand(page, op);
    const username = block.locator('tr[data-property-name="username"] input');
    const password = block.locator('tr[data-property-name="password"] input');
    await expect(username.inputValue()).resolves.toBe(example.username);
    await expect(password.inputValue()).resolves.toBe(example.password);
    await expect(block.locator("select.content-type").first().inputValue()).resolves.toBe("application/x-www-form-urlencoded");

    const url = `${demo!.url}/api/v1${op.path}`;
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url() === url && r.request().method() === op.method),
      block.locator("button.execute").click(),
    ]);
    expect(response.request().headers()["content-type"]).toMatch(/^application\/x-www-form-urlencoded/);
    const answer = { status: response.status(), headers: new Headers(await response.allHeaders()), bodyText: await response.text() };
    expect(validator.validateResponse(op.operationId, answer)).toEqual([]);
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.bodyText) as { email: string; api_key: string };
    expect(body.email).toBe(example.username);

    // The page shows the answer it got.
    const live = block.locator(".live-responses-table");
    const row = live.locator("tbody tr.response");
    await expect(row.locator(".response-col_status").innerText()).resolves.toBe("200");
    await expect(row.locator(".response-col_description").innerText()).resolves.toContain(body.email);

    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    // From the title down to the answer; the key (a real one, if throwaway) is masked.
    const bottom = await live.evaluate((el) => el.getBoundingClientRect().bottom + window.scrollY);
    await page.screenshot({
      path: SCREENSHOT,
      clip: { x: 0, y: 0, width: 1280, height: Math.ceil(bottom) + 4 },
      fullPage: true,
      mask: [page.getByText(body.api_key)],
      maskColor: "#777",
    });
    expect(existsSync(SCREENSHOT)).toBe(true);
  });

  it("loaded and sent nothing outside the server, broke no Content-Security-Policy rule, and threw nothing", async (ctx) => {
    needBrowser(ctx);
    const origin = new URL(demo!.url).origin;
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.filter((url) => !url.startsWith("data:") && new URL(url).origin !== origin)).toEqual([]);
    expect(requested).toEqual(expect.arrayContaining([`${origin}/docs/swagger-ui-bundle.js`, `${origin}/openapi.json`]));
    expect(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
