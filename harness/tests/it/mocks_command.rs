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
