//! The client against the emulator, one test per resource, plus how each
//! kind of failure comes back as an `Error` variant.

use bursar_magicmail::sim::{Fault, FaultEffect};
use bursar_magicmail::{AccountFields, Error, Password, PasswordType, Status, UserFields};

use crate::support::{client, sim};

fn plain(password: &str) -> Option<(Password, PasswordType)> {
    Some((Password::new(password), PasswordType::Plain))
}

#[tokio::test]
async fn account_calls_round_trip() {
    let sim = sim().await;
    let client = client(&sim);
    assert_eq!(client.get_account("FREESIDE1").await.unwrap(), None);
    let fields = AccountFields {
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
        ..AccountFields::default()
    };
    let created = client.add_account("FREESIDE1", &fields).await.unwrap();
    assert_eq!(created.id, "FREESIDE1");
    assert_eq!(created.status(), Some(Status::Active));
    assert_eq!(
        client
            .add_account("freeside1", &fields)
            .await
            .unwrap_err()
            .api_code(),
        Some("account.error.exists")
    );
    let read = client.get_account("freeside1").await.unwrap().unwrap();
    assert_eq!(
        read.id, "FREESIDE1",
        "ids keep the case they were created with"
    );
    assert_eq!(read.first_name.as_deref(), Some("Ada"));

    let update = AccountFields {
        phone: Some("555-0100".into()),
        first_name: Some(String::new()),
        ..AccountFields::default()
    };
    let updated = client
        .update_account("FREESIDE1", &update)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.phone.as_deref(), Some("555-0100"));
    assert_eq!(updated.first_name, None, "an empty value clears the field");

    client
        .add_account("FREESIDE2", &AccountFields::default())
        .await
        .unwrap();
    let all = client.list_accounts().await.unwrap();
    assert_eq!(all.keys().collect::<Vec<_>>(), ["FREESIDE1", "FREESIDE2"]);

    let err = client.purge_account("FREESIDE1", false).await.unwrap_err();
    assert_eq!(err.api_code(), Some("account.error.not_deleted"));
    client
        .set_account_status("FREESIDE1", Status::Deleted)
        .await
        .unwrap();
    assert_eq!(
        client
            .get_account("FREESIDE1")
            .await
            .unwrap()
            .unwrap()
            .status(),
        Some(Status::Deleted)
    );
    client.purge_account("FREESIDE1", false).await.unwrap();
    client.purge_account("FREESIDE2", true).await.unwrap();
    assert!(client.list_accounts().await.unwrap().is_empty());
}

