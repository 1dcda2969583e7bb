//! `init` creates the defaults once and changes nothing the second time.

use bursar_store::testing::backends;

#[tokio::test]
async fn init_creates_defaults_once_and_then_changes_nothing() {
    for db in backends().await {
        let again = db.store.init().await.unwrap();
        assert!(
            !again.created,
            "{}: second init must find the defaults",
            db.name()
        );
        assert!(again.api_usernum > 0);
        assert!(
            again.localities > 1000,
            "{}: localities seeded, got {}",
            db.name(),
            again.localities
        );
        let catalog = db.store.catalog_snapshot().await.unwrap();
        assert_eq!(catalog.agents.len(), 1);
        assert_eq!(catalog.agents[0].agent, "Internal");
        assert_eq!(catalog.advertising_sources[0].referral, "Direct");
        assert!(
            catalog.taxes.is_empty(),
            "{}: seeded localities are not tax rates",
            db.name()
        );
        db.store.migrate().await.unwrap();
    }
}

#[tokio::test]
async fn migrations_run_on_a_fresh_database_and_twice() {
    for db in backends().await {
        db.store.migrate().await.unwrap();
        db.store.migrate().await.unwrap();
    }
}
