//! new_customer (backend spec 8.8, 5.1–5.5; checklist 22–24): Freeside's
//! example client, every refusal with its exact string and no trace left,
//! location sharing, typed zips, payment methods, invoicing lists. Also the
//! helpers the other customer test files share.

/// Argument pairs of one table row.
type Pairs = &'static [(&'static str, &'static str)];

use std::sync::Arc;

use bursar_rpc::{Args, Reply, ReplyValue, ScalarType, Value};
use bursar_server::backoffice::BackofficeSettings;
use bursar_store::customer::{customer, customer_payinfo};

use crate::support::{apps, member, TestApp, SECRET};

/// A value that removes the key from [`TOFU`] instead of setting it.
pub const ABSENT: &str = "\u{0}absent";

/// The card number of Freeside's example client.
pub const CARD: &str = "4111111111111111";

/// Freeside's example client's arguments (spec 8.8), less its
/// `referral_custnum=1`, which needs customer 1 to exist.
pub const TOFU: &[(&str, &str)] = &[
    ("agentnum", "1"),
    ("refnum", "1"),
    ("agent_custid", ""),
    ("first", "Tofu"),
    ("last", "Beast"),
    ("company", "Bank of Soymerica"),
    ("address1", "1234 Soybean Ln."),
    ("city", "Tofutown"),
    ("county", ""),
    ("state", "CA"),
    ("zip", "54321"),
    ("country", "US"),
    ("daytime", "555 444 3211"),
    ("night", ""),
    ("fax", ""),
    ("mobile", "123 466 3332"),
    ("invoicing_list", "tofu@example.com"),
    ("postal_invoicing", "1"),
    ("payby", "CARD"),
    ("payinfo", CARD),
    ("paydate", "11/2019"),
    ("paycvv", "123"),
    ("payname", "Thomas Beast"),
];

/// `base` with `changes` applied: a key is replaced or added, or removed
/// when its value is [`ABSENT`].
pub fn with<'a>(
    base: &[(&'a str, &'a str)],
    changes: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut pairs: Vec<(&str, &str)> = base
        .iter()
        .filter(|(key, _)| !changes.iter().any(|(changed, _)| changed == key))
        .copied()
        .collect();
    pairs.extend(
        changes
            .iter()
            .filter(|(_, value)| *value != ABSENT)
            .copied(),
    );
    pairs
}

/// Calls `method` with string `pairs` plus `typed` scalars of other wire
/// types (a zip sent as `<int>`).
pub async fn call_typed(
    app: &TestApp,
    method: &str,
    pairs: &[(&str, &str)],
    typed: &[(&str, ScalarType, &str)],
) -> Reply {
    let mut args = Args::new();
    args.insert("secret", Value::string(SECRET));
    for (key, value) in pairs {
        args.insert(*key, Value::string(*value));
    }
    for (key, ty, value) in typed {
        args.insert(*key, Value::scalar(*ty, *value));
    }
    app.call_args(method, args).await
}

/// Creates a customer from [`TOFU`] with `changes`; returns its custnum.
pub async fn create(app: &TestApp, changes: &[(&str, &str)]) -> i64 {
    let reply = app.call("new_customer", &with(TOFU, changes)).await;
    assert_eq!(member(&reply, "error"), "", "{}: {reply:?}", app.name());
    assert_no_card_number(&reply);
    member(&reply, "custnum").parse().expect("custnum")
}

/// `customer_info` of `custnum`.
pub async fn info(app: &TestApp, custnum: i64) -> Reply {
    let reply = app
        .call("customer_info", &[("custnum", &custnum.to_string())])
        .await;
    assert_no_card_number(&reply);
    reply
}

/// `location_info` of `custnum`: the locations as replies.
pub async fn locations(app: &TestApp, custnum: i64) -> Vec<Reply> {
    let reply = app
        .call("location_info", &[("custnum", &custnum.to_string())])
        .await;
    assert_eq!(member(&reply, "error"), "");
    match reply.get("locations") {
        Some(ReplyValue::Array(items)) => items
            .iter()
            .map(|item| match item {
                ReplyValue::Struct(location) => location.clone(),
                other => panic!("location {other:?}"),
            })
            .collect(),
        other => panic!("locations: {other:?}"),
    }
}

