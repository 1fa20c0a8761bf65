//! Declared settings' keys among a mapping's own: a deserializer that reads as the YAML reader it
//! wraps does, with the keys of the settings it is given taken out of the mapping (a switch read
//! as `bool`, a value as text, `null` as not given) and every other key handed on to the derived
//! reader.
//! The declared settings at the file's top level (`top_level`) and in its `watch:` section
//! ([`super::watch_section`]) are read so.
//!
//! So the derived reader keeps refusing unknown keys, and an unknown key, or a registered key's
//! value of the wrong type, is reported by the YAML reader with its place in the file, as for any
//! other key.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, Visitor};

use crate::cli::setting_args::{is_switch, turned_off};
use input::setting::Declared;

/// What a sieve takes: the values of the declared settings `keyed` names, as text by key (a
/// switch `true` or `false`; a list's items joined as its flag's values are).
pub(super) struct Taken {
    /// The declared setting whose key is `key`, if the mapping holds it.
    pub keyed: fn(&str) -> Option<&'static dyn Declared>,
    pub values: BTreeMap<String, String>,
}

impl Taken {
    /// Nothing taken yet of the settings `keyed` names.
    pub fn of(keyed: fn(&str) -> Option<&'static dyn Declared>) -> Taken {
        Taken {
            keyed,
            values: BTreeMap::new(),
        }
    }
}

/// A deserializer that reads as `inner` does, the registered keys of its mapping (or of the
/// mapping an `Option` holds) put in `taken`.
pub(super) struct Sieve<'a, D> {
    pub inner: D,
    pub taken: &'a mut Taken,
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

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let taken = self.taken;
        self.inner
            .deserialize_option(SieveVisitor { visitor, taken })
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
        unit unit_struct newtype_struct seq tuple tuple_struct enum identifier ignored_any
    }
}

/// `visitor`, given the mapping through [`SieveMap`] (and what an `Option` holds through a
/// [`Sieve`]).
struct SieveVisitor<'a, V> {
    visitor: V,
    taken: &'a mut Taken,
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

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.visitor.visit_some(Sieve {
            inner: d,
            taken: self.taken,
        })
    }
}

/// A mapping without the registered keys, which go to `taken`.
struct SieveMap<'a, A> {
    map: A,
    taken: &'a mut Taken,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for SieveMap<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let mut seed = Some(seed);
        loop {
            let key = self.map.next_key_seed(KeySeed {
                seed: &mut seed,
                keyed: self.taken.keyed,
            })?;
            let setting = match key {
                None => return Ok(None),
                Some(Key::Field(field)) => return Ok(Some(field)),
                Some(Key::Setting(setting)) => setting,
            };
            // A switch is a YAML boolean, so a wrong one is the reader's error, with its place;
            // anything else any scalar or a list of them, read by the setting's parser later.
            let value = if is_switch(setting) || turned_off(setting) {
                self.map
                    .next_value::<Option<bool>>()?
                    .map(|b| b.to_string())
            } else {
                let joiner = setting.repeat().joiner().unwrap_or(",");
                self.map
                    .next_value::<Option<Scalar>>()?
                    .map(|s| s.0.join(joiner))
            };
            if let Some(v) = value {
                self.taken.values.insert(setting.key().to_string(), v);
            }
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

/// Any YAML scalar (a text, a number, a boolean), as its text, or a list of them, each item's
/// text (joined as a flag's values are, by the setting's [`input::setting::Repeat`]).
struct Scalar(Vec<String>);

impl<'de> de::Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl ScalarVisitor {
    fn one<E: de::Error>(text: String) -> Result<Scalar, E> {
        Ok(Scalar(vec![text]))
    }
}

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number, a text or a list of them")
    }

    /// A list (`ports: [554, 8554]`), each item's text.
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        let mut items = Vec::new();
        while let Some(Scalar(item)) = seq.next_element()? {
            items.extend(item);
        }
        Ok(Scalar(items))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Self::one(v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Self::one(v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Self::one(v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Self::one(v.to_string())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Self::one(v.to_string())
    }
}

/// A key of the mapping: a declared setting's, or one the derived reader takes.
enum Key<F> {
    Setting(&'static dyn Declared),
    Field(F),
}

/// Reads a key, and hands it to `seed` (the derived reader's) unless it is a setting's: inside
/// the YAML reader, so that an unknown key's error says where it is.
struct KeySeed<'a, K> {
    seed: &'a mut Option<K>,
    keyed: fn(&str) -> Option<&'static dyn Declared>,
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
        if let Some(setting) = (self.keyed)(key) {
            return Ok(Key::Setting(setting));
        }
        match self.seed.take() {
            Some(seed) => seed.deserialize(key.into_deserializer()).map(Key::Field),
            None => Err(E::custom("a key read twice")),
        }
    }
}
