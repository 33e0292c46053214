//! A real SMTP server process for the mail tests: Python's aiosmtpd on a free loopback port,
//! writing each accepted message to a folder the tests read. The harness installs aiosmtpd
//! when it is missing (a venv under target/, else `pip --user`, else apt-get).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use mail_parser::{MessageParser, MimeHeaders};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const SINK: &str = include_str!("smtp_sink.py");

fn has_aiosmtpd(python: &Path) -> bool {
    std::process::Command::new(python)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn run(program: &str, args: &[&str]) -> bool {
    std::process::Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A Python interpreter that has aiosmtpd, installing it once per test run if needed.
fn python() -> anyhow::Result<PathBuf> {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let system = PathBuf::from("python3");
            if has_aiosmtpd(&system) {
                return Ok(system);
            }
            let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/aiosmtpd-venv");
            let venv_python = venv.join("bin/python");
            if has_aiosmtpd(&venv_python) {
                return Ok(venv_python);
            }
            let venv_str = venv.display().to_string();
            if run("python3", &["-m", "venv", &venv_str])
                && run(
                    &venv_python.display().to_string(),
                    &["-m", "pip", "install", "--quiet", "aiosmtpd"],
                )
                && has_aiosmtpd(&venv_python)
            {
                return Ok(venv_python);
            }
            if run("python3", &["-m", "pip", "install", "--quiet", "--user", "aiosmtpd"])
                && has_aiosmtpd(&system)
            {
                return Ok(system);
            }
            let debian = PathBuf::from("/usr/bin/python3");
            if run("apt-get", &["install", "-y", "-q", "python3-aiosmtpd"]) && has_aiosmtpd(&debian) {
                return Ok(debian);
            }
            Err("the mail tests need Python 3 with aiosmtpd, and installing it failed \
                 (tried: a venv under target/aiosmtpd-venv with pip, `pip install --user aiosmtpd`, \
                 `apt-get install -y python3-aiosmtpd`). Install aiosmtpd and run again."
                .to_owned())
        })
        .clone()
        .map_err(|e| anyhow::anyhow!(e))
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The SMTP server: started, stopped and started again on the same port and folder.
pub struct SmtpServer {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl SmtpServer {
    pub async fn start() -> anyhow::Result<Self> {
        let mut server = Self::stopped()?;
        server.up().await?;
        Ok(server)
    }

    /// Chooses a port and folder without starting.
    fn stopped() -> anyhow::Result<Self> {
        Ok(Self {
            port: free_port()?,
            dir: tempfile::tempdir()?,
            child: None,
        })
    }

    pub async fn up(&mut self) -> anyhow::Result<()> {
        if self.child.is_some() {
            return Ok(());
        }
        let python = python()?;
        let script = self.dir.path().join("smtp_sink.py");
        std::fs::write(&script, SINK)?;
        let mail_dir = self.dir.path().join("mail");
        let mut child = Command::new(python)
            .arg(&script)
            .arg(self.port.to_string())
            .arg(&mail_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout from the SMTP server"))?;
        let mut lines = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await??;
        anyhow::ensure!(
            ready.as_deref() == Some("ready"),
            "SMTP server did not start: {ready:?}"
        );
        self.child = Some(child);
        Ok(())
    }

    pub async fn down(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill().await?;
        }
        Ok(())
    }

    /// Sets a fault for the next message: `drop-next` (kept, then the connection dropped
    /// before the answer) or `reject-next` (refused with 554). The server must be up.
    pub fn fault(&self, name: &str) -> anyhow::Result<()> {
        std::fs::write(self.dir.path().join("mail").join(name), b"")?;
        Ok(())
    }

    /// Every message received so far, parsed, in the order they arrived.
    pub fn received(&self) -> anyhow::Result<Vec<Received>> {
        let dir = self.dir.path().join("mail");
        let mut out = Vec::new();
        if !dir.exists() {
            return Ok(out);
        }
        // Named by arrival time: sorted, they are in the order the server took them.
        let mut paths = std::fs::read_dir(dir)?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<Result<Vec<_>, _>>()?;
        paths.sort();
        for path in paths {
            if path.extension().is_some_and(|e| e == "eml") {
                out.push(Received::parse(std::fs::read(&path)?)?);
            }
        }
        Ok(out)
    }

    /// Waits until at least `n` messages have arrived, then a moment more for extras.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> anyhow::Result<Vec<Received>> {
        let start = Instant::now();
        loop {
            let received = self.received()?;
            if received.len() >= n {
                tokio::time::sleep(Duration::from_millis(300)).await;
                return self.received();
            }
            anyhow::ensure!(
                start.elapsed() < timeout,
                "only {} of {n} e-mails arrived within {timeout:?}",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// One MIME part, decoded.
#[derive(Clone, Debug)]
pub struct Part {
    /// e.g. `text/plain`
    pub content_type: String,
    /// Parameters of the content type, lower-case names.
    pub params: Vec<(String, String)>,
    pub text: String,
}

impl Part {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A received e-mail: raw bytes, headers and its decoded parts.
#[derive(Clone, Debug)]
pub struct Received {
    pub raw: String,
    pub message_id: String,
    pub subject: String,
    pub to: String,
    pub root_type: String,
    /// The decoded value of every header.
    pub headers: Vec<(String, String)>,
    /// Leaf parts in order.
    pub parts: Vec<Part>,
}

impl Received {
    fn parse(bytes: Vec<u8>) -> anyhow::Result<Self> {
        let message = MessageParser::default()
            .parse(&bytes)
            .ok_or_else(|| anyhow::anyhow!("unparseable e-mail"))?;
        let type_of = |ct: Option<&mail_parser::ContentType>| {
            ct.map(|c| {
                format!("{}/{}", c.ctype(), c.subtype().unwrap_or_default()).to_ascii_lowercase()
            })
            .unwrap_or_default()
        };
        let mut parts = Vec::new();
        for part in &message.parts {
            if part.sub_parts().is_some() {
                continue;
            }
            let content_type = part.content_type();
            let params = content_type
                .and_then(|c| c.attributes())
                .map(|attrs| {
                    attrs
                        .iter()
                        .map(|a| (a.name.to_ascii_lowercase(), a.value.to_string()))
                        .collect()
                })
                .unwrap_or_default();
            let text = part
                .text_contents()
                .map(str::to_owned)
                .unwrap_or_else(|| String::from_utf8_lossy(part.contents()).into_owned());
            parts.push(Part {
                content_type: type_of(content_type),
                params,
                text,
            });
        }
        let headers = message
            .headers_raw()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .chain(
                message
                    .headers()
                    .iter()
                    .map(|h| (h.name().to_owned(), format!("{:?}", h.value()))),
            )
            .collect();
        Ok(Self {
            message_id: message.message_id().unwrap_or_default().to_owned(),
            subject: message.subject().unwrap_or_default().to_owned(),
            to: message
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_owned(),
            root_type: type_of(message.root_part().content_type()),
            headers,
            parts,
            raw: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }

    pub fn part(&self, content_type: &str) -> Option<&Part> {
        self.parts.iter().find(|p| p.content_type == content_type)
    }

    /// Everything a reader could see: raw message, decoded headers, decoded parts.
    pub fn all_text(&self) -> String {
        let mut all = self.raw.clone();
        for (name, value) in &self.headers {
            all.push_str(&format!("\n{name}: {value}"));
        }
        all.push_str(&self.subject);
        for part in &self.parts {
            all.push('\n');
            all.push_str(&part.text);
        }
        all
    }
}
