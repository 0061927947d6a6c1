#!/usr/bin/env node
// validate.js DOC.json ... -- each document must be valid OpenAPI 3.1:
//
//  - @apidevtools/swagger-parser: the OpenAPI 3.1 JSON Schema (the
//    document's structure) and every $ref resolving;
//  - what that schema cannot say and swagger-parser only checks for
//    Swagger 2.0: operationIds unique; each path template's {names}
//    declared once as required "in: path" parameters, and no others;
//    no parameter twice in one operation; each operation with responses;
//  - every Schema Object compiles as JSON Schema 2020-12 (Ajv, strict
//    about unknown keywords), and every example validates against its
//    schema (what "Try it out" sends first must not be a 422).
//
// One check per document and kind; prints each failure with its JSON
// pointer, and ends with "openapi: N passed, M failed".
"use strict";

const fs = require("fs");
const path = require("path");
const SwaggerParser = require("@apidevtools/swagger-parser");
const Ajv2020 = require("ajv/dist/2020");
const addFormats = require("ajv-formats");

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
let passed = 0, failed = 0;

function report(doc, what, errors) {
	if (errors.length === 0) {
		passed++;
		console.log(`ok    ${doc}: ${what}`);
		return;
	}
	failed++;
	console.log(`FAIL  ${doc}: ${what}`);
	for (const e of errors.slice(0, 30))
		console.log(`        ${e}`);
	if (errors.length > 30)
		console.log(`        ... and ${errors.length - 30} more`);
}

const esc = (s) => String(s).replace(/~/g, "~0").replace(/\//g, "~1");

// The operations of a document: [pointer, method, path, operation, pathItem].
function operations(api) {
	const ops = [];
	for (const [p, item] of Object.entries(api.paths || {}))
		for (const m of METHODS)
			if (item && item[m])
				ops.push([`#/paths/${esc(p)}/${m}`, m, p, item[m], item]);
	return ops;
}

// A $ref inside the document ("#/components/...") to what it points at.
function deref(api, v) {
	for (let i = 0; v && typeof v.$ref === "string" && i < 10; i++) {
		if (!v.$ref.startsWith("#/"))
			return v;
		v = v.$ref.slice(2).split("/").reduce((o, k) =>
		    o && o[k.replace(/~1/g, "/").replace(/~0/g, "~")], api);
	}
	return v;
}

function specChecks(api) {
	const errs = [], ids = new Map();

	for (const [ptr, m, p, op, item] of operations(api)) {
		if (op.operationId !== undefined) {
			if (ids.has(op.operationId))
				errs.push(`${ptr}: operationId "${op.operationId}" also at ${ids.get(op.operationId)}`);
			else
				ids.set(op.operationId, ptr);
		}
		const params = [...(item.parameters || []), ...(op.parameters || [])].map((x) => deref(api, x));
		const seen = new Set();
		for (const prm of params) {
			if (!prm || typeof prm !== "object")
				continue;
			const key = `${prm.in}:${prm.in === "header" ? String(prm.name).toLowerCase() : prm.name}`;
			if (seen.has(key))
				errs.push(`${ptr}: parameter ${prm.name} (in ${prm.in}) declared twice`);
			seen.add(key);
		}
		const templ = [...p.matchAll(/\{([^}]+)\}/g)].map((x) => x[1]);
		for (const name of templ) {
			const prm = params.find((x) => x && x.in === "path" && x.name === name);
			if (!prm)
				errs.push(`${ptr}: path parameter {${name}} not declared`);
			else if (prm.required !== true)
				errs.push(`${ptr}: path parameter ${name} must have "required": true`);
		}
		for (const prm of params)
			if (prm && prm.in === "path" && !templ.includes(prm.name))
				errs.push(`${ptr}: path parameter ${prm.name} is not in the path ${p}`);
		if (!op.responses || Object.keys(op.responses).length === 0)
			errs.push(`${ptr}: no responses`);
		for (const code of Object.keys(op.responses || {}))
			if (!/^([1-5][0-9X]{2}|default)$/.test(code))
				errs.push(`${ptr}/responses/${code}: not a status code`);
	}
	return errs;
}

