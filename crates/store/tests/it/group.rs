//! Group commit: concurrent writes share commits, each atomic on its own.

use bursar_store::testing::backends;
use bursar_store::Error;

#[tokio::test]
async fn concurrent_grouped_writes_commit_independently() {
    for db in backends().await {
        let mut tasks = Vec::new();
        for n in 0..60i64 {
            let store = db.store.clone();
            tasks.push(tokio::spawn(async move {
                store
                    .write_grouped(move |conn| {
                        Box::pin(async move {
                            sqlx::query("INSERT INTO conf (name, value) VALUES ($1, 'x')")
                                .bind(format!("group.{n}"))
                                .execute(&mut *conn)
                                .await
                                .map_err(Error::from)?;
                            if n % 7 == 0 {
                                // Fails after writing: only this operation is undone.
                                return Err(Error::Refused(format!("refused {n}")));
                            }
                            Ok(n)
                        })
                    })
                    .await
            }));
        }
        let mut refused = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => {}
                Err(Error::Refused(_)) => refused += 1,
                Err(other) => panic!("{}: {other}", db.name()),
            }
        }
        assert_eq!(refused, 9);
        let mut tx = db.store.read().await.unwrap();
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM conf WHERE name LIKE 'group.%'")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(stored, 51, "{}", db.name());
    }
}
