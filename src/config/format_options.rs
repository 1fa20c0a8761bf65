//! The formats' own options in the config file: top-level keys (`csv_delimiter:`,
//! `frigate_restream:`, `backchannel:`) that their registration names
//! ([`crate::export::options`]), not fields of [`FileConfig`].
//!
//! The file is read as before, by `FileConfig`'s derived reader with its unknown keys refused;
//! in between sits a sieve that takes the registered keys out of the top-level mapping (a switch
//! read as `bool`, a value as text, `null` as not given) and hands every other key on. So an
//! unknown key, or a value of the wrong type, is reported by the YAML reader with its place in
//! the file, as for any other key.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, Visitor};

use super::FileConfig;
use crate::export::options::option_keyed;
use crate::export::{FormatOption, FormatValues};

/// The config file `text` (not empty) read, its format options among it.
pub(super) fn from_yaml(text: &str) -> Result<FileConfig, serde_yaml::Error> {
    let mut taken = FormatValues::default();
    let mut file = FileConfig::deserialize(Sieve {
        inner: serde_yaml::Deserializer::from_str(text),
        taken: &mut taken,
    })?;
    file.format_options = taken;
    Ok(file)
}

/// The config file's keys: `FileConfig`'s fields (`fields`) and the format options'.
pub fn keys(fields: &[&'static str]) -> Vec<&'static str> {
    let mut keys = fields.to_vec();
    keys.extend(crate::export::options::options().iter().map(|o| o.key));
    keys
}

/// A deserializer that reads as `inner` does, the registered keys of its (top-level) mapping
/// put in `taken`.
struct Sieve<'a, D> {
    inner: D,
    taken: &'a mut FormatValues,
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Sieve<'_, D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let taken = self.taken;
        self.inner.deserialize_any(SieveVisitor { visitor, taken })
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let taken = self.taken;
        self.inner.deserialize_map(SieveVisitor { visitor, taken })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let taken = self.taken;
        self.inner
            .deserialize_struct(name, fields, SieveVisitor { visitor, taken })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct enum identifier ignored_any
    }
}

/// `visitor`, given the mapping through [`SieveMap`].
struct SieveVisitor<'a, V> {
    visitor: V,
    taken: &'a mut FormatValues,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for SieveVisitor<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_map(SieveMap {
            map,
            taken: self.taken,
        })
    }
}

/// A mapping without the registered keys, which go to `taken`.
struct SieveMap<'a, A> {
    map: A,
    taken: &'a mut FormatValues,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for SieveMap<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let mut seed = Some(seed);
        loop {
            let key = self.map.next_key_seed(KeySeed { seed: &mut seed })?;
            let option = match key {
                None => return Ok(None),
                Some(Key::Field(field)) => return Ok(Some(field)),
                Some(Key::Option(option)) => option,
            };
            let value = if option.is_switch() {
                self.map
                    .next_value::<Option<bool>>()?
                    .map(|b| b.to_string())
            } else {
                self.map.next_value::<Option<String>>()?
            };
            if let Some(v) = value {
                self.taken.set(option, v);
            }
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

/// A key of the mapping: a format option's, or one `FileConfig`'s reader takes.
enum Key<F> {
    Option(&'static FormatOption),
    Field(F),
}

/// Reads a key, and hands it to `seed` (the derived reader's) unless it is an option's: inside
/// the YAML reader, so that an unknown key's error says where it is.
struct KeySeed<'a, K> {
    seed: &'a mut Option<K>,
}

impl<'de, K: DeserializeSeed<'de>> DeserializeSeed<'de> for KeySeed<'_, K> {
    type Value = Key<K::Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl<'de, K: DeserializeSeed<'de>> Visitor<'de> for KeySeed<'_, K> {
    type Value = Key<K::Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        if let Some(option) = option_keyed(key) {
            return Ok(Key::Option(option));
        }
        match self.seed.take() {
            Some(seed) => seed.deserialize(key.into_deserializer()).map(Key::Field),
            None => Err(E::custom("a key read twice")),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

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
        assert!(file.ports.is_some());
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
