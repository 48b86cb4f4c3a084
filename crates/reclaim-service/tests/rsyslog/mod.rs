//! Our own `rsyslogd` (Debian's `rsyslog`) for the syslog export tests: `rsyslogd -n` with imtcp
//! on a loopback port, writing what it parsed of every message to a file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Bound of every wait (a readiness bound, not a timing assertion).
pub const WAIT: Duration = Duration::from_secs(60);

const RSYSLOGD: &str = "/usr/sbin/rsyslogd";

/// Our own `rsyslogd -n` (killed when the test ends).
pub struct Rsyslogd {
    child: std::process::Child,
}

impl Drop for Rsyslogd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts rsyslogd with imtcp on `port` writing every message to `out` as tab-separated fields
/// parsed by rsyslog (APP-NAME, MSGID, PROCID, HOSTNAME, TIMESTAMP, facility, severity, MSG).
pub fn rsyslogd(dir: &Path, port: u16, out: &Path) -> Rsyslogd {
    assert!(
        Path::new(RSYSLOGD).exists(),
        "{RSYSLOGD} not found: the syslog export test needs Debian's rsyslog package \
         (scripts/setup.sh installs it: apt-get install rsyslog)"
    );
    let work = dir.join("rsyslog-work");
    std::fs::create_dir_all(&work).unwrap();
    let conf = dir.join("rsyslog.conf");
    std::fs::write(
        &conf,
        format!(
            r#"global(workDirectory="{work}")
module(load="imtcp")
template(name="fields" type="string"
  string="%app-name%\t%msgid%\t%procid%\t%hostname%\t%timereported:::date-rfc3339%\t%syslogfacility%\t%syslogseverity%\t%msg%\n")
ruleset(name="audit") {{
  action(type="omfile" file="{out}" template="fields")
}}
input(type="imtcp" port="{port}" address="127.0.0.1" ruleset="audit")
"#,
            work = work.display(),
            out = out.display()
        ),
    )
    .unwrap();
    let pid = dir.join(format!("rsyslogd-{port}.pid"));
    let child = Command::new(RSYSLOGD)
        .arg("-n")
        .arg("-f")
        .arg(&conf)
        .arg("-i")
        .arg(&pid)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut daemon = Rsyslogd { child };
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = daemon.child.try_wait().unwrap() {
            panic!("rsyslogd exited ({status}) before listening on {port}");
        }
        assert!(start.elapsed() < WAIT, "rsyslogd did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    daemon
}

/// The lines of `file` once they hold `n` distinct records (a record sent again after a
/// broken connection may arrive twice).
pub async fn received(file: &Path, n: usize) -> Vec<String> {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let distinct: std::collections::BTreeSet<&str> =
            lines.iter().filter_map(|l| l.split("\"seq\":").nth(1)?.split(',').next()).collect();
        if distinct.len() >= n {
            return lines;
        }
        assert!(start.elapsed() < WAIT, "{} of {n} messages arrived: {lines:#?}", lines.len());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