#[tokio::test]
async fn user_calls_follow_the_master_rules() {
    let sim = sim().await;
    let client = client(&sim);
    client
        .add_account("FREESIDE1", &AccountFields::default())
        .await
        .unwrap();
    let fields = UserFields {
        first_name: Some("Ada".into()),
        password: plain("pw"),
        ..UserFields::default()
    };
    let ada = client.add_user("FREESIDE1", "ada", &fields).await.unwrap();
    assert_eq!(ada.id, "ADA");
    assert!(ada.is_master());
    let bob = client.add_user("FREESIDE1", "bob", &fields).await.unwrap();
    assert_eq!(bob.master_user.as_deref(), Some("N"));
    assert_eq!(
        client
            .get_packages("bob")
            .await
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["ADDITIONAL NOCOST MAILBOX"]
    );
    let err = client
        .add_user("FREESIDE1", "ADA", &fields)
        .await
        .unwrap_err();
    assert_eq!(err.api_code(), Some("user.error.exists"));

    let users = client.list_users("FREESIDE1").await.unwrap();
    assert_eq!(users.keys().collect::<Vec<_>>(), ["ADA", "BOB"]);
    assert!(users["ADA"].is_master() && !users["BOB"].is_master());

    let update = UserFields {
        last_name: Some("Lovelace".into()),
        password: Some((Password::new("abJnggxhB/yWI"), PasswordType::Encrypted)),
        ..UserFields::default()
    };
    let updated = client
        .update_user("FREESIDE1", "ada", &update)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.last_name.as_deref(), Some("Lovelace"));
    assert_eq!(sim.state().user("ada").unwrap().password_type, "encrypted");
    let err = client
        .update_user("FREESIDE2", "ada", &update)
        .await
        .unwrap_err();
    assert_eq!(err.api_code(), Some("user.error.account_mismatch"));

    client.make_master_user("bob").await.unwrap();
    let users = client.list_users("FREESIDE1").await.unwrap();
    assert!(
        users["BOB"].is_master() && !users["ADA"].is_master(),
        "the flag moves"
    );

    client
        .set_user_status("ada", Status::Suspended)
        .await
        .unwrap();
    assert_eq!(
        client.get_user("ada").await.unwrap().unwrap().status(),
        Some(Status::Suspended)
    );
    client
        .set_user_status("ada", Status::Deleted)
        .await
        .unwrap();
    let users = client.list_users("FREESIDE1").await.unwrap();
    assert_eq!(
        users.keys().collect::<Vec<_>>(),
        ["BOB"],
        "deleted users are not listed"
    );
    let deleted = client.get_user("ada").await.unwrap().unwrap();
    assert_eq!(deleted.status(), Some(Status::Deleted));
    assert!(deleted.belongs_to("freeside1"));

    assert_eq!(
        client
            .purge_user("bob", false)
            .await
            .unwrap_err()
            .api_code(),
        Some("user.error.not_deleted")
    );
    client.purge_user("ada", false).await.unwrap();
    client.purge_user("bob", true).await.unwrap();
    assert_eq!(client.get_user("ada").await.unwrap(), None);
    assert_eq!(
        client.list_users("NOPE").await.unwrap_err().api_code(),
        Some("account.error.not_found")
    );
}

#[tokio::test]
async fn package_calls() {
    let sim = sim().await;
    let client = client(&sim);
    client
        .add_account("A1", &AccountFields::default())
        .await
        .unwrap();
    let fields = UserFields {
        password: plain("pw"),
        ..UserFields::default()
    };
    client.add_user("A1", "ada", &fields).await.unwrap();
    assert!(client.get_packages("ada").await.unwrap().is_empty());
    let after = client.assign_package("ada", "EMAIL").await.unwrap();
    assert_eq!(after.keys().collect::<Vec<_>>(), ["EMAIL"]);
    let after = client.assign_package("ADA", "PREMIUM").await.unwrap();
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        ["EMAIL", "PREMIUM"],
        "the full list"
    );
    assert_eq!(after["EMAIL"].description.as_deref(), Some("EMAIL package"));
    assert_eq!(
        client
            .assign_package("ada", "GOLD")
            .await
            .unwrap_err()
            .api_code(),
        Some("package.error.not_found")
    );
    client.remove_package("ada", "EMAIL").await.unwrap();
    assert_eq!(
        client
            .remove_package("ada", "EMAIL")
            .await
            .unwrap_err()
            .api_code(),
        Some("package.error.not_assigned")
    );
    assert_eq!(
        client.get_packages("nobody").await.unwrap_err().api_code(),
        Some("account.error.not_found")
    );
}

