//! clap's value list for the one choice a positional argument takes (`camscan push TOOL`): the
//! names, order and help lines stay with its type ([`Choice`]). A setting's choices reach clap
//! through the adapter (`Setting::choices`).

use clap::ValueEnum;
use clap::builder::PossibleValue;

use input::choice::Choice;

/// `impl ValueEnum` for each type, read from its [`Choice`].
macro_rules! from_choice {
    ($($t:ty),* $(,)?) => {$(
        impl ValueEnum for $t {
            fn value_variants<'a>() -> &'a [Self] {
                <$t as Choice>::choices()
            }

            fn to_possible_value(&self) -> Option<PossibleValue> {
                let value = PossibleValue::new(Choice::choice(*self));
                Some(match Choice::choice_help(*self) {
                    Some(help) => value.help(help),
                    None => value,
                })
            }
        }
    )*};
}

from_choice!(crate::push::ToolKind);

#[cfg(test)]
mod tests {
    use super::*;

    fn same<T: ValueEnum + Choice + std::fmt::Debug>() {
        assert_eq!(T::value_variants(), T::choices());
        for v in T::choices() {
            let p = v.to_possible_value().unwrap();
            assert_eq!(p.get_name(), v.choice());
            assert_eq!(
                p.get_help().map(|h| h.to_string()).as_deref(),
                v.choice_help()
            );
            assert_eq!(T::from_str(v.choice(), false).ok(), Some(*v));
            assert_eq!(
                T::from_str(&v.choice().to_uppercase(), true).ok(),
                Some(*v),
                "{v:?}: case ignored"
            );
        }
    }

    /// Every value list clap offers is its type's own: names, order, help lines.
    #[test]
    fn clap_offers_each_choice_as_declared() {
        same::<crate::push::ToolKind>();
    }
}
