//! An inventory written as data: devices given as they would be found, recorded by the store's
//! own `record_scan` (their addresses are never contacted), for the tests of what reads the
//! inventory (`push`, the page's push, Home Assistant).

use std::path::Path;

use model::{Credential, Device, Report};
use store::{ScanInfo, Store};

/// `devices` recorded into the inventory at `db` as the `n`th scan (on 2026-11-0`n`) of
/// `target`, the streams opened with `login` (the store keeps its keyed hash); the scan's ports
/// are the devices' open ports.
pub fn record(db: &Path, n: u32, target: &str, devices: Vec<Device>, login: &Credential) {
    let mut store = Store::open(db).unwrap();
    let mut ports: Vec<u16> = devices
        .iter()
        .flat_map(|d| d.open_ports.iter().copied())
        .collect();
    ports.sort_unstable();
    ports.dedup();
    let scan = ScanInfo {
        started_at: format!("2026-11-0{n}T00:00:00Z"),
        finished_at: format!("2026-11-0{n}T00:01:00Z"),
        complete: true,
        site: String::new(),
        targets: vec![target.into()],
        ports,
        methods: vec!["port".into()],
        version: "0.1.0".into(),
        coverage: None,
    };
    let report = Report {
        schema_version: model::SCHEMA_VERSION,
        camscan_version: "0.1.0".into(),
        started_at: scan.started_at.clone(),
        finished_at: scan.finished_at.clone(),
        complete: true,
        targets: scan.targets.clone(),
        plan: None,
        coverage: None,
        devices,
    };
    store
        .record_scan(&scan, &report, std::slice::from_ref(login))
        .unwrap();
}
