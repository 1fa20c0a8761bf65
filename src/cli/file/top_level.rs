//! The config file's top level: its `watch:` section, and the declared settings it holds (the
//! lists the commands hand in, [`Keys::TOP`]: the formats' options, the scan's, the report's,
//! `--color`), taken out of the mapping by the sieve
//! ([`super::sieve`]) before the derived reader sees it, as text by key for their parsers (a
//! switch as a YAML boolean, so a wrong one is the reader's error with its place).

use serde::Deserialize;

use super::sieve::{Sieve, Taken};
use super::{FileValues, Keys, Shape};

/// The config file's top-level keys: the shape's own (`watch`, `fields`) and the settings'.
pub fn keys<K: Keys>(fields: &[&'static str]) -> Vec<&'static str> {
    let mut keys = fields.to_vec();
    keys.extend(super::each(K::TOP).map(|d| d.key()));
    keys
}

/// The names of the choices the top-level setting `key` takes (none: not a closed set).
pub(super) fn choices<K: Keys>(key: &str) -> Option<Vec<String>> {
    super::choice_names(super::each(K::TOP), key)
}

/// The config file `text` (not empty) read: the settings' values as text by key.
pub(super) fn from_yaml<K: Keys>(text: &str) -> Result<FileValues, serde_yaml::Error> {
    let mut taken = Taken::of(|key| super::each(K::TOP).find(|d| d.key() == key));
    let shape = Shape::<K>::deserialize(Sieve {
        inner: serde_yaml::Deserializer::from_str(text),
        taken: &mut taken,
    })?;
    Ok(FileValues {
        settings: taken.values,
        watch: shape.watch,
        ..FileValues::default()
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;
    use crate::scan::settings::SCAN;
    use input::setting::Settings;

    /// A scan setting is a top-level key, a number or a text; an unknown key is still refused
    /// with its place, and a setting's bad value is its parser's error when resolved.
    #[test]
    fn the_settings_keys_are_read_from_the_top_level() {
        let file = FileValues::parse::<crate::cmds::FileKeys>(
            "arp_rate: 300\nmedia_rate: \"20\"\nconcurrency: null\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        assert_eq!(
            file.settings.get("arp_rate").map(String::as_str),
            Some("300")
        );
        assert_eq!(
            file.settings.get("media_rate").map(String::as_str),
            Some("20")
        );
        assert!(
            !file.settings.contains_key("concurrency"),
            "null: not given"
        );
        let e = FileValues::parse::<crate::cmds::FileKeys>("arp_rat: 300\n", Path::new("c.yaml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown key `arp_rat` (did you mean `arp_rate`?)"),
            "{e}"
        );
        let s = Settings::resolve(SCAN, &BTreeMap::new(), &file.settings).unwrap();
        assert_eq!(s.get(&crate::discovery::arp::ARP_RATE), 300);
        assert_eq!(s.get(&net::media_budget::MEDIA_RATE), Some(20));
        let bad: BTreeMap<String, String> = [("per_host".to_string(), "0".to_string())].into();
        let (key, value, why) = Settings::resolve(SCAN, &BTreeMap::new(), &bad).unwrap_err();
        assert_eq!((key, value.as_str()), ("per_host", "0"));
        assert!(why.contains("at least 1"), "{why}");
    }

    #[test]
    fn the_options_keys_are_read_and_others_refused_as_before() {
        let file = FileValues::parse::<crate::cmds::FileKeys>(
            "ports: [554]\ncsv_delimiter: \";\"\nfrigate_restream: true\nbackchannel: null\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        let given = |key: &str| file.settings.get(key).map(String::as_str);
        assert_eq!(given("csv_delimiter"), Some(";"));
        assert_eq!(given("frigate_restream"), Some("true"));
        assert_eq!(given("backchannel"), None, "null: not given");
        assert!(file.settings.contains_key("ports"));
        let e = FileValues::parse::<crate::cmds::FileKeys>(
            "frigate_restream: yes please\n",
            Path::new("c.yaml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("c.yaml") && e.contains("line 1"), "{e}");
        let e = FileValues::parse::<crate::cmds::FileKeys>(
            "ports: [554]\nprots: 1\n",
            Path::new("c.yaml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("unknown key `prots` (did you mean `ports`?) at line 2"),
            "{e}"
        );
    }

    /// The file's own lists and the keys other lists' flags give are settings too: a list or one
    /// text, a credential or a path with a comma in it kept whole, and each value read by its
    /// setting's parser when asked for, a bad one the error naming its key.
    #[test]
    fn the_files_own_keys_are_settings() {
        use store::settings::{DB, SITE};
        use table_writer::WIDTH;
        let file = FileValues::parse::<crate::cmds::FileKeys>(
            "targets: 198.18.0.0/24, 198.18.1.7\ncredentials: [\"admin:a,b\", \"198.18.0.9 root:x\"]\n\
             paths: [\"/cam?ch=1,2\"]\nsignatures: [a.yaml, b.yaml]\ndb: /srv/i.db\nsite: lab\n\
             width: 120\ncolor: never\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        let get = |s| file.get(s).unwrap();
        assert_eq!(
            get(&crate::discovery::targets::TARGETS),
            ["198.18.0.0/24", "198.18.1.7"]
        );
        assert_eq!(
            get(&credentials::ENTRIES),
            ["admin:a,b", "198.18.0.9 root:x"]
        );
        assert_eq!(get(&analyze::hints::ENTRIES), ["/cam?ch=1,2"]);
        assert_eq!(
            file.get(&knowledge::listing::SIGNATURES).unwrap(),
            [std::path::PathBuf::from("a.yaml"), "b.yaml".into()]
        );
        assert_eq!(
            file.get(&DB).unwrap(),
            Some(std::path::PathBuf::from("/srv/i.db"))
        );
        assert_eq!(file.get(&SITE).unwrap().as_deref(), Some("lab"));
        assert_eq!(file.get(&WIDTH).unwrap(), Some(120));
        assert_eq!(
            file.get(&crate::cli::COLOR).unwrap(),
            Some(input::environment::ColorChoice::Never)
        );
        let list = FileValues::parse::<crate::cmds::FileKeys>(
            "targets: [198.18.0.1, 198.18.0.2]\n",
            Path::new("c.yaml"),
        );
        assert_eq!(
            list.unwrap()
                .get(&crate::discovery::targets::TARGETS)
                .unwrap(),
            ["198.18.0.1", "198.18.0.2"]
        );
        let bad = FileValues::parse::<crate::cmds::FileKeys>(
            "color: pink\nwidth: -1\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        let e = bad.get(&crate::cli::COLOR).unwrap_err().to_string();
        assert!(e.contains("\"pink\" for color"), "{e}");
        assert!(bad.get(&WIDTH).is_err());
        let none = FileValues::default();
        assert_eq!(none.get(&DB).unwrap(), None, "not given: the default");
    }

    /// config.example.yaml documents every format option's key (and parses to the defaults:
    /// `example_config_matches_defaults`).
    #[test]
    fn the_example_names_every_format_option() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.yaml");
        let text = std::fs::read_to_string(path).unwrap();
        for o in export::OPTIONS {
            assert!(
                text.contains(&format!("\n{}:", o.key())),
                "config.example.yaml lacks {}",
                o.key()
            );
        }
    }
}
