//! The config file: its shape (declared settings, by key, and its `watch:` section's), how its
//! text is read into them ([`FileValues::parse`]) and its one reading per command ([`load`]). The
//! lists of settings it holds are handed in by the commands ([`Keys`]; `cmds::FileKeys`) and
//! taken out of a mapping by a sieve (`sieve`): at its top level (`top_level`), and in its
//! `watch:` section (`watch_section`). Precedence, applied by the command that reads the file:
//! flags > env > the file > defaults.
//!
//! Doctor judges the text a command read, with the keys listed here ([`keys`], [`watch_keys`])
//! and the command's reader handed down (`doctor::FileReader`). Only the entrance names this
//! module.

mod read;
mod sieve;
mod top_level;
mod values;
mod watch_section;

/// The names of the choices the setting `key` of `settings` takes (none: not a closed set, or
/// not one of them): what a misspelt value is told it may be.
fn choice_names(
    mut settings: impl Iterator<Item = &'static dyn input::setting::Declared>,
    key: &str,
) -> Option<Vec<String>> {
    let names: Vec<String> = settings
        .find(|d| d.key() == key)?
        .choices()
        .into_iter()
        .map(|(name, _)| name.to_string())
        .collect();
    (!names.is_empty()).then_some(names)
}

pub use read::*;
pub use values::*;

/// The lists of declared settings the file holds, handed to the door by the commands that read
/// it (`cmds::FileKeys`): the door names none of them.
pub trait Keys: 'static {
    /// The top level's lists (the scan's, the report's, the formats' options, `--color`, ...).
    const TOP: &'static [&'static [&'static dyn input::setting::Declared]];
    /// The `watch:` section's (watch's own and the sinks').
    const WATCH: &'static [&'static [&'static dyn input::setting::Declared]];
}

/// Every setting of `lists`, in order.
fn each(
    lists: &'static [&'static [&'static dyn input::setting::Declared]],
) -> impl Iterator<Item = &'static dyn input::setting::Declared> {
    lists.iter().flat_map(|l| l.iter()).copied()
}

/// The keys the file's top level knows: `watch` and the settings'.
pub fn keys<K: Keys>() -> Vec<&'static str> {
    top_level::keys::<K>(struct_fields::<values::Shape<K>>())
}

/// The keys of the file's `watch:` section: watch's settings and the sinks'.
pub fn watch_keys<K: Keys>() -> Vec<&'static str> {
    watch_section::keys::<K>()
}

/// The field names a serde `Deserialize` struct accepts: what its derive hands to
/// `deserialize_struct`, caught by a deserializer that reads nothing else. So the list of
/// config keys is the struct itself and cannot drift from what a scan accepts.
fn struct_fields<'de, T: serde::Deserialize<'de>>() -> &'static [&'static str] {
    use serde::de::{self, Visitor};

    struct Catch<'a>(&'a mut &'static [&'static str]);

    impl<'de> de::Deserializer<'de> for Catch<'_> {
        type Error = de::value::Error;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("fields caught"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }

    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Catch(&mut fields));
    fields
}
