//! The formats' own options in the config file: top-level keys (`csv_delimiter:`,
//! `frigate_restream:`, `backchannel:`) that their registration names
//! ([`crate::export::options`]), not fields of [`super::FileConfig`].
//!
//! The file is read as before, by `FileConfig`'s derived reader with its unknown keys refused;
//! in between sits a sieve (`sieve`, `top_level`) that takes the
//! registered keys (and the scan settings') out of the top-level mapping and hands every other
//! key on. So an unknown key, or a value of the wrong type, is
//! reported by the YAML reader with its place in the file, as for any other key.

/// The config file's keys: `FileConfig`'s fields (`fields`) and the format options'.
pub fn keys(fields: &[&'static str]) -> Vec<&'static str> {
    let mut keys = fields.to_vec();
    keys.extend(crate::export::options::options().iter().map(|o| o.key));
    keys
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::cli::config::FileConfig;
    use crate::export::options::option_keyed;

    #[test]
    fn the_options_keys_are_read_and_others_refused_as_before() {
        let file = FileConfig::parse(
            "ports: [554]\ncsv_delimiter: \";\"\nfrigate_restream: true\nbackchannel: null\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        let csv = option_keyed("csv_delimiter").unwrap();
        let restream = option_keyed("frigate_restream").unwrap();
        let backchannel = option_keyed("backchannel").unwrap();
        assert_eq!(file.format_options.given(csv), Some(";"));
        assert!(file.format_options.on(restream));
        assert_eq!(file.format_options.given(backchannel), None);
        assert!(file.settings.contains_key("ports"));
        let e = FileConfig::parse("frigate_restream: yes please\n", Path::new("c.yaml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("c.yaml") && e.contains("line 1"), "{e}");
        let e = FileConfig::parse("ports: [554]\nprots: 1\n", Path::new("c.yaml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown field `prots`") && e.contains("line 2"),
            "{e}"
        );
    }

    /// config.example.yaml documents every format option's key (and parses to the defaults:
    /// `example_config_matches_defaults`).
    #[test]
    fn the_example_names_every_format_option() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.yaml");
        let text = std::fs::read_to_string(path).unwrap();
        for o in crate::export::options::options() {
            assert!(
                text.contains(&format!("\n{}:", o.key)),
                "config.example.yaml lacks {}",
                o.key
            );
        }
    }
}
