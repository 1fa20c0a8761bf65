//! A namespace lab built by one of `tests/lab/*.sh` (`up PREFIX ...`, `down PREFIX`): its hosts
//! are network namespaces named `PREFIX-NODE` on a bridge of their own, with 198.18.0.0/15 and
//! fd00::/8 addresses only. The servers started in it stop before the lab goes down, and the lab
//! goes down however the test ends.

use std::process::Command;
use std::time::Duration;

pub struct NsLab {
    pub prefix: &'static str,
    script: &'static str,
    /// Stopped (dropped) before the namespaces go.
    pub servers: Vec<super::Server>,
}

impl NsLab {
    /// `bash tests/lab/SCRIPT up PREFIX EXTRA...`; `what` names the test in the message when not
    /// root.
    pub fn up(what: &str, script: &'static str, prefix: &'static str, extra: &[&str]) -> NsLab {
        NsLab::up_with(what, script, prefix, extra, &[])
    }

    /// [`NsLab::up`], with environment variables for the script.
    pub fn up_with(
        what: &str,
        script: &'static str,
        prefix: &'static str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> NsLab {
        assert!(
            super::is_root(),
            "{what} needs root (ip netns): run scripts/test"
        );
        let ok = Command::new("bash")
            .arg(super::root_dir().join("tests/lab").join(script))
            .args(["up", prefix])
            .args(extra)
            .envs(env.iter().copied())
            .status()
            .unwrap()
            .success();
        assert!(ok, "{script} up {prefix} failed");
        NsLab {
            prefix,
            script,
            servers: Vec::new(),
        }
    }

    /// The namespace of lab node `node` (`scan`, `h1`...).
    pub fn ns(&self, node: &str) -> String {
        format!("{}-{node}", self.prefix)
    }

    /// Move lab node `node` to `address`/24 with its default route via `gateway` (a host that
    /// need not exist): a camera on another subnet of the same bridge, misaddressed.
    pub fn misaddress(&self, node: &str, address: &str, gateway: &str) {
        self.ip(node, &["addr", "flush", "dev", "eth0"]);
        self.ip(
            node,
            &["addr", "add", &format!("{address}/24"), "dev", "eth0"],
        );
        self.ip(node, &["route", "add", "default", "via", gateway]);
    }

    /// `ip -n PREFIX-NODE ARGS...`, which must succeed.
    pub fn ip(&self, node: &str, args: &[&str]) {
        let ns = self.ns(node);
        let ok = Command::new("ip")
            .args(["-n", &ns])
            .args(args)
            .status()
            .unwrap()
            .success();
        assert!(ok, "ip -n {ns} {args:?} failed");
    }

    /// Start `python ARGS...` in node `node`, kept until the lab goes.
    pub fn serve_with(&mut self, python: &str, node: &str, args: &[&str]) {
        let ns = self.ns(node);
        let mut full = vec!["netns", "exec", ns.as_str(), python];
        full.extend_from_slice(args);
        self.servers
            .push(super::start("ip", &full, Duration::from_secs(90)));
    }

    /// camscan in the lab's scanner namespace, with the tests' clean environment.
    pub fn camscan(&self) -> Command {
        super::camscan_in(&self.ns("scan"))
    }

    /// camscan in the scanner namespace as uid/gid 65534 with no capabilities (setpriv), with
    /// the tests' clean environment.
    pub fn camscan_as_nobody(&self) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.ns("scan")])
            .args([
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--inh-caps=-all",
            ])
            .arg(env!("CARGO_BIN_EXE_camscan"));
        super::clean_env(&mut c);
        c
    }
}

impl Drop for NsLab {
    fn drop(&mut self) {
        self.servers.clear();
        let _ = Command::new("bash")
            .arg(super::root_dir().join("tests/lab").join(self.script))
            .args(["down", self.prefix])
            .status();
    }
}
