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

/// A cosine distance: a finite number in [0, 2] (NaN, infinities and negatives are refused).
pub fn cosine_distance(s: &str) -> Result<f32, String> {
    let v: f32 = s.trim().parse().map_err(|e| format!("{e}"))?;
    if v.is_finite() && (0.0..=2.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "a cosine distance is a number from 0 to 2, got {s}"
        ))
    }
}

/// A longest side in pixels, or `full` (`None`: the image as it is).
pub fn resolution(s: &str) -> Result<Option<u32>, String> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("full") {
        return Ok(None);
    }
    match s.parse::<u32>() {
        Ok(v) if (1..=65_536).contains(&v) => Ok(Some(v)),
        _ => Err(format!("a longest side in pixels or `full`, got `{s}`")),
    }
}

/// A finite number above zero (a regularisation strength, a temperature).
pub fn positive(s: &str) -> Result<f64, String> {
    let v: f64 = s.trim().parse().map_err(|e| format!("{e}"))?;
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(format!("must be a finite number above 0, got {s}"))
    }
}

/// A fraction: a finite number in [0, 1).
pub fn fraction(s: &str) -> Result<f64, String> {
    let v: f64 = s.trim().parse().map_err(|e| format!("{e}"))?;
    if v.is_finite() && (0.0..1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "a fraction is a number from 0 up to (not including) 1, got {s}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_that_would_silently_change_a_result_are_refused() {
        for bad in ["NaN", "nan", "inf", "-0.1", "2.5"] {
            assert!(cosine_distance(bad).is_err(), "{bad}");
        }
        assert_eq!(cosine_distance("0.05"), Ok(0.05));
        for bad in ["NaN", "0", "-1", "inf"] {
            assert!(positive(bad).is_err(), "{bad}");
        }
        for bad in ["NaN", "1", "-0.5"] {
            assert!(fraction(bad).is_err(), "{bad}");
        }
        assert_eq!(fraction("0.1"), Ok(0.1));
    }

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
