//! The maker zoo's table (`scripts/bench --zoo`, `scripts/maker_zoo.py`): every maker with a
//! documented main RTSP path, from camscan's built-in knowledge.
//!
//! ```text
//! cargo run --example maker_zoo > zoo.json
//! ```
//! Prints a JSON list, one object per maker in the vendor registry's order: `id`, `name` (as
//! `data/vendors.yaml` spells it), `main` (the first path of its first entry, or of its platform's:
//! what a walk that names the maker asks first, `analyze::paths::main_path`), `port` (the port
//! that entry documents, else 554), and, when the maker owns a block of the IEEE registry camscan
//! ships (one of its `organisations`), `organisation` and `mac`: an address in that block that
//! names the maker ([`knowledge::Knowledge::a_mac_of`]).

#![allow(clippy::print_stdout)] // an example program prints its table

use analyze::paths::main_path;

fn main() {
    let k = knowledge::get();
    let mut table = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for v in &k.vendors {
        if seen.contains(&v.id.as_str()) {
            continue;
        }
        seen.push(&v.id);
        let Some(id) = k.vendor(&v.id) else { continue };
        let Some(main) = main_path(k, id) else {
            continue;
        };
        let mut row = serde_json::json!({
            "id": id.as_str(),
            "name": id.display_name(),
            "main": main.path,
            "port": main.port.unwrap_or(554),
        });
        if let Some((mac, organisation)) = k.a_mac_of(id) {
            row["mac"] = mac
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(":")
                .into();
            row["organisation"] = organisation.into();
        }
        table.push(row);
    }
    println!("{}", serde_json::Value::Array(table));
}
