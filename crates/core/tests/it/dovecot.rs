//! Every password encoding is checked by Dovecot's own `doveadm pw -t`
//! (Debian `dovecot-core`, installed by `.ci/run`): what Bursar stores is
//! what a real mail server accepts. `BURSAR_REQUIRE_CLIENTS=1` makes a
//! missing doveadm a failure instead of a skip.

use std::process::Command;

use bursar_core::model::PasswordEncoding;
use bursar_core::password::{dovecot_form, encode};

fn doveadm() -> Option<&'static str> {
    ["/usr/bin/doveadm", "/usr/sbin/doveadm"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
}

#[test]
fn doveadm_accepts_every_encoding_and_refuses_a_wrong_password() {
    let Some(doveadm) = doveadm() else {
        if std::env::var("BURSAR_REQUIRE_CLIENTS").as_deref() == Ok("1") {
            panic!("doveadm is required (BURSAR_REQUIRE_CLIENTS=1) but not installed");
        }
        eprintln!("skipping: doveadm (dovecot-core) is not installed");
        return;
    };
    for encoding in PasswordEncoding::ALL {
        let clear = "Tofu8pw";
        let stored = encode(encoding, clear, "Xy7./abcdefghijk").unwrap();
        let form = dovecot_form(encoding, &stored);
        let good = Command::new(doveadm)
            .args(["pw", "-t", &form, "-p", clear])
            .output()
            .unwrap();
        assert!(
            good.status.success(),
            "{encoding:?} {form}: {}",
            String::from_utf8_lossy(&good.stderr)
        );
        let bad = Command::new(doveadm)
            .args(["pw", "-t", &form, "-p", "nope"])
            .output()
            .unwrap();
        assert!(
            !bad.status.success(),
            "{encoding:?} accepted a wrong password"
        );
    }
}
