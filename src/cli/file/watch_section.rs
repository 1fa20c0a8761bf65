//! The config file's `watch:` section: `camscan watch`'s settings by key (the lists the commands
//! hand in, [`Keys::WATCH`]: watch's own and the sinks'), each as
//! text for its setting's parser, as the flags give them. A switch is a YAML boolean and a list a
//! YAML sequence (or one value); `null` is not given; any other key is refused, with its place in
//! the file, as at the top level.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use super::Keys;
use super::sieve::{Sieve, Taken};

/// The `watch:` section's keys.
pub fn keys<K: Keys>() -> Vec<&'static str> {
    super::each(K::WATCH).map(|d| d.key()).collect()
}

/// The names of the choices the section's setting `key` takes (none: not a closed set).
pub(super) fn choices<K: Keys>(key: &str) -> Option<Vec<String>> {
    super::choice_names(super::each(K::WATCH), key)
}

/// No key but the settings': what the sieve leaves, refused by name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoOtherKey {}

/// The `watch:` section (`FileValues::watch`'s reader): its settings' values as text by key;
/// none given (or no section): empty.
pub(super) fn read<'de, K: Keys, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    let mut taken = Taken::of(|key| super::each(K::WATCH).find(|d| d.key() == key));
    Option::<NoOtherKey>::deserialize(Sieve {
        inner: d,
        taken: &mut taken,
    })?;
    Ok(taken.values)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::cli::file::FileValues;

    /// The section's keys are read as text for their parsers: a switch as a boolean, a sink's
    /// list kept apart by line (a URL may hold a comma); an unknown key, a wrong boolean and a
    /// section key at the top level are refused with their place.
    #[test]
    fn the_sections_keys_are_read_and_others_refused() {
        let file = FileValues::parse::<crate::cmds::FileKeys>(
            "ports: [554]\nwatch:\n  every: 1h\n  down_after: 5\n  webhook_secret_file: \
             /etc/hook.secret\n  ha_discovery: true\n  listen: false\n  notify: \
             [stdout, \"webhook=http://h/a?x=1,2\"]\n  write: [go2rtc=/a, frigate=/b]\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        let w = |key: &str| file.watch.get(key).map(String::as_str);
        assert_eq!(w("every"), Some("1h"));
        assert_eq!(w("down_after"), Some("5"));
        assert_eq!(w("webhook_secret_file"), Some("/etc/hook.secret"));
        assert_eq!(w("ha_discovery"), Some("true"));
        assert_eq!(w("listen"), Some("false"));
        assert_eq!(w("notify"), Some("stdout\nwebhook=http://h/a?x=1,2"));
        assert_eq!(w("write"), Some("go2rtc=/a,frigate=/b"));
        let file = FileValues::parse::<crate::cmds::FileKeys>(
            "watch:\n  ha_discovery: null\n",
            Path::new("c.yaml"),
        );
        assert!(file.unwrap().watch.is_empty());
        for none in ["watch:\n", "watch: null\n", "ports: [554]\n"] {
            let file =
                FileValues::parse::<crate::cmds::FileKeys>(none, Path::new("c.yaml")).unwrap();
            assert!(file.watch.is_empty(), "{none:?}");
        }
        let e = FileValues::parse::<crate::cmds::FileKeys>(
            "watch:\n  ha_discovery: yes please\n",
            Path::new("c.yaml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("c.yaml") && e.contains("line 2"), "{e}");
        let e = FileValues::parse::<crate::cmds::FileKeys>(
            "watch:\n  every: 1h\n  ha_discovry: true\n",
            Path::new("c.yaml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("unknown key `watch.ha_discovry` (did you mean `watch.ha_discovery`?)")
                && e.contains("line 3"),
            "{e}"
        );
        let e =
            FileValues::parse::<crate::cmds::FileKeys>("ha_discovery: true\n", Path::new("c.yaml"))
                .unwrap_err()
                .to_string();
        assert!(
            e.contains("unknown key `ha_discovery`")
                && e.contains("belongs in the `watch:` section"),
            "only under watch: {e}"
        );
    }

    /// config.example.yaml documents every key of the section.
    #[test]
    fn the_example_names_every_key_of_the_section() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.yaml");
        let text = std::fs::read_to_string(path).unwrap();
        let watch = format!("\n{}", text.split("\nwatch:\n").nth(1).unwrap_or_default());
        for key in super::keys::<crate::cmds::FileKeys>() {
            assert!(
                watch.contains(&format!("\n  {key}:")),
                "config.example.yaml's watch: lacks {key}"
            );
        }
    }
}
