//! A closed set of named values a user picks one of (`-f`'s formats, `--discovery`'s methods,
//! `--color`, `--min-severity`): each type says its values, their names and their help lines
//! here, in plain Rust, beside the type. The entrance makes clap's value lists from it
//! (`cli/choices.rs`), and everything else that reads a name (the config file, the API's
//! `{format}`, `watch --write`'s FORMAT) goes through [`Choice::from_choice`], so no layer below
//! the entrance names clap.

use crate::setting::Repeat;

/// A type whose values a user names.
pub trait Choice: Copy + Eq + Sized + 'static {
    /// Every value, in the order `--help` lists them.
    fn choices() -> &'static [Self];

    /// Its name, as the command line, the config file and the API spell it.
    fn choice(self) -> &'static str;

    /// Its line in `--help` (no final period); `None`: the name says it.
    fn choice_help(self) -> Option<&'static str> {
        None
    }

    /// The value named `name`, ASCII case ignored when `ignore_case` (as clap compares).
    fn from_choice(name: &str, ignore_case: bool) -> Option<Self> {
        Self::choices().iter().copied().find(|c| {
            if ignore_case {
                c.choice().eq_ignore_ascii_case(name)
            } else {
                c.choice() == name
            }
        })
    }

    /// Every name, in order, for messages ("one of table, json, ...").
    fn choice_names() -> Vec<&'static str> {
        Self::choices().iter().map(|c| c.choice()).collect()
    }
}

/// `C`'s names and help lines, in order: a setting's [`crate::setting::Setting::choices`].
pub fn named<C: Choice>() -> Vec<crate::setting::Named> {
    C::choices()
        .iter()
        .map(|c| (c.choice(), c.choice_help()))
        .collect()
}

/// The value of `C` named `text` (exactly): the parser of a setting whose value is one of them.
pub fn one<C: Choice>(text: &str) -> Result<C, String> {
    C::from_choice(text.trim(), false)
        .ok_or_else(|| format!("{text:?} is not one of {}", C::choice_names().join(", ")))
}

/// [`one`], for a setting that is none of them by default.
pub fn some<C: Choice>(text: &str) -> Result<Option<C>, String> {
    one(text).map(Some)
}

/// Comma-separated values of `C` (`arp,ports`; empty: none), duplicates dropped.
pub fn many<C: Choice>(text: &str) -> Result<Vec<C>, String> {
    let mut out: Vec<C> = Vec::new();
    for item in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let c = one(item)?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out)
}

/// `-f`/`--format` of a command whose document has the formats `C`, the first its default (no
/// variable: a struct update adds one): each kind of document declares its setting with this,
/// beside its formats (`export::inventory::ROWS_FORMAT`).
pub const fn format_setting<C: Choice>(default: C) -> crate::setting::Setting<C> {
    crate::setting::Setting {
        key: "format",
        flag: "--format",
        short: Some('f'),
        repeat: Repeat::Once,
        env: "",
        value_name: "FORMAT",
        help: "Output format [default: table]",
        default,
        choices: Some(named::<C>),
        parse: one::<C>,
    }
}

/// Declare a [`Choice`] enum once: its values in `--help`'s order, each with its name and, as its
/// doc comment, its help line (its final period dropped, as clap drops it); the first is the
/// default. A kind of document declares its formats
/// with it, beside its renderer:
///
/// ```
/// input::choices! {
///     /// How a list is printed.
///     pub enum ListFormat {
///         /// A table for people.
///         Table = "table",
///         /// One JSON array.
///         Json = "json",
///     }
/// }
/// use input::choice::Choice;
/// assert_eq!(ListFormat::default(), ListFormat::Table);
/// assert_eq!(ListFormat::from_choice("json", false), Some(ListFormat::Json));
/// assert_eq!(ListFormat::Json.choice_help(), Some("One JSON array"));
/// ```
#[macro_export]
macro_rules! choices {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(#[doc = $first_help:literal])*
            $first:ident = $first_name:literal,
            $(
                $(#[doc = $help:literal])*
                $variant:ident = $variant_name:literal
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        $vis enum $name {
            $(#[doc = $first_help])*
            #[default]
            $first,
            $($(#[doc = $help])* $variant,)*
        }

        impl $crate::choice::Choice for $name {
            fn choices() -> &'static [Self] {
                &[$name::$first, $($name::$variant),*]
            }

            fn choice(self) -> &'static str {
                match self {
                    $name::$first => $first_name,
                    $($name::$variant => $variant_name,)*
                }
            }

            fn choice_help(self) -> Option<&'static str> {
                let help: &'static str = match self {
                    $name::$first => concat!($($first_help),*),
                    $($name::$variant => concat!($($help),*),)*
                };
                let help = help.trim_ascii();
                Some(help.strip_suffix('.').unwrap_or(help)).filter(|h| !h.is_empty())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Two {
        One,
        Other,
    }

    impl Choice for Two {
        fn choices() -> &'static [Self] {
            &[Two::One, Two::Other]
        }
        fn choice(self) -> &'static str {
            match self {
                Two::One => "one",
                Two::Other => "other-one",
            }
        }
    }

    #[test]
    fn a_settings_parsers_read_the_names() {
        assert_eq!(one::<Two>("other-one"), Ok(Two::Other));
        assert_eq!(
            one::<Two>("three"),
            Err(r#""three" is not one of one, other-one"#.to_string())
        );
        assert_eq!(some::<Two>("one"), Ok(Some(Two::One)));
        assert_eq!(many::<Two>(""), Ok(vec![]));
        assert_eq!(
            many::<Two>("other-one, one,other-one"),
            Ok(vec![Two::Other, Two::One])
        );
        assert!(many::<Two>("one,two").is_err());
        assert_eq!(named::<Two>(), [("one", None), ("other-one", None)]);
    }

    #[test]
    fn names_are_read_exactly_or_ignoring_case() {
        assert_eq!(Two::from_choice("other-one", false), Some(Two::Other));
        assert_eq!(Two::from_choice("ONE", false), None);
        assert_eq!(Two::from_choice("ONE", true), Some(Two::One));
        assert_eq!(Two::from_choice("two", true), None);
        assert_eq!(Two::choice_names(), ["one", "other-one"]);
    }
}