#[tokio::test]
async fn email_address_calls() {
    let sim = sim().await;
    let client = client(&sim);
    client
        .add_account("A1", &AccountFields::default())
        .await
        .unwrap();
    let fields = UserFields {
        password: plain("pw"),
        ..UserFields::default()
    };
    client.add_user("A1", "ada", &fields).await.unwrap();
    client
        .add_email_address("ada", "ada@lakeside.example")
        .await
        .unwrap();
    client
        .add_email_address("ada", "a.l+x@lakeside.example")
        .await
        .unwrap();
    let err = client
        .add_email_address("ada", "ADA@Lakeside.Example")
        .await
        .unwrap_err();
    assert_eq!(err.api_code(), Some("emailaddress.error.exists"));
    let err = client
        .add_email_address("ada", "ada@elsewhere.example")
        .await
        .unwrap_err();
    assert!(err.is_permission_denied());

    let got = client
        .get_email_address("a.l+x@lakeside.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.user.as_deref(), Some("ADA"));
    assert_eq!(
        client
            .get_email_address("zz@lakeside.example")
            .await
            .unwrap(),
        None
    );
    let all = client.list_email_addresses("ada").await.unwrap();
    assert_eq!(
        all.keys().collect::<Vec<_>>(),
        ["a.l+x@lakeside.example", "ada@lakeside.example"]
    );
    client
        .remove_email_address("a.l+x@lakeside.example")
        .await
        .unwrap();
    assert_eq!(client.list_email_addresses("ada").await.unwrap().len(), 1);
    // Purging the user takes its addresses along (E3).
    client.purge_user("ada", true).await.unwrap();
    assert!(sim.state().addresses.is_empty());
}

#[tokio::test]
async fn domain_calls() {
    let sim = sim().await;
    let client = client(&sim);
    client
        .add_account("A1", &AccountFields::default())
        .await
        .unwrap();
    let system = client
        .get_domain("lakeside.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(system.kind.as_deref(), Some("system"));
    assert_eq!(client.get_domain("hosted.example").await.unwrap(), None);
    let added = client
        .add_domain("hosted.example", "A1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(added.account.as_deref(), Some("A1"));
    assert_eq!(
        client
            .add_domain("lakeside.example", "A1")
            .await
            .unwrap_err()
            .api_code(),
        Some("domain.error.exists")
    );
    let listed = client.list_domains("A1").await.unwrap();
    assert_eq!(listed.keys().collect::<Vec<_>>(), ["hosted.example"]);
    client.remove_domain("hosted.example").await.unwrap();
    assert!(client
        .remove_domain("hosted.example")
        .await
        .unwrap_err()
        .is_permission_denied());
    assert!(client.list_domains("A1").await.unwrap().is_empty());
}

#[tokio::test]
async fn odd_ids_are_escaped_and_decoded() {
    let sim = sim().await;
    let client = client(&sim);
    for id in ["A B+C", "Ünïcode", "x/y", "a&b=c", "%41"] {
        client
            .add_account(id, &AccountFields::default())
            .await
            .unwrap();
        assert_eq!(
            client.get_account(id).await.unwrap().unwrap().id,
            id,
            "{id}"
        );
    }
    let logged: Vec<_> = sim.log().into_iter().filter_map(|e| e.id).collect();
    assert!(logged.contains(&"x/y".to_string()));
}

/// Whether an error is the expected variant.
type IsVariant = fn(&Error) -> bool;

#[tokio::test]
async fn every_failure_maps_to_its_variant() {
    let sim = sim().await;
    let client = client(&sim);
    let cases: Vec<(FaultEffect, IsVariant, &str)> = vec![
        (
            FaultEffect::ApiError {
                code: "x.y".into(),
                message: "said no".into(),
                status: 200,
            },
            |e| matches!(e, Error::Api { .. }),
            "x.y: said no",
        ),
        (
            FaultEffect::ApiError {
                code: "x.y".into(),
                message: "said no".into(),
                status: 500,
            },
            |e| matches!(e, Error::Api { .. }),
            "x.y: said no",
        ),
        (
            FaultEffect::Status {
                status: 502,
                body: "<html>bad gateway</html>".into(),
            },
            |e| matches!(e, Error::Status { code: 502, .. }),
            "Bad Response: 502 Bad Gateway",
        ),
        (
            FaultEffect::Status {
                status: 404,
                body: String::new(),
            },
            |e| matches!(e, Error::Status { code: 404, .. }),
            "Bad Response: 404 Not Found",
        ),
        (
            FaultEffect::Status {
                status: 400,
                body: String::new(),
            },
            |e| matches!(e, Error::Protocol(_)),
            "Unknown error, no result found",
        ),
        (
            FaultEffect::Status {
                status: 200,
                body: String::new(),
            },
            |e| matches!(e, Error::Protocol(_)),
            "Unknown error, no account in the response",
        ),
        (
            FaultEffect::Body {
                status: 200,
                body: "<response><account><id>X".into(),
                content_type: "text/xml".into(),
            },
            |e| matches!(e, Error::Malformed(_)),
            "",
        ),
        (
            FaultEffect::Body {
                status: 200,
                body: "Internal error, please retry".into(),
                content_type: "text/plain".into(),
            },
            |e| matches!(e, Error::Malformed(_)),
            "",
        ),
        (
            FaultEffect::Hang,
            |e| matches!(e, Error::Timeout),
            "Bad Response: timeout",
        ),
        (FaultEffect::Close, |e| matches!(e, Error::Transport(_)), ""),
        (FaultEffect::Reset, |e| matches!(e, Error::Transport(_)), ""),
        (
            FaultEffect::DropElement { name: "id".into() },
            |e| matches!(e, Error::Protocol(_)),
            "account without id",
        ),
    ];
    client
        .add_account("A1", &AccountFields::default())
        .await
        .unwrap();
    for (effect, is_variant, text) in cases {
        sim.clear_faults();
        sim.add_fault(Fault::on("get_account", effect.clone()));
        let err = client.get_account("A1").await.unwrap_err();
        assert!(is_variant(&err), "{effect:?} gave {err:?}");
        if !text.is_empty() {
            assert_eq!(err.to_string(), text, "{effect:?}");
        }
        assert_eq!(
            err.outcome_unknown(),
            !matches!(err, Error::Api { .. } | Error::Status { code: 404, .. }),
            "{effect:?}"
        );
    }
}

#[tokio::test]
async fn chunked_and_http10_replies_are_read() {
    let sim = sim().await;
    let client = client(&sim);
    client
        .add_account("A1", &AccountFields::default())
        .await
        .unwrap();
    for effect in [
        FaultEffect::Chunked,
        FaultEffect::Http10,
        FaultEffect::Delay { ms: 50 },
    ] {
        sim.clear_faults();
        sim.add_fault(Fault::on("get_account", effect.clone()));
        let account = client.get_account("A1").await.unwrap();
        assert_eq!(account.unwrap().id, "A1", "{effect:?}");
    }
}

#[tokio::test]
async fn wrong_credentials_are_a_401_status() {
    let sim = sim().await;
    let mut options = crate::support::options(&sim, &[("client_password", "wrong")]);
    let bad = bursar_magicmail::MagicMailExport::from_options(&options).unwrap();
    let err = bad.client().list_accounts().await.unwrap_err();
    assert_eq!(err.to_string(), "Bad Response: 401 Unauthorized");
    options.insert("client_password".into(), "s3cret".into());
    options.insert("port".into(), "1".into());
    let unreachable = bursar_magicmail::MagicMailExport::from_options(&options).unwrap();
    let err = unreachable.client().list_accounts().await.unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(err.to_string().starts_with("Bad Response: "), "{err}");
}

#[tokio::test]
async fn redirects_to_another_origin_are_not_followed() {
    use axum::http::{header, StatusCode};
    use axum::response::IntoResponse;
    let target = sim().await;
    let location = format!("{}/api/v2/account", target.base_url());
    let app = axum::Router::new().fallback(move || {
        let location = location.clone();
        async move {
            (
                StatusCode::TEMPORARY_REDIRECT,
                [(header::LOCATION, location)],
            )
                .into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let mut options = crate::support::options(&target, &[]);
    options.insert("port".into(), port.to_string());
    options.insert("host".into(), "localhost".into());
    let export = bursar_magicmail::MagicMailExport::from_options(&options).unwrap();
    let err = export.client().list_accounts().await.unwrap_err();
    assert_eq!(err.to_string(), "Bad Response: 307 Temporary Redirect");
    assert!(target.log().is_empty(), "the other host saw nothing");
}
