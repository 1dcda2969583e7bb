//! Throwaway databases for tests (feature `testing`): a fresh SQLite file in
//! a temporary folder, and a fresh database on a private PostgreSQL cluster
//! that this process starts once (initdb in a temporary folder, on a free
//! port, as an unprivileged user when run as root, since initdb refuses
//! root) and that stops by itself when the process ends.
//!
//! When PostgreSQL's binaries are missing the PostgreSQL half is skipped
//! with a printed reason, unless `BURSAR_REQUIRE_PG=1`, which makes it a
//! failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::{CardKey, Cipher, Store};

/// A fresh, migrated and initialised database.
pub struct TestDb {
    /// Its URL.
    pub url: String,
    /// The store on it.
    pub store: Store,
    /// Keeps a SQLite file's folder alive.
    _dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl TestDb {
    /// `sqlite` or `postgres`, for assertion messages.
    pub fn name(&self) -> &'static str {
        match self.store.backend() {
            crate::Backend::Sqlite => "sqlite",
            crate::Backend::Postgres => "postgres",
        }
    }
}

/// A cipher with a fresh random key.
pub fn test_cipher() -> Cipher {
    Cipher::new(&CardKey::generate())
}

/// A fresh SQLite database in a temporary folder, migrated and initialised.
pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = Store::open(&url, test_cipher()).await.expect("open SQLite");
    store.migrate().await.expect("migrate SQLite");
    store.init().await.expect("init SQLite");
    TestDb {
        url,
        store,
        _dir: Some(dir),
    }
}

/// A fresh database on the private PostgreSQL cluster, migrated and
/// initialised; `None` (with a printed reason) when PostgreSQL is not
/// installed and `BURSAR_REQUIRE_PG` is not `1`.
pub async fn postgres() -> Option<TestDb> {
    let url = postgres_url()?;
    let store = Store::open(&url, test_cipher())
        .await
        .expect("open PostgreSQL");
    store.migrate().await.expect("migrate PostgreSQL");
    store.init().await.expect("init PostgreSQL");
    Some(TestDb {
        url,
        store,
        _dir: None,
    })
}

/// The URL of a fresh, empty database on the private cluster (no
/// migrations), or `None` as for [`postgres`].
pub fn postgres_url() -> Option<String> {
    let cluster = match cluster() {
        Ok(cluster) => cluster,
        Err(reason) => {
            if std::env::var("BURSAR_REQUIRE_PG").as_deref() == Ok("1") {
                panic!("PostgreSQL is required (BURSAR_REQUIRE_PG=1) but unavailable: {reason}");
            }
            eprintln!("skipping the PostgreSQL half of this test: {reason}");
            return None;
        }
    };
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "t{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    );
    let status = Command::new(cluster.bindir.join("psql"))
        .args([
            "-q",
            "-h",
            "127.0.0.1",
            "-p",
            &cluster.port.to_string(),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-c",
        ])
        .arg(format!("CREATE DATABASE {name}"))
        .stdout(Stdio::null())
        .status()
        .expect("run psql");
    assert!(status.success(), "CREATE DATABASE {name} failed");
    Some(format!(
        "postgres://postgres@127.0.0.1:{}/{name}",
        cluster.port
    ))
}

/// Both backends: SQLite always, PostgreSQL when available.
pub async fn backends() -> Vec<TestDb> {
    let mut dbs = vec![sqlite().await];
    dbs.extend(postgres().await);
    dbs
}

struct Cluster {
    bindir: PathBuf,
    port: u16,
}

fn cluster() -> Result<&'static Cluster, String> {
    static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
    CLUSTER
        .get_or_init(start_cluster)
        .as_ref()
        .map_err(Clone::clone)
}

/// Where PostgreSQL's server binaries are: `BURSAR_PG_BINDIR`, Debian's
/// `/usr/lib/postgresql/N/bin` (newest), or `initdb` on the PATH.
fn find_bindir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("BURSAR_PG_BINDIR") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin): &(u32, PathBuf)| bin.join("initdb").exists())
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|p| p.join("initdb").exists() && p.join("postgres").exists())
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.trim_ascii() == b"0")
        .unwrap_or(false)
}

/// Runs `program args` as `nobody` when we are root, else as ourselves.
fn command_as_owner(root: bool, program: &Path) -> Command {
    if root {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "nobody", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

fn start_cluster() -> Result<Cluster, String> {
    let bindir = find_bindir().ok_or("PostgreSQL server binaries (initdb, postgres) not found")?;
    let root = is_root();
    let dir = std::env::temp_dir().join(format!("bursar-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    if root {
        let status = Command::new("chown")
            .args(["-R", "nobody"])
            .arg(&dir)
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err("chown of the cluster folder to nobody failed".into());
        }
    }
    let data = dir.join("data");
    let output = command_as_owner(root, &bindir.join("initdb"))
        .args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-locale",
            "-D",
        ])
        .arg(&data)
        .output()
        .map_err(|e| format!("run initdb: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    // The watchdog shell stops the server and removes the folder as soon as
    // this test process is gone, however it ends.
    let script = format!(
        "{postgres} -D {data} -p {port} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=off \
         -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 -c shared_buffers=32MB \
         >{dir}/server.log 2>&1 & pg=$!; \
         while [ -d /proc/{parent} ] && kill -0 $pg 2>/dev/null; do sleep 1; done; \
         kill -INT $pg 2>/dev/null; wait $pg; rm -rf {dir}",
        postgres = bindir.join("postgres").display(),
        data = data.display(),
        dir = dir.display(),
        parent = std::process::id(),
    );
    command_as_owner(root, Path::new("/bin/sh"))
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("start postgres: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = Command::new(bindir.join("pg_isready"))
            .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if ready {
            return Ok(Cluster { bindir, port });
        }
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
            return Err(format!("PostgreSQL did not start within 60 s: {log}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
