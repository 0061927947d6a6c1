#!/usr/bin/env node
// docs.test.js -- Debian's headless Chromium, driven by playwright-core,
// against the docs page of a running stack (tests/browser/run.sh starts
// one):
//
//   - /openapi.json and /docs are served, /docs redirects to /docs/;
//   - the page lists every operation of the merged document;
//   - "Try it out" on GET /items/{id} shows a 200 with the item;
//   - the Authorize button logs in (the OAuth2 password flow against
//     /token): as the admin, POST /items with an invalid body shows a 422
//     with every error and POST /orders a 201; as a customer, POST /items
//     (admin only) shows a 403;
//   - the page loads nothing but from this server, and throws nothing;
//   - a full-page screenshot for a person to look at.
//
// Environment: BASE_URL, OPENAPI (the merged document, for the list of
// operations), ITEM_ID and ITEM_SKU (an item run.sh created),
// ADMIN_EMAIL/ADMIN_PASSWORD, CUSTOMER_EMAIL/CUSTOMER_PASSWORD,
// SCREENSHOT (PNG to write), CHROMIUM (/usr/bin/chromium).
// Ends with "browser: N passed, M failed".
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const { chromium } = require("playwright-core");

const base = process.env.BASE_URL.replace(/\/$/, "");
const spec = JSON.parse(fs.readFileSync(process.env.OPENAPI, "utf8"));
const itemId = process.env.ITEM_ID;
const itemSku = process.env.ITEM_SKU;
const shot = process.env.SCREENSHOT;
const TIMEOUT = 15000;
let passed = 0, failed = 0;

async function check(name, fn) {
	try {
		await fn();
		passed++;
		console.log(`ok    ${name}`);
	} catch (e) {
		failed++;
		console.log(`FAIL  ${name}\n        ${String(e.message || e).split("\n").slice(0, 6).join("\n        ")}`);
	}
}

function assert(cond, msg) {
	if (!cond)
		throw new Error(msg);
}

// An operation's block on the page: the method's class and the path.
function opblock(page, method, p) {
	return page.locator(`.opblock.opblock-${method}`).filter({
		has: page.locator(`.opblock-summary-path[data-path="${p}"]`),
	}).first();
}

// Logs in through Swagger UI's Authorize dialog (the password flow to
// /token), after logging out of whoever was in.
async function authorize(page, user, password) {
	await page.locator(".auth-wrapper .btn.authorize").first().click();
	const dialog = page.locator(".dialog-ux .modal-ux");
	await dialog.waitFor();
	for (const b of await dialog.locator("button:has-text('Logout')").all())
		await b.click();
	await dialog.locator("input#oauth_username").first().fill(user);
	await dialog.locator("input#oauth_password").first().fill(password);
	await dialog.locator(".auth-btn-wrapper button.authorize").first().click();
	await dialog.locator("button:has-text('Logout')").first().waitFor();
	await dialog.locator("button.close-modal, .close-modal").first().click();
}

// Expands an operation, "Try it out", fills it in, "Execute"; returns
// the status and body the page shows.
async function tryItOut(page, method, p, fill) {
	const op = opblock(page, method, p);
	await op.scrollIntoViewIfNeeded();
	if (!(await op.evaluate((el) => el.classList.contains("is-open"))))
		await op.locator(".opblock-summary-control").click();
	// A second run of the same operation: already in "Try it out", its
	// last answer cleared first so the one read is this run's.
	await op.locator("button.try-out__btn").first().waitFor();
	const start = op.locator("button.try-out__btn:not(.cancel):not(.reset)");
	if (await start.count() > 0)
		await start.first().click();
	const clear = op.locator("button.btn-clear");
	if (await clear.count() > 0)
		await clear.first().click();
	await fill(op);
	await op.locator("button.execute").click();
	const status = op.locator(".live-responses-table .response .response-col_status").first();
	await status.waitFor({ timeout: TIMEOUT });
	const body = op.locator(".live-responses-table .response .response-col_description pre").first();
	await body.waitFor({ timeout: TIMEOUT });
	return {
		status: (await status.innerText()).trim(),
		body: await body.innerText(),
	};
}

