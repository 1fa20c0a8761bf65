//! One entry of a knowledge file, checked while it is read, so that serde_yaml puts the entry's
//! path (`signatures[2]`) and line on every error, including ours ("unknown vendor").
//!
//! Checks that need other entries (a named vendor exists, a `path` condition is a probe path) read
//! a [`Context`] set for the duration of one parse, in a thread-local: serde gives a `Deserialize`
//! impl no other way in, and a `DeserializeSeed` for every kind's list would be far more code.

use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

use super::{Knowledge, Probe, Vendor};

/// What every kind of entry provides.
pub trait Check {
    /// How messages name the entry (a product, a path, an id).
    fn label(&self) -> String;
    /// Two entries with the same key say the same thing (the duplicate checks).
    fn key(&self) -> String;
    /// The checks of the entry alone: a source, well-formed values.
    fn check(&self) -> Result<(), String>;
    /// The checks that need the other entries.
    fn check_in(&self, _cx: &Context) -> Result<(), String> {
        Ok(())
    }
    /// Index of the file the entry came from ([`Knowledge::files`]).
    fn from(&self) -> usize;
    fn set_from(&mut self, from: usize);
}

/// What entries may refer to: every vendor id and probe path, embedded or a user's.
#[derive(Debug, Clone, Default)]
pub struct Context {
    vendors: Vec<String>,
    probes: Vec<String>,
}

impl Context {
    pub fn of(k: &Knowledge) -> Context {
        Context {
            vendors: k.vendors.iter().map(|v| v.id.clone()).collect(),
            probes: k.probes.iter().map(|p| p.path.clone()).collect(),
        }
    }

    pub(super) fn add(&mut self, vendors: &[Entry<Vendor>], probes: &[Entry<Probe>]) {
        self.vendors.extend(vendors.iter().map(|v| v.0.id.clone()));
        self.probes.extend(probes.iter().map(|p| p.0.path.clone()));
    }

    /// `Ok` when `id` is a vendor's id.
    pub fn vendor(&self, id: &str) -> Result<(), String> {
        if self.vendors.iter().any(|v| v == id) {
            Ok(())
        } else {
            Err(format!(
                "unknown vendor {id:?}: add it under `vendors:` (`camscan signatures --kind vendors` lists the known ones)"
            ))
        }
    }

    /// `Ok` when `path` is asked on every HTTP port (a probe path).
    pub fn probe(&self, path: &str) -> Result<(), String> {
        if self.probes.iter().any(|p| p == path) {
            Ok(())
        } else {
            Err(format!(
                "path {path:?} is not a probe path, so no answer to it is ever seen: add it under `probes:`"
            ))
        }
    }
}

thread_local! {
    static CONTEXT: RefCell<Option<Context>> = const { RefCell::new(None) };
}

/// Run `f` (a parse) with `context` visible to the entries it reads.
pub fn with_context<R>(context: Option<&Context>, f: impl FnOnce() -> R) -> R {
    let previous = CONTEXT.with(|c| c.replace(context.cloned()));
    let out = f();
    CONTEXT.with(|c| c.replace(previous));
    out
}

/// An entry of kind `T`, checked as it is read.
#[derive(Debug)]
pub struct Entry<T>(pub T);

impl<'de, T> Deserialize<'de> for Entry<T>
where
    T: Deserialize<'de> + Check,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EntryVisitor<T>(PhantomData<T>);
        impl<'de, T> Visitor<'de> for EntryVisitor<T>
        where
            T: Deserialize<'de> + Check,
        {
            type Value = Entry<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an entry (keys and values)")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Entry<T>, A::Error> {
                // Inside the entry's own `deserialize_map`, so serde_yaml marks our errors with
                // the entry's path and line.
                let t = T::deserialize(de::value::MapAccessDeserializer::new(map))?;
                let checked = t.check().and_then(|()| {
                    CONTEXT.with(|c| c.borrow().as_ref().map_or(Ok(()), |cx| t.check_in(cx)))
                });
                checked.map_err(|reason| de::Error::custom(format!("{}: {reason}", t.label())))?;
                Ok(Entry(t))
            }
        }
        d.deserialize_map(EntryVisitor(PhantomData))
    }
}

/// `Ok` when `s` has text.
pub fn required(what: &str, s: &str) -> Result<(), String> {
    if s.trim().is_empty() {
        Err(format!("{what} is empty"))
    } else {
        Ok(())
    }
}

/// A vendor id: lowercase ASCII letters, digits and `-`.
pub fn vendor_id(id: &str) -> Result<(), String> {
    if !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        Ok(())
    } else {
        Err(format!(
            "vendor id {id:?} must be lowercase letters, digits and `-`"
        ))
    }
}

/// A path starting with `/`, without whitespace or control characters.
pub fn url_path(what: &str, p: &str) -> Result<(), String> {
    if !p.starts_with('/') {
        return Err(format!("{what} {p:?} must start with `/`"));
    }
    if p.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{what} {p:?} has a space or control character (percent-encode it)"
        ));
    }
    Ok(())
}