/// Panics when any string in `reply`, however deep, holds a card number.
pub fn assert_no_card_number(reply: &Reply) {
    fn walk(value: &ReplyValue) {
        match value {
            ReplyValue::String(text) => {
                let digits: String = text.chars().filter(char::is_ascii_digit).collect();
                assert!(!digits.contains(CARD), "a card number in a reply: {text}");
            }
            ReplyValue::Struct(inner) => inner.iter().for_each(|(_, v)| walk(v)),
            ReplyValue::Array(items) => items.iter().for_each(walk),
            ReplyValue::Base64(bytes) => {
                walk(&ReplyValue::String(
                    String::from_utf8_lossy(bytes).into_owned(),
                ));
            }
        }
    }
    reply.iter().for_each(|(_, value)| walk(value));
}

/// Everything the customer methods write, as counts: customers, locations,
/// invoicing e-mails, packages.
pub async fn footprint(app: &TestApp) -> (usize, usize, usize, usize) {
    let customers = app.ctx.store.list_customers(0, 100_000).await.unwrap();
    let mut counts = (customers.len(), 0, 0, 0);
    for summary in customers {
        let details = app
            .ctx
            .store
            .customer_details(summary.customer.custnum)
            .await
            .unwrap();
        counts.1 += details.locations.len();
        counts.2 += details.invoice_emails.len();
        counts.3 += details.packages.len();
    }
    counts
}

/// Calls `new_customer` with [`TOFU`] and `changes`: `Ok(())` expects a
/// custnum, `Err(message)` exactly `{error: message}` and nothing written.
async fn check(app: &TestApp, changes: &[(&str, &str)], expected: Result<(), &str>) {
    let before = footprint(app).await;
    let reply = app.call("new_customer", &with(TOFU, changes)).await;
    assert_no_card_number(&reply);
    match expected {
        Ok(()) => {
            assert_eq!(member(&reply, "error"), "", "{}: {changes:?}", app.name());
            assert!(member(&reply, "custnum").parse::<i64>().is_ok());
            assert_eq!(reply.len(), 2);
        }
        Err(message) => {
            assert_eq!(
                member(&reply, "error"),
                message,
                "{}: {changes:?}",
                app.name()
            );
            assert_eq!(reply.len(), 1, "{reply:?}");
            assert_eq!(footprint(app).await, before, "{changes:?} left a trace");
        }
    }
}

#[tokio::test]
async fn freeside_example_client_creates_a_prospect_with_the_expired_card_stored_masked() {
    for app in apps().await {
        let first = create(&app, &[("invoicing_list", "first@example.com")]).await;
        let reply = app
            .call(
                "new_customer",
                &with(TOFU, &[("referral_custnum", &first.to_string())]),
            )
            .await;
        assert_no_card_number(&reply);
        assert_eq!(member(&reply, "error"), "", "{}", app.name());
        let custnum: i64 = member(&reply, "custnum").parse().unwrap();

        let info = info(&app, custnum).await;
        assert_eq!(info.len(), 35);
        let usernum = app.ctx.store.api_usernum().await.unwrap().to_string();
        let custnum_text = custnum.to_string();
        let referral = first.to_string();
        let expected = [
            ("error", ""),
            ("display_custnum", custnum_text.as_str()),
            ("name", "Tofu Beast"),
            ("balance", "0.00"),
            ("status", "prospect"),
            ("statuscolor", "FF00F5"),
            ("first", "Tofu"),
            ("last", "Beast"),
            ("company", "Bank of Soymerica"),
            ("daytime", "555-444-3211"),
            ("night", ""),
            ("fax", ""),
            ("mobile", "123-466-3332"),
            ("agentnum", "1"),
            ("salesnum", ""),
            ("refnum", "1"),
            ("classnum", ""),
            ("usernum", usernum.as_str()),
            ("referral_custnum", referral.as_str()),
            ("address1", "1234 Soybean Ln."),
            ("address2", ""),
            ("city", "Tofutown"),
            ("county", ""),
            ("state", "CA"),
            ("zip", "54321"),
            ("country", "US"),
            ("ship_address1", "1234 Soybean Ln."),
            ("ship_address2", ""),
            ("ship_city", "Tofutown"),
            ("ship_county", ""),
            ("ship_state", "CA"),
            ("ship_zip", "54321"),
            ("ship_country", "US"),
            ("invoicing_list", "tofu@example.com"),
            ("postal_invoicing", "1"),
        ];
        let got: Vec<(&str, &str)> = info
            .iter()
            .map(|(name, _)| (name, member(&info, name)))
            .collect();
        assert_eq!(got, expected, "{}", app.name());

        let mut tx = app.ctx.store.read().await.unwrap();
        let stored = customer(&mut tx, custnum).await.unwrap();
        assert_eq!(
            (
                stored.payby.as_str(),
                stored.paymask.as_str(),
                stored.paycardtype.as_str(),
                stored.paydate.as_str(),
                stored.payname.as_str()
            ),
            (
                "CARD",
                "411111xxxxxx1111",
                "VISA card",
                "2019-11-01",
                "Thomas Beast"
            )
        );
        assert!(stored.signupdate > 1_700_000_000);
        assert_eq!(
            customer_payinfo(&mut tx, &app.ctx.store, custnum)
                .await
                .unwrap(),
            CARD
        );
        assert_eq!(locations(&app, custnum).await.len(), 1);
    }
}

