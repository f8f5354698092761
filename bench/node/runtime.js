// A minimal Lambda Runtime API client, so that the same harness that runs the
// Rust bootstraps runs this handler: GET /invocation/next, then POST
// /invocation/{id}/response or /error, over one keep-alive connection; an
// init failure goes to /init/error. Lambda's own Node.js runtime does the
// same with a native HTTP client and more bookkeeping (X-Ray, log
// formatting, context object), so real cold starts there are slower.
"use strict";

const http = require("node:http");

const [host, port] = (process.env.AWS_LAMBDA_RUNTIME_API || "").split(":");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const BASE = "/2018-06-01/runtime";

function request(method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host, port, method, path: BASE + path, agent, headers },
      (res) => {
        const chunks = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

function post(path, value, headers = {}) {
  const body = JSON.stringify(value);
  return request("POST", path, body, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    ...headers,
  });
}

function errorBody(err) {
  return { errorType: err.name || "Error", errorMessage: err.message || String(err) };
}

async function main() {
  let handler;
  try {
    handler = await require("./handler.js").init();
  } catch (err) {
    console.error(JSON.stringify({ level: "ERROR", message: "init failed", error: String(err) }));
    await post("/init/error", errorBody(err), {
      "lambda-runtime-function-error-type": "Runtime.InitError",
    });
    process.exit(1);
  }
  for (;;) {
    const next = await request("GET", "/invocation/next");
    if (next.status !== 200) throw new Error(`/invocation/next answered ${next.status}`);
    const id = next.headers["lambda-runtime-aws-request-id"];
    try {
      const result = await handler(JSON.parse(next.body.toString("utf8")));
      await post(`/invocation/${id}/response`, result);
    } catch (err) {
      await post(`/invocation/${id}/error`, errorBody(err), {
        "lambda-runtime-function-error-type": err.name || "Error",
      });
    }
  }
}

main().catch((err) => {
  console.error(JSON.stringify({ level: "ERROR", message: "runtime loop failed", error: String(err) }));
  process.exit(1);
});
