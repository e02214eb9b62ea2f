//! The command line's names for core enums: clap's `ValueEnum` for [`BackendKind`] and
//! [`Layout`], built from their `ALL` lists and names so the core carries no clap types.

use clap::ValueEnum;
use clap::builder::PossibleValue;

use crate::dataset::Layout;
use crate::model::BackendKind;

impl ValueEnum for BackendKind {
    fn value_variants<'a>() -> &'a [Self] {
        &Self::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let value = PossibleValue::new(self.name()).help(self.describe());
        Some(match self {
            Self::OnnxRuntime => value.alias("ort"),
            _ => value,
        })
    }
}

impl ValueEnum for Layout {
    fn value_variants<'a>() -> &'a [Self] {
        &Self::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()).help(self.describe()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_backend_and_layout_parses_from_its_name() {
        for b in BackendKind::ALL {
            assert_eq!(BackendKind::from_str(b.name(), false), Ok(b));
        }
        assert_eq!(
            BackendKind::from_str("ort", false),
            Ok(BackendKind::OnnxRuntime)
        );
        for l in Layout::ALL {
            assert_eq!(Layout::from_str(l.name(), false), Ok(l));
        }
    }
}
