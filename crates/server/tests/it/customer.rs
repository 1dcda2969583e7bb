//! customer_info and the shared secret.

use crate::support::{apps, member};

#[tokio::test]
async fn customer_info_for_an_unknown_custnum_is_only_an_error() {
    for app in apps().await {
        let reply = app.call("customer_info", &[("custnum", "999999")]).await;
        assert_eq!(reply.len(), 1, "{}: {reply:?}", app.name());
        assert_eq!(member(&reply, "error"), "Unknown custnum");
    }
}

#[tokio::test]
async fn a_wrong_secret_is_refused_for_every_method_with_no_other_member() {
    for app in apps().await {
        for method in [
            "customer_info",
            "insert_payment",
            "order_package",
            "insert_refund_phonenum",
            "bill_now",
        ] {
            let mut args = bursar_rpc::Args::new();
            args.insert("secret", bursar_rpc::Value::string("wrong"));
            args.insert("custnum", bursar_rpc::Value::string("1"));
            let reply = app.call_args(method, args).await;
            assert_eq!(reply.len(), 1, "{method}: {reply:?}");
            assert_eq!(member(&reply, "error"), "Incorrect shared secret");
        }
    }
}
