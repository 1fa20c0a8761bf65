//! A scan as a command runs it ([`ScanJob`]): the scan's own configuration (what its plan needs,
//! [`ScanConfig`]), how its report is printed ([`ReportOutput`]), and where it is recorded (the
//! inventory, the site, the hub, the ports left out of the record). The commands that scan
//! (`cmds::scan`, `watch`, `serve`, `audit`, the fleet's agent) resolve one; the scan itself
//! sees only its configuration.

use std::path::PathBuf;

use crate::scan::ScanConfig;
use crate::scan::output::ReportOutput;
use store::{HubConfig, Inventory};

/// A scan, its report's printing and its recording, as a command resolved them.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanJob {
    /// What the scan's plan needs.
    pub scan: ScanConfig,
    /// How its report is printed (and the format options its pushes and writes render with).
    pub report: ReportOutput,
    /// The inventory the scan is recorded in (`--db`, `CAMSCAN_DB`, config `db:`, else
    /// [`store::default_db_path`]; `--db-password-file`, `--credential-key`); `None` with `--no-db` (or
    /// when there is no home directory to hold the default): nothing is recorded.
    pub db: Option<Inventory>,
    /// The site the scan is recorded at (`--site`, `CAMSCAN_SITE`, config `site:`, else the
    /// host name): identity, offline and events are per site.
    pub site: String,
    /// The fleet's hub this site sends its inventory to (`--hub`, config `hub:`).
    pub hub: Option<HubConfig>,
    /// Ports among the scan's asked only for `camscan audit`'s own questions (Telnet, SSH, SNMP's
    /// neighbours): probed and judged, never recorded in the inventory, where a port the
    /// usual scans do not ask would read as `port_opened` (a change that is none).
    pub unrecorded_ports: Vec<u16>,
    /// Knowledge files read before the built-in data (`--signatures`, else config `signatures:`);
    /// the command loads them, with the knowledge directory's, before the scan ([`knowledge`]).
    pub signatures: Vec<PathBuf>,
    /// The user's knowledge directory, read after `signatures` (`$XDG_CONFIG_HOME/camscan/
    /// knowledge.d`, [`knowledge::user_dir`]); `None`: none.
    pub knowledge_dir: Option<PathBuf>,
}

impl Default for ScanJob {
    fn default() -> Self {
        ScanJob {
            scan: ScanConfig::default(),
            report: ReportOutput::default(),
            db: None,
            site: default_site(),
            hub: None,
            unrecorded_ports: Vec::new(),
            signatures: Vec::new(),
            knowledge_dir: None,
        }
    }
}

/// The site of a machine that names none: its host name (`localhost` when it has none).
pub fn default_site() -> String {
    dns_lookup::get_hostname()
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}
