//! A closed set of named values a user picks one of (`-f`'s formats, `--discovery`'s methods,
//! `--color`, `--min-severity`): each type says its values, their names and their help lines
//! here, in plain Rust, beside the type. The entrance makes clap's value lists from it
//! (`cli/choices.rs`), and everything else that reads a name (the config file, the API's
//! `{format}`, `watch --write`'s FORMAT) goes through [`Choice::from_choice`], so no layer below
//! the entrance names clap.

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

/// Declare a [`Choice`] enum once: its values in `--help`'s order, each with its name and, as its
/// doc comment, its help line (its final period dropped, as clap drops it); the first is the
/// default. A kind of document declares its formats
/// with it, beside its renderer:
///
/// ```
/// camscan::choices! {
///     /// How a list is printed.
///     pub enum ListFormat {
///         /// A table for people.
///         Table = "table",
///         /// One JSON array.
///         Json = "json",
///     }
/// }
/// use camscan::model::choice::Choice;
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

        impl $crate::model::choice::Choice for $name {
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
    fn names_are_read_exactly_or_ignoring_case() {
        assert_eq!(Two::from_choice("other-one", false), Some(Two::Other));
        assert_eq!(Two::from_choice("ONE", false), None);
        assert_eq!(Two::from_choice("ONE", true), Some(Two::One));
        assert_eq!(Two::from_choice("two", true), None);
        assert_eq!(Two::choice_names(), ["one", "other-one"]);
    }
}