// Every place a Schema Object sits, with the examples that go with it.
function schemas(api) {
	const out = [];	// [pointer, schema, [[pointer, example], ...]]
	const media = (ptr, content) => {
		for (const [type, mt] of Object.entries(content || {})) {
			const mp = `${ptr}/content/${esc(type)}`;
			if (!mt || !mt.schema)
				continue;
			const ex = [];
			if (mt.example !== undefined)
				ex.push([`${mp}/example`, mt.example]);
			for (const [k, e] of Object.entries(mt.examples || {})) {
				const v = deref(api, e);
				if (v && v.value !== undefined)
					ex.push([`${mp}/examples/${esc(k)}`, v.value]);
			}
			out.push([`${mp}/schema`, mt.schema, ex]);
		}
	};
	// A $ref to the components is checked there.
	const param = (ptr, prm) => {
		if (!prm || typeof prm !== "object" || prm.$ref !== undefined)
			return;
		if (prm.schema) {
			const ex = prm.example !== undefined ? [[`${ptr}/example`, prm.example]] : [];
			out.push([`${ptr}/schema`, prm.schema, ex]);
		}
		media(ptr, prm.content);
	};
	const headers = (ptr, hs) => {
		for (const [k, h] of Object.entries(hs || {}))
			param(`${ptr}/headers/${esc(k)}`, h);
	};
	const comps = api.components || {};
	for (const [k, s] of Object.entries(comps.schemas || {}))
		out.push([`#/components/schemas/${esc(k)}`, s, []]);
	for (const [k, prm] of Object.entries(comps.parameters || {}))
		param(`#/components/parameters/${esc(k)}`, prm);
	headers("#/components", comps.headers);
	for (const [k, r] of Object.entries(comps.responses || {})) {
		media(`#/components/responses/${esc(k)}`, r.content);
		headers(`#/components/responses/${esc(k)}`, r.headers);
	}
	for (const [k, b] of Object.entries(comps.requestBodies || {}))
		media(`#/components/requestBodies/${esc(k)}`, b.content);
	for (const [p, item] of Object.entries(api.paths || {}))
		(item.parameters || []).forEach((prm, i) =>
		    param(`#/paths/${esc(p)}/parameters/${i}`, prm));
	for (const [ptr, , , op] of operations(api)) {
		(op.parameters || []).forEach((prm, i) => param(`${ptr}/parameters/${i}`, prm));
		const body = op.requestBody;
		if (body && body.$ref === undefined)
			media(`${ptr}/requestBody`, body.content);
		for (const [code, r] of Object.entries(op.responses || {})) {
			if (!r || r.$ref !== undefined)
				continue;
			media(`${ptr}/responses/${code}`, r.content);
			headers(`${ptr}/responses/${code}`, r.headers);
		}
	}
	return out;
}

function schemaChecks(api, file) {
	// The document itself is the schema resource: "#/components/..."
	// references resolve inside it.
	const ajv = new Ajv2020({
		strict: true, strictTypes: false, strictTuples: false,
		strictRequired: false, allErrors: true, multipleOfPrecision: 9,
		// OpenAPI's own keywords in a Schema Object, and the document's
		// top-level fields (the document is the root schema resource).
		keywords: ["example", "discriminator", "xml", "externalDocs",
		    "openapi", "info", "jsonSchemaDialect", "servers", "paths",
		    "webhooks", "components", "security", "tags"],
	});
	addFormats(ajv);
	const id = "file://" + path.resolve(file);
	const errsS = [], errsE = [];
	const root = JSON.parse(JSON.stringify(api));
	try {
		ajv.addSchema(root, id);
	} catch (e) {
		errsS.push(`the document as a schema resource: ${e.message}`);
		return [errsS, errsE];
	}
	for (const [ptr, , examples] of schemas(api)) {
		let validate;
		try {
			validate = ajv.compile({ $ref: `${id}${ptr}` });
		} catch (e) {
			errsS.push(`${ptr}: ${e.message}`);
			continue;
		}
		for (const [eptr, ex] of examples)
			if (!validate(ex))
				for (const e of validate.errors)
					errsE.push(`${eptr}${e.instancePath}: ${e.message} (schema ${e.schemaPath})`);
	}
	return [errsS, errsE];
}

async function main() {
	const files = process.argv.slice(2);
	if (files.length === 0) {
		console.error("usage: validate.js DOC.json ...");
		process.exit(2);
	}
	for (const file of files) {
		const name = path.relative(process.cwd(), file) || file;
		let api;
		try {
			api = JSON.parse(fs.readFileSync(file, "utf8"));
		} catch (e) {
			report(name, "JSON", [e.message]);
			continue;
		}
		report(name, `"openapi": "3.1.x"`, /^3\.1\.\d+$/.test(api.openapi) ? [] :
		    [`"openapi" is ${JSON.stringify(api.openapi)}`]);
		try {
			// validate() changes what it is given: a copy.
			await SwaggerParser.validate(JSON.parse(JSON.stringify(api)));
			report(name, "swagger-parser (OpenAPI 3.1 schema, $refs)", []);
		} catch (e) {
			report(name, "swagger-parser (OpenAPI 3.1 schema, $refs)",
			    String(e.message).split("\n").filter((l) => l.trim()));
		}
		report(name, "operationIds, path parameters, responses", specChecks(api));
		const [errsS, errsE] = schemaChecks(api, file);
		report(name, "Schema Objects compile as JSON Schema 2020-12", errsS);
		report(name, "examples validate against their schemas", errsE);
	}
	console.log(`openapi: ${passed} passed, ${failed} failed`);
	process.exit(failed ? 1 : 0);
}

main().catch((e) => {
	console.error(e);
	console.log(`openapi: ${passed} passed, ${failed + 1} failed`);
	process.exit(1);
});
