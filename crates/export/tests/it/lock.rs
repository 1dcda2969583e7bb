//! Two processes (two registries, so two sets of in-process locks) adding
//! the first two mailboxes of one customer at the same moment: the
//! customer lock serialises them, so the account is created once and the
//! second user is not master. Without it, both would find no account and
//! the second would fail (spec 4.5, "one insert or delete at a time").

use std::time::Duration;

use bursar_export::accounts::{add_account, AddAccount};
use bursar_export::Registry;
use bursar_magicmail::sim::{Fault, FaultEffect};
use bursar_store::testing::backends;

use crate::support::{Env, MAILBOX, PASSWORD};

#[tokio::test]
async fn concurrent_first_inserts_of_one_customer_are_serialised() {
    for db in backends().await {
        let env = Env::new(db).await;
        let (custnum, pkgnum) = env.customer().await;
        // The first account creation is slow: meanwhile the second insert
        // would find no account and create it itself.
        env.sim
            .add_fault(Fault::on("add_account", FaultEffect::Delay { ms: 300 }).first(1));
        let other_process = Registry::new();
        let request = |username: &str| AddAccount {
            pkgnum,
            svcpart: MAILBOX,
            username: username.into(),
            domain: None,
            password: PASSWORD.into(),
            finger: String::new(),
        };
        let (ada, bob) = (request("ada"), request("bob"));
        let (first, second) = tokio::join!(add_account(env.store(), &env.registry, &ada), async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            add_account(env.store(), &other_process, &bob).await
        });
        first.unwrap();
        second.unwrap();
        let calls = env.sim.calls();
        assert_eq!(
            calls
                .iter()
                .filter(|c| c.starts_with("add_account"))
                .count(),
            1,
            "{calls:?}"
        );
        let state = env.sim.state();
        assert!(state.user("ada").unwrap().master && !state.user("bob").unwrap().master);
        env.drain().await;
        env.assert_consistent(custnum, "both added").await;
    }
}
