//! `export test` and `export audit [--repair]`: a short report of the
//! platform; every kind of drift found, and with `repair` fixed through
//! the queue, except what needs an operator.

use bursar_export::audit::{audit, test_export, Drift};
use bursar_magicmail::sim::{Fault, FaultEffect, Snapshot};
use bursar_store::testing::backends;

use crate::support::{account_of, Env, MAILBOX, PREMIUM_BOX};

fn kinds(drift: &[Drift]) -> Vec<(&'static str, String)> {
    let mut kinds: Vec<_> = drift.iter().map(|d| (d.kind, d.subject.clone())).collect();
    kinds.sort();
    kinds
}

#[tokio::test]
async fn test_reports_reachability_accounts_and_domains() {
    for db in backends().await {
        let env = Env::new(db).await;
        let (_, pkgnum) = env.customer().await;
        env.add(pkgnum, MAILBOX, "ada").await.unwrap();
        let report = test_export(env.store(), &env.registry, "mail")
            .await
            .unwrap();
        assert_eq!(
            report,
            [
                "export mail (magicmail)",
                "reachable, credentials accepted",
                "1 accounts on the platform, 1 with prefix FREESIDE",
                "package put on master users: EMAIL",
                "domain lakeside.example: visible",
            ]
        );
        env.sim.add_fault(Fault::on_every_call(FaultEffect::Status {
            status: 401,
            body: String::new(),
        }));
        let err = test_export(env.store(), &env.registry, "mail")
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot list accounts: Bad Response: 401 Unauthorized"
        );
        let err = test_export(env.store(), &env.registry, "nosuch")
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "unknown export nosuch");
    }
}

#[tokio::test]
async fn every_kind_of_drift_is_found_and_repaired_through_the_queue() {
    for db in backends().await {
        let env = Env::new(db).await;
        // One customer per kind of drift, each consistent to begin with.
        let mut customers = Vec::new();
        for (idx, name) in ["amy", "bea", "cat", "dan", "eve", "fay"]
            .iter()
            .enumerate()
        {
            let (custnum, pkgnum) = env.customer().await;
            env.add(pkgnum, MAILBOX, name).await.unwrap();
            if idx == 3 {
                env.add(pkgnum, PREMIUM_BOX, &format!("{name}2"))
                    .await
                    .unwrap();
            }
            customers.push(custnum);
        }
        assert_eq!(
            audit(env.store(), &env.registry, "mail", false)
                .await
                .unwrap(),
            vec![]
        );
        let mut state = env.sim.state();
        state.users.remove("AMY"); // missing, with its address
        state.addresses.remove("amy@lakeside.example");
        state.users.get_mut("BEA").unwrap().status = "suspended".into(); // wrong status
        state.users.get_mut("CAT").unwrap().packages.clear(); // wrong package
        state.users.get_mut("DAN").unwrap().master = false; // wrong master
        state.users.get_mut("EVE").unwrap().account = "FREESIDE999".into(); // wrong account
        let extra = Snapshot::default()
            .with_account(&account_of(customers[5]), "active")
            .with_user("zed", &account_of(customers[5]), "active", false, &[])
            .with_account("FREESIDE998", "active");
        state.users.extend(extra.users); // an extra user
        state.accounts.extend(extra.accounts); // an extra, empty, active account
        state.accounts.insert(
            "FREESIDE999".into(),
            Snapshot::default()
                .with_account("FREESIDE999", "active")
                .accounts["FREESIDE999"]
                .clone(),
        );
        env.sim.set_state(state);

        let drift = audit(env.store(), &env.registry, "mail", true)
            .await
            .unwrap();
        let amy = account_of(customers[0]);
        let dan = account_of(customers[3]);
        let eve = account_of(customers[4]);
        assert_eq!(
            kinds(&drift),
            [
                ("extra", "FREESIDE998".to_string()),
                ("extra", "ZED".into()),
                ("missing", "amy".into()),
                ("wrong account", "eve".into()),
                ("wrong master", dan.clone()),
                ("wrong package", account_of(customers[2])),
                ("wrong status", "bea".into()),
            ],
            "{drift:#?}"
        );
        let line = drift
            .iter()
            .find(|d| d.kind == "wrong account")
            .unwrap()
            .to_string();
        assert_eq!(
            line,
            format!("wrong account: eve: in FREESIDE999, expected {eve}")
        );
        let reports = env.drain().await;
        assert!(reports.iter().all(|r| r.status == "done"), "{reports:#?}");
        let left = audit(env.store(), &env.registry, "mail", false)
            .await
            .unwrap();
        assert_eq!(
            kinds(&left),
            [("wrong account", "eve".to_string())],
            "an operator settles that one"
        );
        for (idx, custnum) in customers.iter().enumerate() {
            if idx != 4 {
                env.assert_consistent(*custnum, &format!("repaired customer {idx}"))
                    .await;
            }
        }
        // The sibling export audits the same platform: the same drift, and
        // its own services (dan2) are not extra for either.
        let premium = audit(env.store(), &env.registry, "premium", false)
            .await
            .unwrap();
        assert_eq!(kinds(&premium), [("wrong account", "eve".to_string())]);
        assert_eq!(env.sim.state().user("amy").unwrap().account, amy);
    }
}
