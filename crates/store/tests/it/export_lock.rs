//! `export_lock::lock_customer`: a second process (here a second `Store`
//! on the same database) waits for the first one's transaction to end
//! before it holds the same customer; an unknown customer is `NotFound`.

use std::time::{Duration, Instant};

use bursar_store::export_lock::lock_customer;
use bursar_store::testing::{backends, test_cipher};
use bursar_store::{Error, Store};

use crate::support::new_customer;

#[tokio::test]
async fn a_second_process_waits_for_the_customer_lock() {
    for db in backends().await {
        let custnum = new_customer(&db.store, "Ada", "Lovelace").await;
        let other = new_customer(&db.store, "Bob", "Builder").await;
        let second = Store::open(&db.url, test_cipher()).await.unwrap();
        let backend = db.store.backend();

        let mut first_tx = db.store.write().await.unwrap();
        lock_customer(&mut first_tx, backend, custnum)
            .await
            .unwrap();
        let waiter = {
            let second = second.clone();
            tokio::spawn(async move {
                let mut tx = second.write().await.unwrap();
                lock_customer(&mut tx, backend, custnum).await.unwrap();
                let held = Instant::now();
                tx.commit().await.unwrap();
                held
            })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        let released = Instant::now();
        first_tx.commit().await.unwrap();
        let held = waiter.await.unwrap();
        assert!(
            held >= released,
            "{}: the second holder waited for the first",
            db.name()
        );

        let mut tx = db.store.write().await.unwrap();
        lock_customer(&mut tx, backend, other).await.unwrap();
        assert!(matches!(
            lock_customer(&mut tx, backend, 987_654).await,
            Err(Error::NotFound)
        ));
        tx.rollback().await.unwrap();
        second.close().await;
    }
}
