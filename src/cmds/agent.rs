//! The fleet's agent beside a long-running command (`watch --hub`, `serve --hub`): the command
//! layer starts it, since neither host names the fleet nor the fleet a host. The host gives what
//! it shares ([`Beside`]: its store, its wake, its stop, a scan in its turn, how to stop it when
//! the hub refuses the site); this adds the rules the hub's requests are held to.

use std::sync::Arc;

use crate::fleet::{Executor, Ran, RunScan};
use crate::record::round::{Beside, Task, Turn};
use crate::scan::rules::ScanRules;
use store::HubConfig;

/// The agent's task: this site's inventory pushed to `hub`, the scans it queues for the site
/// held to `rules` and run in the host's turn.
pub(super) fn start(hub: HubConfig, rules: ScanRules, beside: Beside) -> Task {
    Box::pin(crate::fleet::run(
        beside.store,
        hub,
        beside.wake,
        beside.stop,
        Some(executor(rules, beside.turn)),
        beside.refused,
    ))
}

/// How the agent runs a scan the hub asked for: the host's turn, its progress counted for the
/// hub.
fn executor(rules: ScanRules, turn: Turn) -> Executor {
    let run: RunScan = Arc::new(move |cfg, stats| {
        let turn = turn.clone();
        Box::pin(async move {
            turn(cfg, crate::scan::Progress::Into(stats))
                .await
                .map(|r| Ran {
                    scan_id: r.scan_id,
                    devices: r.devices,
                    interrupted: r.interrupted,
                })
                .map_err(|e| e.to_string())
        })
    });
    Executor {
        rules: Arc::new(rules),
        run,
    }
}