#[tokio::test]
async fn bad_input_is_refused_with_freeside_strings_and_changes_nothing() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("address1", ABSENT)],
            "Illegal or empty (text) address1:  (in billing location)",
        ),
        (
            &[("city", "")],
            "Illegal or empty (text) city:  (in billing location)",
        ),
        (
            &[("country", "")],
            "Illegal (country) country:  (in billing location)",
        ),
        (
            &[("zip", "5432")],
            "Illegal (zip) zip for country US: 5432 (in billing location)",
        ),
        (
            &[("county", "Nowhere")],
            "Unknown state/county/country: CA/Nowhere/US (in billing location)",
        ),
        (
            &[("state", "ZZ")],
            "Unknown state/county/country: ZZ//US (in billing location)",
        ),
        (
            &[("latitude", "north")],
            "Invalid (coordinate) latitude: north (in billing location)",
        ),
        (
            &[
                ("ship_address1", "9 Other St"),
                ("ship_city", ""),
                ("ship_country", "US"),
            ],
            "Illegal or empty (text) city:  (in service location)",
        ),
        (&[("last", ABSENT)], "Illegal (name) last: "),
        (&[("first", "Tofu$")], "Illegal (name) first: Tofu$"),
        (
            &[("company", "a{b}")],
            "Illegal or empty (text) company: a{b}",
        ),
        (
            &[("agentnum", ABSENT)],
            "Illegal or empty (numeric) agentnum: ",
        ),
        (&[("agentnum", "99")], "Unknown agent"),
        (
            &[("agent_custid", "a*b")],
            "Illegal or empty (text) agent_custid: a*b",
        ),
        (
            &[("refnum", "")],
            "Illegal or empty (numeric) refnum: Please select an advertising source.",
        ),
        (
            &[("refnum", "abc")],
            "Illegal or empty (numeric) refnum: abcPlease select an advertising source.",
        ),
        (&[("refnum", "77")], "Unknown refnum"),
        (
            &[("salesnum", "5")],
            "Can't find cust_main.salesnum 5 in sales.salesnum",
        ),
        (
            &[("referral_custnum", "x")],
            "Illegal (numeric) referral_custnum: x",
        ),
        (
            &[("referral_custnum", "999999")],
            "Unknown referring custnum: 999999",
        ),
        (&[("daytime", "12")], "Illegal (phone) daytime: 12"),
        (&[("payby", "ZZZZ")], "Illegal payby: ZZZZ"),
        (
            &[("payinfo", "4111111111111112")],
            "Invalid credit card number",
        ),
        (&[("paydate", "")], "Expiration date required"),
        (
            &[("paydate", "13/2019")],
            "Illegal expiration date: 13/2019",
        ),
        (&[("paycvv", "12")], "CVV2 (CVC2/CID) is three digits."),
        (
            &[("payby", "CHEK"), ("payinfo", "12")],
            "invalid echeck account@routing",
        ),
        (
            &[("payby", "PREPAY"), ("payinfo", "ABC-123")],
            "Unknown prepayment identifier",
        ),
        (
            &[("payby", "PREPAY"), ("payinfo", "--")],
            "Illegal prepayment identifier: --",
        ),
        (&[("payname", "Tofu $")], "Illegal (name) payname: Tofu $"),
        (&[("payip", "1.2.3")], "Illegal (IP address) payip: 1.2.3"),
        (
            &[("invoicing_list", "tofu@example.com, not-an-email")],
            "Illegal email invoice address: not-an-email",
        ),
        // The first failing check wins, in Freeside's order.
        (
            &[("address1", ""), ("last", "")],
            "Illegal or empty (text) address1:  (in billing location)",
        ),
        (&[("last", ""), ("agentnum", "99")], "Illegal (name) last: "),
        (&[("agentnum", "99"), ("daytime", "12")], "Unknown agent"),
        (
            &[("daytime", "12"), ("payby", "ZZZZ")],
            "Illegal (phone) daytime: 12",
        ),
        (
            &[("payby", "ZZZZ"), ("invoicing_list", "bad")],
            "Illegal payby: ZZZZ",
        ),
    ];
    for app in apps().await {
        create(&app, &[]).await;
        for (changes, message) in cases {
            check(&app, changes, Err(message)).await;
        }
    }
}