async function main() {
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), "fastpg-chromium-"));
	const foreign = [], pageErrors = [];
	let ctx;

	await check("GET /openapi.json is the merged document (application/json)", async () => {
		const r = await fetch(`${base}/openapi.json`);
		assert(r.status === 200, `status ${r.status}`);
		assert(/^application\/json/.test(r.headers.get("content-type")),
		    `Content-Type ${r.headers.get("content-type")}`);
		const doc = await r.json();
		assert(JSON.stringify(doc.paths) === JSON.stringify(spec.paths),
		    "its paths differ from the merged document's");
	});
	await check("GET /docs redirects to /docs/", async () => {
		const r = await fetch(`${base}/docs`, { redirect: "manual" });
		assert(r.status === 301, `status ${r.status}`);
		assert(/\/docs\/$/.test(r.headers.get("location")), `Location ${r.headers.get("location")}`);
	});

	try {
		ctx = await chromium.launchPersistentContext(profile, {
			executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
			headless: true,
			args: ["--headless", "--no-sandbox", "--disable-gpu",
			    "--disable-quic", "--no-first-run",
			    "--disable-background-networking",
			    "--disable-component-update", "--disable-sync"],
			viewport: { width: 1280, height: 900 },
			timeout: 30000,
		});
	} catch (e) {
		failed++;
		console.log(`FAIL  Chromium starts\n        ${e.message.split("\n")[0]}`);
		return;
	}
	ctx.setDefaultTimeout(TIMEOUT);
	ctx.on("request", (req) => {
		const u = req.url();
		if (!u.startsWith(base + "/") && !/^(data|blob|about):/.test(u))
			foreign.push(u);
	});
	const page = ctx.pages()[0] || await ctx.newPage();
	page.on("pageerror", (e) => pageErrors.push(e.message));

	try {
		await check("the page at /docs loads and shows the API's title", async () => {
			const r = await page.goto(`${base}/docs`, { waitUntil: "load" });
			assert(r && r.status() === 200, `status ${r && r.status()}`);
			assert(new URL(page.url()).pathname === "/docs/", `at ${page.url()}`);
			await page.locator(".opblock").first().waitFor();
			const title = await page.locator(".info .title").first().innerText();
			assert(title.includes(spec.info.title), `title "${title}"`);
		});

		const methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
		for (const [p, item] of Object.entries(spec.paths))
			for (const m of methods.filter((x) => item[x]))
				await check(`lists ${m.toUpperCase()} ${p}`, async () => {
					const op = opblock(page, m, p);
					await op.waitFor({ timeout: 5000 });
					const shown = (await op.locator(".opblock-summary-method").innerText()).trim();
					assert(shown === m.toUpperCase(), `method shown: ${shown}`);
				});
		await check("lists no operation the document does not have", async () => {
			const n = Object.values(spec.paths).reduce((a, item) =>
			    a + methods.filter((x) => item[x]).length, 0);
			const shown = await page.locator(".opblock").count();
			assert(shown === n, `${shown} on the page, ${n} in the document`);
		});

		await check(`Try it out: GET /items/{id} with id ${itemId} shows 200 and the item`, async () => {
			const r = await tryItOut(page, "get", "/items/{id}", async (op) => {
				await op.locator('tr[data-param-name="id"] input').fill(String(itemId));
			});
			assert(r.status === "200", `status shown: ${r.status}\n${r.body}`);
			const item = JSON.parse(r.body);
			assert(String(item.id) === String(itemId) && item.sku === itemSku,
			    `body shown: ${r.body}`);
		});

		await check("Authorize: the password flow logs in as the admin", async () => {
			await authorize(page, process.env.ADMIN_EMAIL, process.env.ADMIN_PASSWORD);
		});

		await check("Try it out: POST /orders as the admin shows 201", async () => {
			const r = await tryItOut(page, "post", "/orders", async (op) => {
				await op.locator("textarea.body-param__text").fill(JSON.stringify(
				    { lines: [{ item_id: Number(itemId), quantity: 1 }] }));
			});
			assert(r.status === "201", `status shown: ${r.status}\n${r.body}`);
		});

		const bad = '{"sku": "", "price": -1}';
		await check(`Try it out: POST /items with ${bad} shows 422 and every error`, async () => {
			const r = await tryItOut(page, "post", "/items", async (op) => {
				await op.locator("textarea.body-param__text").fill(bad);
			});
			assert(r.status === "422", `status shown: ${r.status}\n${r.body}`);
			const detail = JSON.parse(r.body).detail;
			const types = detail.map((d) => `${d.type}@${d.loc.join(".")}`).sort();
			for (const want of ["missing@body.name", "string_too_short@body.sku",
			    "greater_than_equal@body.price"])
				assert(types.includes(want), `no ${want} in ${types.join(", ")}`);
		});

		await check("Authorize as a customer: POST /items (admin only) shows 403", async () => {
			await authorize(page, process.env.CUSTOMER_EMAIL, process.env.CUSTOMER_PASSWORD);
			const r = await tryItOut(page, "post", "/items", async (op) => {
				await op.locator("textarea.body-param__text").fill(
				    '{"sku": "CUST-1", "name": "no", "price": 1}');
			});
			assert(r.status === "403", `status shown: ${r.status}\n${r.body}`);
		});

		await check("full-page screenshot", async () => {
			// The two answers in view at the top of the open blocks.
			await opblock(page, "get", "/items/{id}").scrollIntoViewIfNeeded();
			await page.screenshot({ path: shot, fullPage: true });
			assert(fs.statSync(shot).size > 10000, "screenshot too small");
		});

		await check("nothing loaded from anywhere but this server", async () => {
			assert(foreign.length === 0, foreign.join("\n"));
		});
		await check("no JavaScript errors on the page", async () => {
			assert(pageErrors.length === 0, pageErrors.join("\n"));
		});
	} finally {
		await ctx.close();
		fs.rmSync(profile, { recursive: true, force: true });
	}
}

main().catch((e) => {
	failed++;
	console.log(`FAIL  ${e.stack || e}`);
}).finally(() => {
	console.log(`browser: ${passed} passed, ${failed} failed`);
	process.exit(failed ? 1 : 0);
});
