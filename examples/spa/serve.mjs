// A static server for the dashboard: index.html, app.js, auth0-spa-js from node_modules, and
// /config.json from the JSON line `tbjwt mocks` printed.
//
//   tbjwt mocks --action node:YOUR_ACTION --callback-url http://127.0.0.1:5173/ > mocks.json &
//   node serve.mjs mocks.json 5173
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const FILES = {
  "/": ["index.html", "text/html; charset=utf-8"],
  "/index.html": ["index.html", "text/html; charset=utf-8"],
  "/app.js": ["app.js", "text/javascript; charset=utf-8"],
  "/auth0-spa-js.js": ["node_modules/@auth0/auth0-spa-js/dist/auth0-spa-js.production.js", "text/javascript; charset=utf-8"],
};

/** Serves the app on `port` (0: any) of 127.0.0.1; `config()` gives what /config.json holds. */
export function startApp(port, config) {
  const server = createServer(async (request, response) => {
    const { pathname } = new URL(request.url, "http://127.0.0.1");
    if (pathname === "/config.json") {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(config()));
      return;
    }
    const file = FILES[pathname];
    if (!file) {
      response.writeHead(404, { "content-type": "text/plain" });
      response.end("not found");
      return;
    }
    try {
      const body = await readFile(path.join(here, file[0]));
      response.writeHead(200, { "content-type": file[1] });
      response.end(body);
    } catch (e) {
      response.writeHead(500, { "content-type": "text/plain" });
      response.end(String(e));
    }
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [mocksFile, port = "5173"] = process.argv.slice(2);
  if (!mocksFile) {
    console.error("usage: node serve.mjs MOCKS_JSON_FILE [PORT]  (the first line tbjwt mocks printed)");
    process.exit(2);
  }
  const line = (await readFile(mocksFile, "utf8")).split("\n")[0];
  const config = JSON.parse(line);
  const server = await startApp(Number(port), () => config);
  console.log(`dashboard at http://127.0.0.1:${server.address().port}/`);
}
