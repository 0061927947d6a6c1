#!/usr/bin/env node
// examples.js DOC.json BASE_URL -- runs every operation of the document
// in document order (paths as listed, methods as listed under each)
// against a fresh `make run`-like stack, the way "Try it out" in /docs
// sends it: path, query and header parameters from their examples
// (the parameter's "example", else its schema's "examples"[0],
// "example" or "default"; optional ones without an example are left
// out), the request body from the first JSON example.  Each must answer
// 2xx, unless the operation says its example is an error example with
// "x-example-status": N, when it must answer N.  A required parameter
// without an example fails too: "Try it out" could not send it.
//
// Operations run as the first shop_admin (FASTPG_ADMIN_EMAIL,
// FASTPG_ADMIN_PASSWORD, as deploy/local.sh up made it): the script
// logs in at POST /token first and sends its bearer token, as the
// Authorize button of Swagger UI does; POST /token's own example is
// that login, a form body.
//
// Prints one line per operation and ends with "openapi examples: N
// passed, M failed".
"use strict";

const fs = require("fs");

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

function deref(api, v) {
	for (let i = 0; v && typeof v.$ref === "string" && i < 10; i++)
		v = v.$ref.slice(2).split("/").reduce((o, k) =>
		    o && o[k.replace(/~1/g, "/").replace(/~0/g, "~")], api);
	return v;
}

function paramExample(api, prm) {
	if (prm.example !== undefined)
		return prm.example;
	for (const e of Object.values(prm.examples || {})) {
		const v = deref(api, e);
		if (v && v.value !== undefined)
			return v.value;
	}
	const s = deref(api, prm.schema) || {};
	if (Array.isArray(s.examples) && s.examples.length)
		return s.examples[0];
	if (s.example !== undefined)
		return s.example;
	return s.default;
}

function bodyExample(api, body) {
	body = deref(api, body);
	const mt = body && body.content && body.content["application/json"];
	if (!mt)
		return undefined;
	if (mt.example !== undefined)
		return mt.example;
	for (const e of Object.values(mt.examples || {})) {
		const v = deref(api, e);
		if (v && v.value !== undefined)
			return v.value;
	}
	return undefined;
}

async function main() {
	const [file, base] = process.argv.slice(2);
	if (!file || !base) {
		console.error("usage: examples.js DOC.json BASE_URL");
		process.exit(2);
	}
	const api = JSON.parse(fs.readFileSync(file, "utf8"));
	let passed = 0, failed = 0;
	const login = new URLSearchParams({ grant_type: "password",
	    username: process.env.FASTPG_ADMIN_EMAIL || "admin@example.com",
	    password: process.env.FASTPG_ADMIN_PASSWORD || "" }).toString();
	let token;
	try {
		const r = await fetch(base + "/token", { method: "POST", body: login,
		    headers: { "Content-Type": "application/x-www-form-urlencoded" } });
		token = (await r.json()).access_token;
	} catch (e) {
		console.log(`login: ${e.message}`);
	}
	for (const [p, item] of Object.entries(api.paths || {})) {
		for (const m of Object.keys(item)) {	// as listed: Swagger UI's order
			const op = item[m];
			if (!METHODS.includes(m) || !op)
				continue;
			const what = `${m.toUpperCase()} ${p}`;
			const problems = [];
			let url = p;
			const query = new URLSearchParams();
			const headers = {};
			const params = [...(item.parameters || []), ...(op.parameters || [])]
			    .map((x) => deref(api, x));
			for (const prm of params) {
				const v = paramExample(api, prm);
				if (v === undefined) {
					if (prm.required)
						problems.push(`required ${prm.in} parameter ${prm.name} has no example`);
					continue;
				}
				if (prm.in === "path")
					url = url.replace(`{${prm.name}}`, encodeURIComponent(String(v)));
				else if (prm.in === "query")
					query.append(prm.name, String(v));
				else if (prm.in === "header")
					headers[prm.name] = String(v);
			}
			let body;
			if (token)
				headers["Authorization"] = `Bearer ${token}`;
			if (p === "/token" && m === "post") {
				body = login;
				headers["Content-Type"] = "application/x-www-form-urlencoded";
			} else if (op.requestBody) {
				const ex = bodyExample(api, op.requestBody);
				if (ex === undefined && deref(api, op.requestBody).required)
					problems.push("the request body has no example");
				if (ex !== undefined) {
					body = JSON.stringify(ex);
					headers["Content-Type"] = "application/json";
				}
			}
			const qs = query.toString();
			const want = op["x-example-status"];
			let status = "-", text = "";
			if (problems.length === 0) {
				try {
					const r = await fetch(base + url + (qs ? "?" + qs : ""),
					    { method: m.toUpperCase(), headers, body, redirect: "manual" });
					status = r.status;
					text = await r.text();
				} catch (e) {
					problems.push(`${e.message}${e.cause ? ": " + e.cause.message : ""}`);
				}
				if (status !== "-" && (want !== undefined ? status !== want :
				    status < 200 || status > 299))
					problems.push(`answered ${status}${want !== undefined ? `, the document says ${want}` : ""}: ${text.slice(0, 300)}`);
			}
			const sent = `${m.toUpperCase()} ${url}${qs ? "?" + qs : ""}${body ? " " + body : ""}`;
			if (problems.length === 0) {
				passed++;
				console.log(`ok    ${what}: ${sent} -> ${status}`);
			} else {
				failed++;
				console.log(`FAIL  ${what}: ${sent}`);
				for (const e of problems)
					console.log(`        ${e}`);
			}
		}
	}
	console.log(`openapi examples: ${passed} passed, ${failed} failed`);
	process.exit(failed ? 1 : 0);
}

main().catch((e) => {
	console.error(e);
	console.log("openapi examples: 0 passed, 1 failed");
	process.exit(1);
});
