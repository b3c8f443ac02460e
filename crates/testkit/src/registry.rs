//! The Debian `docker-registry` on a free loopback port, storing in a temp dir; it can
//! be stopped and started again on the same port with the same content. Its access log
//! tells which blobs were uploaded.

use std::fs::OpenOptions;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running (or stopped) reference registry, killed when dropped.
pub struct DockerRegistry {
    child: Option<Child>,
    /// `127.0.0.1:<port>`.
    pub address: String,
    config: PathBuf,
    access_log: PathBuf,
    _dir: tempfile::TempDir,
}

impl DockerRegistry {
    /// Starts a plain-HTTP registry (deletes enabled) and waits until it listens.
    pub fn start() -> DockerRegistry {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let address = format!("127.0.0.1:{port}");
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {address}\n",
                dir.path().join("data").display()
            ),
        )
        .unwrap();
        let mut registry = DockerRegistry {
            child: None,
            address,
            config,
            access_log: dir.path().join("access.log"),
            _dir: dir,
        };
        registry.resume();
        registry
    }

    /// Starts the registry again after [`DockerRegistry::stop`].
    pub fn resume(&mut self) {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.access_log)
            .unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&self.config)
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry (Debian package) is installed by scripts/test");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(&self.address).is_err() {
            assert!(
                Instant::now() < deadline,
                "docker-registry did not start on {}",
                self.address
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Every blob upload the registry completed, in order: (repository, digest).
    pub fn blob_uploads(&self) -> Vec<(String, String)> {
        let log = std::fs::read_to_string(&self.access_log).unwrap_or_default();
        log.lines()
            .filter_map(|line| {
                let request = line.split('"').nth(1)?;
                let status = line.split('"').nth(2)?.split_whitespace().next()?;
                let path = request.strip_prefix("PUT /v2/")?.split(' ').next()?;
                let (repository, rest) = path.split_once("/blobs/uploads/")?;
                let digest = rest.split(['?', '&']).find_map(|p| p.strip_prefix("digest="))?;
                (status == "201").then(|| (repository.to_owned(), digest.replace("%3A", ":")))
            })
            .collect()
    }

    /// Kills the registry; its content stays for [`DockerRegistry::resume`].
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for DockerRegistry {
    fn drop(&mut self) {
        self.stop();
    }
}
