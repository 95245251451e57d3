// The dashboard: log in with auth0-spa-js, take the Tinybird JWT from the ID token's
// `https://app.tinybird.co` claim (put there by the post-login Action), and read a pipe with it from the
// browser. `/config.json` says where Auth0 and Tinybird are (served by serve.mjs from tbjwt mocks' line).
const CLAIM = "https://app.tinybird.co";
const $ = (id) => document.getElementById(id);

function decode(jwt) {
  const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
}

function showRows(pipe, body) {
  $("pipe-title").textContent = `${pipe}: ${body.rows} rows`;
  const columns = body.meta.map((c) => c.name);
  $("rows").tHead.innerHTML = `<tr>${columns.map((c) => `<th>${c}</th>`).join("")}</tr>`;
  const tbody = $("rows").tBodies[0];
  tbody.replaceChildren(
    ...body.data.map((row) => {
      const tr = document.createElement("tr");
      for (const column of columns) {
        const td = document.createElement("td");
        td.textContent = String(row[column]);
        tr.append(td);
      }
      return tr;
    }),
  );
  $("pipe").hidden = false;
}

async function main() {
  const config = await (await fetch("/config.json")).json();
  const client = await auth0.createAuth0Client({
    domain: config.auth0_url,
    clientId: config.spa_client_id,
    authorizationParams: { redirect_uri: `${location.origin}/`, audience: config.audience },
  });
  const params = new URLSearchParams(location.search);
  let pipe = params.get("pipe");
  if (params.has("code") && params.has("state")) {
    const { appState } = await client.handleRedirectCallback();
    pipe = appState?.pipe ?? pipe;
    history.replaceState({}, "", "/");
  } else if (params.has("error")) {
    throw new Error(`${params.get("error")}: ${params.get("error_description")}`);
  }
  if (!(await client.isAuthenticated())) {
    $("login").hidden = false;
    const login = () => client.loginWithRedirect({ appState: { pipe } });
    $("login").onclick = login;
    document.body.dataset.state = "logged-out";
    if (params.has("autologin")) await login();
    return;
  }
  const claims = await client.getIdTokenClaims();
  $("user").textContent = claims.email ?? claims.sub;
  $("logout").hidden = false;
  $("logout").onclick = () => client.logout({ logoutParams: { returnTo: `${location.origin}/` } });
  const jwt = claims[CLAIM];
  if (!jwt) throw new Error(`the ID token has no ${CLAIM} claim: did the post-login Action run?`);
  const pipes = decode(jwt).scopes.map((s) => s.resource);
  $("scopes").innerHTML = `Your token opens: ${pipes.map((p) => `<code>${p}</code>`).join(", ")}`;
  pipe ??= pipes[0];
  const response = await fetch(`${config.tinybird_url}/v0/pipes/${encodeURIComponent(pipe)}.json`, {
    headers: { Authorization: `Bearer ${jwt}` },
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`Tinybird answered ${response.status}: ${body.error}`);
  showRows(pipe, body);
  document.body.dataset.state = "ready";
}

main().catch((e) => {
  $("error").textContent = String(e?.message ?? e);
  document.body.dataset.state = "error";
});
