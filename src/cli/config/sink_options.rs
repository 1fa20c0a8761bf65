//! The notification sinks' own options in the config file: keys of its `watch:` section
//! (`webhook_secret_file:`, `ha_discovery:`) that their registration names
//! ([`crate::notify::options`]), not fields of [`WatchFile`].
//!
//! The section is read as before, by `WatchFile`'s derived reader with its unknown keys refused;
//! in between sits a sieve (`sieve`) that takes the registered keys out of the section
//! and hands every other key on, so every error still says where it is in the file.

use serde::{Deserialize, Deserializer};

use super::WatchFile;
use super::sieve::{Registry, Sieve};
use crate::notify::options::option_keyed;
use crate::notify::{SinkOption, SinkValues};

/// The `watch:` section (`FileConfig::watch`'s reader), its sink options among it.
pub(super) fn watch_section<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<WatchFile>, D::Error> {
    let mut taken = SinkValues::default();
    let section = Option::<WatchFile>::deserialize(Sieve {
        inner: d,
        taken: &mut taken,
    })?;
    Ok(section.map(|mut w| {
        w.sink_options = taken;
        w
    }))
}

/// The `watch:` section's keys: `WatchFile`'s fields (`fields`) and the sink options'.
pub fn keys(fields: &[&'static str]) -> Vec<&'static str> {
    let mut keys = fields.to_vec();
    keys.extend(crate::notify::options::options().iter().map(|o| o.key));
    keys
}

impl Registry for SinkValues {
    type Option = &'static SinkOption;

    fn keyed(key: &str) -> Option<Self::Option> {
        option_keyed(key)
    }

    fn is_switch(option: Self::Option) -> bool {
        option.is_switch()
    }

    fn take(&mut self, option: Self::Option, value: String) {
        self.set(option, value);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::cli::config::FileConfig;

    #[test]
    fn the_sink_options_keys_are_read_and_others_refused_as_before() {
        let file = FileConfig::parse(
            "ports: [554]\nwatch:\n  every: 1h\n  webhook_secret_file: /etc/hook.secret\n  \
             ha_discovery: true\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        let w = file.watch.unwrap();
        let secret = option_keyed("webhook_secret_file").unwrap();
        let ha = option_keyed("ha_discovery").unwrap();
        assert_eq!(
            w.sink_options.path(secret),
            Some(Path::new("/etc/hook.secret"))
        );
        assert!(w.sink_options.on(ha));
        assert_eq!(w.every.as_deref(), Some("1h"));
        let file = FileConfig::parse("watch:\n  ha_discovery: null\n", Path::new("c.yaml"));
        assert_eq!(
            file.unwrap().watch.unwrap().sink_options,
            SinkValues::default()
        );
        for none in ["watch:\n", "watch: null\n", "ports: [554]\n"] {
            let file = FileConfig::parse(none, Path::new("c.yaml")).unwrap();
            assert!(file.watch.is_none(), "{none:?}");
        }
        let e = FileConfig::parse("watch:\n  ha_discovery: yes please\n", Path::new("c.yaml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("c.yaml") && e.contains("line 2"), "{e}");
        let e = FileConfig::parse(
            "watch:\n  every: 1h\n  ha_discovry: true\n",
            Path::new("c.yaml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("unknown field `ha_discovry`") && e.contains("line 3"),
            "{e}"
        );
        let e = FileConfig::parse("ha_discovery: true\n", Path::new("c.yaml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown field `ha_discovery`"),
            "only under watch: {e}"
        );
    }

    /// config.example.yaml documents every sink option's key in its `watch:` section.
    #[test]
    fn the_example_names_every_sink_option() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.yaml");
        let text = std::fs::read_to_string(path).unwrap();
        let watch = text.split("\nwatch:\n").nth(1).unwrap_or_default();
        for o in crate::notify::options::options() {
            assert!(
                watch.contains(&format!("\n  {}:", o.key)),
                "config.example.yaml's watch: lacks {}",
                o.key
            );
        }
    }
}