#[tokio::test]
async fn agent_custid_is_unique_per_agent() {
    for app in apps().await {
        create(&app, &[("agent_custid", "A-1")]).await;
        check(
            &app,
            &[("agent_custid", "A-1")],
            Err("Agent customer ID already in use"),
        )
        .await;
        check(&app, &[("agent_custid", "A-2")], Ok(())).await;
        check(&app, &[("agent_custid", "")], Ok(())).await;
        check(&app, &[("agent_custid", "")], Ok(())).await;
    }
}

#[tokio::test]
async fn valid_variations_are_accepted() {
    let cases: &[&[(&str, &str)]] = &[
        &[
            ("payby", ABSENT),
            ("payinfo", ABSENT),
            ("paydate", ABSENT),
            ("paycvv", ABSENT),
        ],
        &[("payby", ""), ("payinfo", ""), ("paydate", "")],
        &[("payby", "BILL"), ("payinfo", "PO 77"), ("paydate", "")],
        &[
            ("payby", "CHEK"),
            ("payinfo", "12345689@123456789"),
            ("payname", ""),
        ],
        &[("payby", "COMP"), ("payinfo", "")],
        &[("payby", "LECB"), ("payinfo", "1 555 444 3211")],
        &[("payby", "DCRD"), ("paycvv", "")],
        &[("refnum", ABSENT)],
        &[("invoicing_list", ""), ("postal_invoicing", "")],
        &[("country", "United States")],
        &[
            ("country", "GI"),
            ("state", "Anything"),
            ("county", "At all"),
            ("zip", "GX11 1AA"),
        ],
        &[
            ("zip", "54321-1234"),
            ("latitude", "37 46 29.6"),
            ("longitude", "-122.4194"),
        ],
        &[("agentnum", " 1 "), ("company", "  Bank   of  Soy  ")],
        &[("payip", "192.0.2.7")],
    ];
    for app in apps().await {
        for changes in cases {
            check(&app, changes, Ok(())).await;
        }
    }
}

#[tokio::test]
async fn payment_types_are_stored_with_their_masks() {
    // (changes, payby, paymask, paycardtype, paydate)
    let cases: &[(Pairs, &str, &str, &str, &str)] = &[
        (&[], "CARD", "411111xxxxxx1111", "VISA card", "2019-11-01"),
        (
            &[("payby", "CHEK"), ("payinfo", "12345689@123456789")],
            "CHEK",
            "xxxxxx89@123456789",
            "",
            "",
        ),
        (
            &[("payby", "CASH"), ("payinfo", "PO 7")],
            "BILL",
            "PO 7",
            "",
            "",
        ),
        (&[("payby", ABSENT)], "", "", "", ""),
    ];
    for app in apps().await {
        for (changes, payby, paymask, paycardtype, paydate) in cases {
            let custnum = create(&app, changes).await;
            let mut tx = app.ctx.store.read().await.unwrap();
            let stored = customer(&mut tx, custnum).await.unwrap();
            assert_eq!(
                (
                    stored.payby.as_str(),
                    stored.paymask.as_str(),
                    stored.paycardtype.as_str(),
                    stored.paydate.as_str()
                ),
                (*payby, *paymask, *paycardtype, *paydate),
                "{changes:?}"
            );
        }
    }
}

#[tokio::test]
async fn service_location_is_shared_when_identical_and_separate_when_not() {
    for app in apps().await {
        // No ship_ keys, or ship_ keys equal to the billing ones: one location.
        let same = [
            ("ship_address1", "1234 Soybean Ln."),
            ("ship_city", "Tofutown"),
            ("ship_county", ""),
            ("ship_state", "CA"),
            ("ship_zip", "54321"),
            ("ship_country", "US"),
        ];
        for changes in [&[][..], &same[..], &[("ship_address1", "")][..]] {
            let custnum = create(&app, changes).await;
            let info = info(&app, custnum).await;
            for key in [
                "address1", "address2", "city", "county", "state", "zip", "country",
            ] {
                assert_eq!(
                    member(&info, key),
                    member(&info, &format!("ship_{key}")),
                    "{key}"
                );
            }
            assert_eq!(locations(&app, custnum).await.len(), 1, "{changes:?}");
        }

        let custnum = create(
            &app,
            &[
                ("ship_address1", "9 Warehouse Rd"),
                ("ship_city", "Soyburg"),
                ("ship_state", "NV"),
                ("ship_zip", "89101"),
                ("ship_country", "US"),
            ],
        )
        .await;
        let info = info(&app, custnum).await;
        assert_eq!(member(&info, "address1"), "1234 Soybean Ln.");
        assert_eq!(member(&info, "ship_address1"), "9 Warehouse Rd");
        assert_eq!(member(&info, "ship_state"), "NV");
        assert_eq!(locations(&app, custnum).await.len(), 2);
    }
}

