// A JavaScript port's own unit tests, fed by tbjwt's portable test vectors (no tbjwt needed to run them):
//
//   TBJWT_VECTORS=path/to/tbjwt_vectors.json ACTION=path/to/action.js node --test vectors.test.mjs
//
// The action is an Auth0 post-login Action (CommonJS, `exports.onExecutePostLogin`), run here with an
// `api` that records its calls, `console` captured, and the clock set to the vector's. Its status, error
// name, logs and calls must be the reference's, tokens compared decoded (header and claims), as
// `tbjwt check --level semantic` compares them. `require("jsonwebtoken")` resolves to this folder's
// node_modules when the action has none of its own (NODE_PATH).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { format } from "node:util";

const vectors = JSON.parse(readFileSync(process.env.TBJWT_VECTORS, "utf8"));
const action = createRequire(import.meta.url)(resolve(process.env.ACTION));

function decoded(value) {
  if (typeof value !== "string" || !value.startsWith("eyJ") || value.split(".").length !== 3) return null;
  try {
    const [header, claims] = value.split(".").slice(0, 2).map((p) => JSON.parse(Buffer.from(p, "base64url").toString("utf8")));
    return { header, claims };
  } catch {
    return null;
  }
}

const comparable = (calls) => calls.map((c) => [c.api, c.args.map((a) => decoded(a) ?? a)]);

async function run(event, nowMs) {
  const logs = [];
  const calls = [];
  const record = (api) => (...args) => calls.push({ api, args: JSON.parse(JSON.stringify(args)) });
  const api = {
    user: { setAppMetadata: record("user.setAppMetadata"), setUserMetadata: record("user.setUserMetadata") },
    idToken: { setCustomClaim: record("idToken.setCustomClaim") },
    accessToken: { setCustomClaim: record("accessToken.setCustomClaim") },
    access: { deny: record("access.deny") },
  };
  const saved = { now: Date.now, log: console.log, info: console.info, warn: console.warn, error: console.error };
  Date.now = () => nowMs;
  for (const level of ["log", "info", "warn", "error"]) console[level] = (...args) => logs.push(format(...args));
  try {
    await action.onExecutePostLogin(event, api);
    return { status: "completed", errorName: null, logs, calls };
  } catch (error) {
    return { status: "threw", errorName: error?.name ?? "Error", logs, calls };
  } finally {
    Object.assign(console, { log: saved.log, info: saved.info, warn: saved.warn, error: saved.error });
    Date.now = saved.now;
  }
}

for (const group of vectors.testGroups) {
  for (const vector of group.tests) {
    test(`${group.source}-${vector.tcId}: ${vector.comment}`, async () => {
      const got = await run(vector.event, vector.nowMs);
      const want = vector.expected;
      const why = `flags: ${vector.flags.join(", ")}`;
      assert.equal(got.status, want.status, why);
      assert.equal(got.errorName, want.errorName, why);
      assert.deepEqual(got.logs, want.logs, why);
      assert.deepEqual(comparable(got.calls), comparable(want.calls), why);
    });
  }
}
