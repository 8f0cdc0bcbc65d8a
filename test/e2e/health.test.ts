/// <reference types="node" />
/** @module The Worker answers its health check when started as `npm start` starts it. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { useServer } from "./server.ts";

const server = useServer();

test("GET /health answers that the API is running", async () => {
  const response = await fetch(`${server.url}/health`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: "healthy", message: "API is running" });
});
