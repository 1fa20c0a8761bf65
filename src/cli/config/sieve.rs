//! Registered keys among a mapping's own: a deserializer that reads as the YAML reader it wraps
//! does, with the keys a registration names taken out of the mapping (a switch read as `bool`, a
//! value as text, `null` as not given) and every other key handed on to the derived reader.
//! The declared settings at the file's top level (`top_level`) and in its `watch:` section
//! ([`super::watch_section`]) are read so.
//!
//! So the derived reader keeps refusing unknown keys, and an unknown key, or a registered key's
//! value of the wrong type, is reported by the YAML reader with its place in the file, as for any
//! other key.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, Visitor};

/// The values of registered options, by key, as a sieve takes them.
pub(super) trait Registry {
    /// One registered option.
    type Option: Copy;
    /// The option whose key is `key`.
    fn keyed(key: &str) -> Option<Self::Option>;
    /// Whether `option` is a switch (read as `bool`), else a value (read as text).
    fn is_switch(option: Self::Option) -> bool;
    /// Whether `option` is read from any scalar (a number, a text, a boolean) as its text: a
    /// declared setting, whose own parser reads the text.
    fn is_scalar(_option: Self::Option) -> bool {
        false
    }
    /// What joins the items of a list given for `option` (`ports: [554, 8554]`), as its flag's
    /// values are joined.
    fn joiner(_option: Self::Option) -> &'static str {
        ","
    }
    /// `option` given as `value` (a switch: `true` or `false`).
    fn take(&mut self, option: Self::Option, value: String);
}

/// A deserializer that reads as `inner` does, the registered keys of its mapping (or of the
/// mapping an `Option` holds) put in `taken`.
pub(super) struct Sieve<'a, D, R> {
    pub inner: D,
    pub taken: &'a mut R,
}

impl<'de, D: Deserializer<'de>, R: Registry> Deserializer<'de> for Sieve<'_, D, R> {
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
struct SieveVisitor<'a, V, R> {
    visitor: V,
    taken: &'a mut R,
}

impl<'de, V: Visitor<'de>, R: Registry> Visitor<'de> for SieveVisitor<'_, V, R> {
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
struct SieveMap<'a, A, R> {
    map: A,
    taken: &'a mut R,
}

impl<'de, A: MapAccess<'de>, R: Registry> MapAccess<'de> for SieveMap<'_, A, R> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let mut seed = Some(seed);
        loop {
            let key = self.map.next_key_seed(KeySeed::<K, R> {
                seed: &mut seed,
                registry: std::marker::PhantomData,
            })?;
            let option = match key {
                None => return Ok(None),
                Some(Key::Field(field)) => return Ok(Some(field)),
                Some(Key::Option(option)) => option,
            };
            let value = if R::is_scalar(option) {
                self.map
                    .next_value::<Option<Scalar>>()?
                    .map(|s| s.0.join(R::joiner(option)))
            } else if R::is_switch(option) {
                self.map
                    .next_value::<Option<bool>>()?
                    .map(|b| b.to_string())
            } else {
                self.map.next_value::<Option<String>>()?
            };
            if let Some(v) = value {
                self.taken.take(option, v);
            }
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

/// Any YAML scalar (a text, a number, a boolean), as its text, or a list of them, each item's
/// text (joined as a flag's values are, by the registry's joiner).
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

/// A key of the mapping: a registered option's, or one the derived reader takes.
enum Key<O, F> {
    Option(O),
    Field(F),
}

/// Reads a key, and hands it to `seed` (the derived reader's) unless it is an option's: inside
/// the YAML reader, so that an unknown key's error says where it is.
struct KeySeed<'a, K, R> {
    seed: &'a mut Option<K>,
    registry: std::marker::PhantomData<R>,
}

impl<'de, K: DeserializeSeed<'de>, R: Registry> DeserializeSeed<'de> for KeySeed<'_, K, R> {
    type Value = Key<R::Option, K::Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl<'de, K: DeserializeSeed<'de>, R: Registry> Visitor<'de> for KeySeed<'_, K, R> {
    type Value = Key<R::Option, K::Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        if let Some(option) = R::keyed(key) {
            return Ok(Key::Option(option));
        }
        match self.seed.take() {
            Some(seed) => seed.deserialize(key.into_deserializer()).map(Key::Field),
            None => Err(E::custom("a key read twice")),
        }
    }
}
