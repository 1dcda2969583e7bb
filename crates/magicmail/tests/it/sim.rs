//! The emulator on its own: strict authentication, `client_type` and
//! parameters, the Perl client's request shape, the `/_sim/` control API
//! and the state file.

use bursar_magicmail::sim::{Fault, FaultEffect, SimConfig, Snapshot};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::support::{sim, sim_with};

const AUTH: &str = "Basic YnVyc2FyOnMzY3JldA=="; // bursar:s3cret

async fn raw(sim: &bursar_magicmail::sim::SimHandle, request: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut reply = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stream.read_to_end(&mut reply),
    )
    .await
    .expect("the server closes the connection")
    .unwrap();
    String::from_utf8(reply).unwrap()
}

fn post(path: &str, auth: Option<&str>, content_type: &str, body: &str) -> String {
    let auth = auth
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    format!(
        "POST {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n{auth}Content-Type: {content_type}\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn get(path: &str, auth: Option<&str>) -> String {
    let auth = auth
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n{auth}\r\n")
}

const FORM: &str = "application/x-www-form-urlencoded";

#[tokio::test]
async fn requests_are_checked_strictly() {
    let sim = sim().await;
    let cases = [
        (
            get("/api/v2/account?client_type=FREESIDE", None),
            "401",
            "error.authentication_failed",
        ),
        (
            get(
                "/api/v2/account?client_type=FREESIDE",
                Some("Basic YnVyc2FyOndyb25n"),
            ),
            "401",
            "error.authentication_failed",
        ),
        (
            get("/api/v2/account", Some(AUTH)),
            "400",
            "error.invalid_client_type",
        ),
        (
            get("/api/v2/account?client_type=OTHER", Some(AUTH)),
            "400",
            "error.invalid_client_type",
        ),
        (
            post(
                "/api/v2/account/A1?client_type=FREESIDE",
                Some(AUTH),
                FORM,
                "x=1",
            ),
            "400",
            "error.invalid_parameter",
        ),
        (
            post(
                "/api/v2/account/A1",
                Some(AUTH),
                "text/plain",
                "client_type=FREESIDE",
            ),
            "400",
            "error.invalid_parameter",
        ),
        (
            post(
                "/api/v2/account/A1",
                Some(AUTH),
                FORM,
                "client_type=FREESIDE&colour=red",
            ),
            "400",
            "error.invalid_parameter",
        ),
        (
            get("/api/v2/user?client_type=FREESIDE", Some(AUTH)),
            "400",
            "error.missing_parameter",
        ),
        (
            post(
                "/api/v2/account/A1",
                Some(AUTH),
                FORM,
                "client_type=FREESIDE&action=zap",
            ),
            "400",
            "error.invalid_parameter",
        ),
        (
            get("/api/v2/mailbox/x?client_type=FREESIDE", Some(AUTH)),
            "404",
            "error.unknown_route",
        ),
        (
            get("/api/v1/account?client_type=FREESIDE", Some(AUTH)),
            "404",
            "error.unknown_route",
        ),
        (
            post(
                "/api/v2/user/ada",
                Some(AUTH),
                FORM,
                "client_type=FREESIDE&account=NOPE&password=x&password_type=plain",
            ),
            "400",
            "account.error.not_found",
        ),
    ];
    for (request, status, code) in cases {
        let reply = raw(&sim, &request).await;
        assert!(
            reply.starts_with(&format!("HTTP/1.0 {status}")),
            "{request}\n{reply}"
        );
        assert!(
            reply.contains(&format!("<code>{code}</code>")),
            "{request}\n{reply}"
        );
    }
    assert!(sim.state().accounts.is_empty(), "nothing was created");
    assert!(sim.log().iter().take(2).all(|e| !e.auth_ok));
}

#[tokio::test]
async fn the_perl_request_shape_is_accepted() {
    let sim = sim().await;
    // HTTP/1.0, a duplicate Host header, an extra CRLF after a GET.
    let request = format!(
        "GET /api/v2/account?client_type=FREESIDE HTTP/1.0\r\nAccept: */*\r\n\
         Host: 127.0.0.1\r\nHost: 127.0.0.1:443\r\nAuthorization: {AUTH}\r\n\r\n\r\n"
    );
    let reply = raw(&sim, &request).await;
    assert!(reply.starts_with("HTTP/1.0 200"), "{reply}");
    assert!(
        reply.to_ascii_lowercase().contains("content-length:"),
        "{reply}"
    );
    assert!(!reply.to_ascii_lowercase().contains("chunked"), "{reply}");
    assert!(
        reply.contains("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
        "{reply}"
    );
    assert!(reply.contains("text/xml; charset=utf-8"), "{reply}");
}

#[tokio::test]
async fn rules_hold_for_passwords_usernames_and_purges() {
    let sim = sim().await;
    let client = crate::support::client(&sim);
    use bursar_magicmail::{AccountFields, Password, PasswordType, UserFields};
    client
        .add_account("A1", &AccountFields::default())
        .await
        .unwrap();
    let with = |password: &str, kind| UserFields {
        password: Some((Password::new(password), kind)),
        ..UserFields::default()
    };
    let cases = [
        (
            "u1",
            with("{CRYPT}abJnggxhB/yWI", PasswordType::Encrypted),
            Some("user.error.invalid_password"),
        ),
        (
            "u2",
            with("$6$salt$hash", PasswordType::Encrypted),
            Some("user.error.invalid_password"),
        ),
        ("u3", with("abJnggxhB/yWI", PasswordType::Encrypted), None),
        (
            "u4",
            with(
                "$1$saltsalt$qjQ1zW3o7mvP5s3YJ0l8S.",
                PasswordType::Encrypted,
            ),
            None,
        ),
        (
            "bad name",
            with("x", PasswordType::Plain),
            Some("user.error.invalid_username"),
        ),
        ("u5", UserFields::default(), Some("error.missing_parameter")),
    ];
    for (username, fields, code) in cases {
        let result = client.add_user("A1", username, &fields).await;
        assert_eq!(
            result.as_ref().err().and_then(|e| e.api_code()),
            code,
            "{username}"
        );
    }
    // A deleted user keeps its name until purged (U1); a purge cascades (A4).
    client
        .set_user_status("u3", bursar_magicmail::Status::Deleted)
        .await
        .unwrap();
    let again = client
        .add_user("A1", "U3", &with("x", PasswordType::Plain))
        .await;
    assert_eq!(again.unwrap_err().api_code(), Some("user.error.exists"));
    client
        .set_account_status("A1", bursar_magicmail::Status::Suspended)
        .await
        .unwrap();
    let inactive = client
        .add_user("A1", "u9", &with("x", PasswordType::Plain))
        .await;
    assert_eq!(
        inactive.unwrap_err().api_code(),
        Some("account.error.not_active")
    );
    client.purge_account("A1", true).await.unwrap();
    assert_eq!(sim.state(), Snapshot::default());
}

#[tokio::test]
async fn error_status_and_codes_are_configurable() {
    let config = SimConfig {
        error_status: 500,
        user_not_found_code: "user.error.not_found".into(),
        purge_body: bursar_magicmail::sim::PurgeBody::Xml,
        ..SimConfig::default()
    };
    let sim = sim_with(config).await;
    let client = crate::support::client(&sim);
    assert_eq!(
        client.get_user("ghost").await.unwrap(),
        None,
        "B-8: both codes mean absent"
    );
    let reply = raw(
        &sim,
        &get("/api/v2/user/ghost?client_type=FREESIDE", Some(AUTH)),
    )
    .await;
    assert!(reply.starts_with("HTTP/1.0 500"), "{reply}");
    client
        .add_account("A1", &bursar_magicmail::AccountFields::default())
        .await
        .unwrap();
    client.purge_account("A1", true).await.unwrap();
}

#[tokio::test]
async fn faults_fire_on_the_planned_calls_only() {
    let sim = sim().await;
    let client = crate::support::client(&sim);
    let id = sim
        .add_fault(Fault::on("get_account", FaultEffect::api_error("boom", "second call")).nth(2));
    assert!(client.get_account("A1").await.is_ok());
    assert_eq!(
        client.get_account("A1").await.unwrap_err().to_string(),
        "boom: second call"
    );
    assert!(client.get_account("A1").await.is_ok());
    let log = sim.log();
    assert_eq!(
        log.iter().map(|e| e.fault).collect::<Vec<_>>(),
        [None, Some(id), None]
    );
    sim.add_fault(
        Fault::on("get_account", FaultEffect::api_error("boom", "only A2"))
            .id("a2")
            .first(1),
    );
    assert!(client.get_account("A1").await.is_ok());
    assert!(client.get_account("A2").await.is_err());
    assert!(client.get_account("A2").await.is_ok());
}

async fn json<T: serde::de::DeserializeOwned>(
    response: Result<reqwest::Response, reqwest::Error>,
) -> T {
    let text = response.unwrap().text().await.unwrap();
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn the_control_api_drives_the_emulator_over_http() {
    let sim = sim_with(SimConfig {
        control_api: true,
        ..SimConfig::default()
    })
    .await;
    let http = reqwest::Client::new();
    let base = sim.base_url();
    let state = Snapshot::default().with_account("FREESIDE7", "suspended");
    let put = http
        .put(format!("{base}/_sim/state"))
        .body(serde_json::to_string(&state).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    assert_eq!(sim.state(), state);
    let fault = serde_json::json!({
        "match": {"op": "get_account"},
        "effect": {"kind": "api_error", "code": "x", "message": "y", "status": 500}
    });
    let added: serde_json::Value = json(
        http.post(format!("{base}/_sim/faults"))
            .body(fault.to_string())
            .send()
            .await,
    )
    .await;
    assert_eq!(added["id"], 1);
    let client = crate::support::client(&sim);
    assert_eq!(
        client
            .get_account("FREESIDE7")
            .await
            .unwrap_err()
            .to_string(),
        "x: y"
    );
    let log: serde_json::Value = json(http.get(format!("{base}/_sim/log")).send().await).await;
    assert_eq!(log[0]["op"], "get_account");
    assert_eq!(log[0]["fault"], 1);
    http.delete(format!("{base}/_sim/faults"))
        .send()
        .await
        .unwrap();
    assert!(client.get_account("FREESIDE7").await.unwrap().is_some());
    let got: Snapshot = json(http.get(format!("{base}/_sim/state")).send().await).await;
    assert_eq!(got, state);
    http.post(format!("{base}/_sim/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(sim.state(), Snapshot::default());
    assert!(sim.log().is_empty());
}

#[tokio::test]
async fn the_control_api_is_off_unless_asked() {
    let sim = sim().await;
    let reply = raw(&sim, "GET /_sim/state HTTP/1.0\r\n\r\n").await;
    assert!(reply.starts_with("HTTP/1.0 404"), "{reply}");
}

#[tokio::test]
async fn the_state_file_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = SimConfig {
        state_file: Some(dir.path().join("state.json")),
        ..SimConfig::default()
    };
    let first = sim_with(config.clone()).await;
    crate::support::client(&first)
        .add_account("FREESIDE9", &bursar_magicmail::AccountFields::default())
        .await
        .unwrap();
    let saved = first.state();
    drop(first);
    let second = sim_with(config).await;
    assert_eq!(second.state(), saved);
    assert!(second.state().account("freeside9").is_some());
}

#[tokio::test]
async fn passwords_are_masked_in_the_request_log() {
    let sim = sim().await;
    let client = crate::support::client(&sim);
    use bursar_magicmail::{AccountFields, Password, PasswordType, UserFields};
    client
        .add_account("A1", &AccountFields::default())
        .await
        .unwrap();
    let fields = UserFields {
        password: Some((Password::new("hunter2"), PasswordType::Plain)),
        ..UserFields::default()
    };
    client.add_user("A1", "ada", &fields).await.unwrap();
    let entry = sim.log().pop().unwrap();
    assert_eq!(entry.params["password"], "***");
    assert_eq!(entry.params["client_type"], "FREESIDE");
    assert!(entry.auth_ok);
    assert_eq!(entry.status, Some(200));
}
