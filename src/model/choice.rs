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