#[tokio::test]
async fn bill_prefixed_keys_win_when_not_empty() {
    for app in apps().await {
        let custnum = create(
            &app,
            &[
                ("bill_address1", "1 Billing Way"),
                ("bill_city", ""),
                ("address1", "ignored"),
            ],
        )
        .await;
        let info = info(&app, custnum).await;
        assert_eq!(member(&info, "address1"), "1 Billing Way");
        assert_eq!(member(&info, "city"), "Tofutown");
    }
}

#[tokio::test]
async fn a_us_zip_sent_as_an_integer_gets_its_leading_zero_back() {
    for app in apps().await {
        let pairs = with(TOFU, &[("zip", ABSENT)]);
        let reply = call_typed(
            &app,
            "new_customer",
            &pairs,
            &[("zip", ScalarType::Int, "1234")],
        )
        .await;
        let custnum: i64 = member(&reply, "custnum").parse().unwrap();
        assert_eq!(member(&info(&app, custnum).await, "zip"), "01234");

        // As a string it is what the client wrote, and wrong.
        let reply = app
            .call("new_customer", &with(TOFU, &[("zip", "1234")]))
            .await;
        assert_eq!(
            member(&reply, "error"),
            "Illegal (zip) zip for country US: 1234 (in billing location)"
        );
        let reply = call_typed(
            &app,
            "new_customer",
            &pairs,
            &[("zip", ScalarType::I4, "01234")],
        )
        .await;
        let custnum: i64 = member(&reply, "custnum").parse().unwrap();
        assert_eq!(member(&info(&app, custnum).await, "zip"), "01234");
    }
}

#[tokio::test]
async fn invoicing_list_and_postal_invoicing() {
    // (invoicing_list, postal_invoicing, expected invoicing_list, expected postal_invoicing)
    let cases = [
        ("a@x.com, b@x.com", "", "a@x.com, b@x.com", ""),
        ("a@x.com,POST", "", "a@x.com", "1"),
        ("POST", "0", "", "1"),
        ("", "1", "", "1"),
        (" b@x.com ,, b@x.com", "0", "b@x.com", ""),
    ];
    for app in apps().await {
        for (list, postal, expected_list, expected_postal) in cases {
            let custnum = create(
                &app,
                &[("invoicing_list", list), ("postal_invoicing", postal)],
            )
            .await;
            let info = info(&app, custnum).await;
            assert_eq!(
                (
                    member(&info, "invoicing_list"),
                    member(&info, "postal_invoicing")
                ),
                (expected_list, expected_postal),
                "{list:?} {postal:?}"
            );
        }
    }
}

#[tokio::test]
async fn tax_rows_make_their_county_a_known_locality() {
    use bursar_core::model::TaxRate;
    use bursar_store::catalog::Catalog;
    for app in apps().await {
        check(
            &app,
            &[("county", "Orange")],
            Err("Unknown state/county/country: CA/Orange/US (in billing location)"),
        )
        .await;
        let catalog = Catalog {
            taxes: vec![TaxRate {
                taxnum: 0,
                country: "US".into(),
                state: "CA".into(),
                county: "Orange".into(),
                city: String::new(),
                name: "Orange County tax".into(),
                rate: "1.25".parse().unwrap(),
            }],
            ..Catalog::default()
        };
        app.ctx.store.apply_catalog(&catalog).await.unwrap();
        check(&app, &[("county", "Orange")], Ok(())).await;
    }
}

#[tokio::test]
async fn the_configured_default_agent_fills_an_absent_agentnum() {
    for mut app in apps().await {
        let mut settings = BackofficeSettings::new(SECRET);
        settings.default_agentnum = Some(1);
        app.ctx.backoffice = Arc::new(settings);
        check(&app, &[("agentnum", ABSENT)], Ok(())).await;
        check(
            &app,
            &[("agentnum", "")],
            Err("Illegal or empty (numeric) agentnum: "),
        )
        .await;
    }
}
