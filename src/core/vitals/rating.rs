//! Ratings with the standard thresholds: a value equal to a threshold gets the better rating.

/// The five metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Name {
    /// Largest Contentful Paint
    Lcp,
    /// Interaction to Next Paint
    Inp,
    /// Cumulative Layout Shift
    Cls,
    /// First Contentful Paint
    Fcp,
    /// Time to First Byte
    Ttfb,
}

impl Name {
    /// The lower-cased key used on the wire (`values.lcp`).
    pub fn key(self) -> &'static str {
        match self {
            Name::Lcp => "lcp",
            Name::Inp => "inp",
            Name::Cls => "cls",
            Name::Fcp => "fcp",
            Name::Ttfb => "ttfb",
        }
    }

    /// (good up to, needs improvement up to).
    pub fn thresholds(self) -> (f64, f64) {
        match self {
            Name::Lcp => (2500.0, 4000.0),
            Name::Inp => (200.0, 500.0),
            Name::Cls => (0.1, 0.25),
            Name::Fcp => (1800.0, 3000.0),
            Name::Ttfb => (800.0, 1800.0),
        }
    }
}

/// A rating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rating {
    /// good
    Good,
    /// needs-improvement
    NeedsImprovement,
    /// poor
    Poor,
}

impl Rating {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Good => "good",
            Rating::NeedsImprovement => "needs-improvement",
            Rating::Poor => "poor",
        }
    }
}

/// Rates a value.
pub fn rate(name: Name, value: f64) -> Rating {
    let (good, poor) = name.thresholds();
    if value > poor {
        Rating::Poor
    } else if value > good {
        Rating::NeedsImprovement
    } else {
        Rating::Good
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_get_the_better_rating() {
        assert_eq!(rate(Name::Lcp, 2500.0), Rating::Good);
        assert_eq!(rate(Name::Lcp, 2500.1), Rating::NeedsImprovement);
        assert_eq!(rate(Name::Lcp, 4000.0), Rating::NeedsImprovement);
        assert_eq!(rate(Name::Lcp, 4000.1), Rating::Poor);
        assert_eq!(rate(Name::Cls, 0.1), Rating::Good);
        assert_eq!(rate(Name::Inp, 208.0), Rating::NeedsImprovement);
        assert_eq!(rate(Name::Ttfb, 1800.0), Rating::NeedsImprovement);
        assert_eq!(rate(Name::Fcp, 3000.5), Rating::Poor);
    }
}
