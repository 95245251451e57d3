//! `tbjwt mocks` and `tbjwt observe` as users run them: a real process, its first line of JSON, and HTTP
//! requests as the README's curl session makes them.

use crate::common;

use std::io::BufRead;
use std::process::Stdio;

use serde_json::Value;

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn get(agent: &ureq::Agent, url: &str, bearer: Option<&str>) -> (u16, Value) {
    let mut request = agent.get(url);
    if let Some(token) = bearer {
        request = request.header("authorization", &format!("Bearer {token}"));
    }
    let mut response = request.call().unwrap();
    (response.status().as_u16(), serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap())
}

#[test]
fn mocks_serve_the_documented_curl_session() {
    let mut child = Child(
        common::tbjwt()
            .args(["mocks", "--workspace-id", "ws_demo", "--pipes", "top_pages,kpis"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    std::io::BufReader::new(child.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let info: Value = serde_json::from_str(&line).unwrap();
    for key in ["auth0_url", "tinybird_url", "workspace_id", "admin_token", "sample_jwt"] {
        assert!(info[key].is_string(), "{key} in {info}");
    }
    let admin = info["admin_token"].as_str().unwrap();
    assert!(admin.starts_with("p."), "Tinybird's admin token form: {admin}");
    let tinybird = info["tinybird_url"].as_str().unwrap();
    let auth0 = info["auth0_url"].as_str().unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();

    let jwt = info["sample_jwt"].as_str().unwrap();
    let (status, body) = get(&agent, &format!("{tinybird}/v0/pipes/top_pages.json"), Some(jwt));
    assert_eq!((status, body["rows"].as_u64()), (200, Some(3)), "{body}");
    let (status, _) = get(&agent, &format!("{tinybird}/v0/pipes/kpis.json?token={jwt}"), None);
    assert_eq!(status, 200);
    let (status, body) = get(&agent, &format!("{tinybird}/v0/pipes/other.json"), Some(jwt));
    assert_eq!(status, 403, "{body}");
    let (status, _) = get(&agent, &format!("{tinybird}/v0/pipes/top_pages.json"), Some(admin));
    assert_eq!(status, 200);

    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        info["m2m_client_id"].as_str().unwrap(),
        info["m2m_client_secret"].as_str().unwrap()
    );
    let mut response = agent
        .post(&format!("{auth0}/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .send(form.as_bytes())
        .unwrap();
    let token: Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
    let management = token["access_token"].as_str().unwrap();
    let user = info["user_id"].as_str().unwrap().replace('|', "%7C");
    let (status, body) = get(&agent, &format!("{auth0}/api/v2/users/{user}"), Some(management));
    assert_eq!(status, 200, "{body}");
    let (status, _) = get(&agent, &format!("{auth0}/.well-known/jwks.json"), None);
    assert_eq!(status, 200);
    let (_, discovery) = get(&agent, &format!("{auth0}/.well-known/openid-configuration"), None);
    assert_eq!(discovery["issuer"], format!("{auth0}/"), "the issuer is where clients reach the tenant");
}

#[test]
fn the_mocks_answer_like_servers_to_every_method_size_and_pace() {
    let mut child =
        Child(common::tbjwt().args(["mocks"]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap());
    let mut line = String::new();
    std::io::BufReader::new(child.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let info: Value = serde_json::from_str(&line).unwrap();
    let tinybird = info["tinybird_url"].as_str().unwrap().to_owned();
    let jwt = info["sample_jwt"].as_str().unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let url = format!("{tinybird}/v0/pipes/top_pages.json");
    let auth = format!("Bearer {jwt}");
    // A pipe endpoint is read with GET or POST; any other method gets Tinybird's error, not data (OPTIONS
    // is a browser's CORS preflight: 204, no data).
    let preflight = ureq::http::Request::builder().method("OPTIONS").uri(&url).body(()).unwrap();
    let response = agent.run(preflight).unwrap();
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(response.headers().get("access-control-allow-origin").unwrap(), "*");
    for method in ["PUT", "DELETE", "PATCH"] {
        let request =
            ureq::http::Request::builder().method(method).uri(&url).header("authorization", &auth).body(()).unwrap();
        let mut response = agent.run(request).unwrap();
        let body: Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
        assert_eq!(response.status().as_u16(), 405, "{method}: {body}");
        assert!(body["error"].as_str().unwrap().contains(method) && body.get("data").is_none(), "{body}");
    }
    let mut response = agent.post(&url).header("authorization", &auth).send(&b""[..]).unwrap();
    assert_eq!(response.status().as_u16(), 200, "{}", response.body_mut().read_to_string().unwrap());
    // A body over the limit is refused before it is read (the answer comes before any of it is sent).
    let address = tinybird.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let head = format!("POST /v0/pipes/top_pages.json HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n", 2 << 20);
    std::io::Write::write_all(&mut stream, head.as_bytes()).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let mut answer = [0u8; 12];
    std::io::Read::read_exact(&mut stream, &mut answer).unwrap();
    assert_eq!(&answer, b"HTTP/1.1 413");
    // A half-sent request is timed out and its connection closed.
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    std::io::Write::write_all(&mut stream, b"GET /v0/pipes/top_pages.json HTTP/1.1\r\nHost: x\r\n").unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    let started = std::time::Instant::now();
    let read = std::io::Read::read(&mut stream, &mut [0u8; 64]);
    assert!(matches!(read, Ok(0)) || read.is_err(), "{read:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(25), "closed after {:?}", started.elapsed());
}

#[test]
fn a_given_admin_token_is_never_printed() {
    let mut child = Child(
        common::tbjwt()
            .args(["mocks", "--admin-token", "p.my-very-own-secret-token"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    std::io::BufReader::new(child.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(!line.contains("my-very-own-secret-token"), "{line}");
}

#[test]
fn an_action_that_crashes_printing_the_admin_token_never_shows_it() {
    const SECRET: &str = "p.my-very-own-secret-token";
    let program = common::repo_root().join("fixtures/implementations/misbehaving/crashes_printing_the_secret.py");
    let action = format!("cmd:python3 {}", program.display());
    let mut child = Child(
        common::tbjwt()
            .args(["mocks", "--admin-token", SECRET, "--action", &action, "--callback-url", "http://127.0.0.1:5173/"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    std::io::BufReader::new(child.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let info: Value = serde_json::from_str(&line).unwrap();
    let auth0 = info["auth0_url"].as_str().unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into();
    let url = format!(
        "{auth0}/authorize?client_id=tbjwt-spa-client&redirect_uri=http%3A%2F%2F127.0.0.1%3A5173%2F&response_type=code\
         &state=s&code_challenge=JCVgc4gcOKYuuO3hgKBXNYtGwUbADeE8X_cFUxbeH8o&code_challenge_method=S256"
    );
    let response = agent.get(&url).call().unwrap();
    let location = response.headers().get("location").unwrap().to_str().unwrap().to_owned();
    // The browser learns that the login failed, not what the program printed.
    assert!(location.contains("error=server_error&error_description=the+Action+could+not+run&state=s"), "{location}");
    assert!(!location.contains("my-very-own-secret-token"), "{location}");
    // tbjwt reports the crash with the program's output, the admin token masked.
    let _ = child.0.kill();
    let _ = child.0.wait();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.0.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("the Action could not run at auth0|tbjwt-demo-user's login"), "{stderr}");
    assert!(stderr.contains("debug: signing with <TINYBIRD_ADMIN_TOKEN>"), "{stderr}");
    assert!(!stderr.contains("my-very-own-secret-token"), "{stderr}");
}

#[test]
fn observe_prints_the_whole_observation() {
    let out =
        common::run_tbjwt(&["observe", "reference", "fixtures/events/pipes_with_spaces.json", "--now", "1764000000"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let o: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(o["outcome"]["status"], "completed");
    assert_eq!(o["access"]["top_pages"], 200);
    assert_eq!(o["access"]["kpis"], 403, "' kpis' is not 'kpis'");
    assert_eq!(o["tinybird_jwt"]["signature_valid"], true);
}
