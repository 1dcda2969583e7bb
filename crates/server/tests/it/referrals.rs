//! Advertising sources and email_opt_out.

use bursar_rpc::{Args, ReplyValue, Struct, Value};

use crate::fixtures::customer;
use crate::support::{apps, member, SECRET};

fn source_args(extra: &[(&str, &str)], source: &[(&str, &str)]) -> Args {
    let mut args = Args::new();
    args.insert("secret", Value::string(SECRET));
    for (key, value) in extra {
        args.insert(*key, Value::string(*value));
    }
    let mut members = Struct::new();
    for (key, value) in source {
        members.insert(*key, Value::string(*value));
    }
    args.insert("source", Value::Struct(members));
    args
}

#[tokio::test]
async fn list_add_and_edit_advertising_sources() {
    for app in apps().await {
        let list = app.call("list_advertising_sources", &[]).await;
        let Some(ReplyValue::Array(sources)) = list.get("sources") else {
            panic!("{list:?}")
        };
        let ReplyValue::Struct(direct) = &sources[0] else {
            panic!()
        };
        assert_eq!(
            (member(direct, "refnum"), member(direct, "referral")),
            ("1", "Direct")
        );
        assert_eq!(member(direct, "agentnum"), "");

        let added = app
            .call_args(
                "add_advertising_source",
                source_args(
                    &[],
                    &[
                        ("referral", "API test referral"),
                        ("disabled", ""),
                        ("agentnum", ""),
                        ("title", "API test title"),
                    ],
                ),
            )
            .await;
        assert!(added.get("error").is_none(), "{}: {added:?}", app.name());
        assert_eq!(member(&added, "refnum"), "2");
        assert_eq!(member(&added, "title"), "API test title");

        let edited = app
            .call_args(
                "edit_advertising_source",
                source_args(&[("refnum", "2")], &[("referral", "Edit referral")]),
            )
            .await;
        assert_eq!(member(&edited, "referral"), "Edit referral");
        assert_eq!(
            member(&edited, "title"),
            "API test title",
            "members not sent are kept"
        );
    }
}

#[tokio::test]
async fn advertising_source_errors() {
    for app in apps().await {
        let cases: &[(&str, Args, &str)] = &[
            (
                "add_advertising_source",
                source_args(&[], &[("referral", "")]),
                "Illegal or empty (text) referral: ",
            ),
            (
                "add_advertising_source",
                source_args(&[], &[("referral", "x"), ("disabled", "maybe")]),
                "Illegal (enum) field disabled: maybe",
            ),
            (
                "add_advertising_source",
                source_args(&[], &[("referral", "x"), ("agentnum", "9")]),
                "Illegal agentnum: Can't find part_referral.agentnum 9 in agent.agentnum",
            ),
            (
                "edit_advertising_source",
                source_args(&[("refnum", "55")], &[("referral", "x")]),
                "Unknown refnum 55",
            ),
        ];
        for (method, args, expected) in cases {
            let reply = app.call_args(method, args.clone()).await;
            assert_eq!(reply.len(), 1, "{reply:?}");
            assert_eq!(member(&reply, "error"), *expected, "{}", app.name());
        }
        let list = app.call("list_advertising_sources", &[]).await;
        let Some(ReplyValue::Array(sources)) = list.get("sources") else {
            panic!()
        };
        assert_eq!(sources.len(), 1, "nothing was added");
    }
}

#[tokio::test]
async fn email_opt_out_removes_the_address_from_invoicing() {
    for app in apps().await {
        let custnum = customer(&app, "Tofu", "Beast").await.to_string();
        let reply = app.call("email_opt_out", &[("address", "nobody")]).await;
        assert_eq!(member(&reply, "error"), "No e-mail address specified");
        let kept = app
            .call(
                "email_opt_out",
                &[
                    ("address", "tofu@example.com"),
                    ("disable_invoice_dest", "0"),
                ],
            )
            .await;
        assert_eq!(member(&kept, "error"), "");
        let info = app.call("customer_info", &[("custnum", &custnum)]).await;
        assert_eq!(
            member(&info, "invoicing_list"),
            "tofu@example.com",
            "0 leaves the invoice flag alone"
        );
        let reply = app
            .call("email_opt_out", &[("address", "tofu@example.com")])
            .await;
        assert_eq!(reply.len(), 1);
        assert_eq!(member(&reply, "error"), "");
        let info = app.call("customer_info", &[("custnum", &custnum)]).await;
        assert_eq!(member(&info, "invoicing_list"), "");
    }
}
