//! Timestamps: milliseconds since the Unix epoch to RFC 3339 (`2026-08-24T10:15:02.123Z`),
//! written by hand so the agent needs neither chrono nor `core::fmt`.

use crate::prelude::*;

fn push_padded(out: &mut String, v: u64, width: usize) {
    let mut digits = 1;
    let mut rest = v / 10;
    while rest > 0 {
        digits += 1;
        rest /= 10;
    }
    for _ in digits..width {
        out.push('0');
    }
    super::json::push_u64(out, v);
}

/// Days since 1970-01-01 to a civil (year, month, day), after Howard Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i64, u64, u64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097) as u64;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i64 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Formats epoch milliseconds as RFC 3339 UTC with millisecond precision.
pub fn rfc3339(epoch_ms: f64) -> String {
    let ms = if epoch_ms.is_finite() && epoch_ms > 0.0 {
        epoch_ms as i64
    } else {
        0
    };
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000) as u64;
    let (y, m, d) = civil_from_days(days);
    let mut out = String::with_capacity(24);
    push_padded(&mut out, y.max(0) as u64, 4);
    out.push('-');
    push_padded(&mut out, m, 2);
    out.push('-');
    push_padded(&mut out, d, 2);
    out.push('T');
    push_padded(&mut out, rem / 3_600_000, 2);
    out.push(':');
    push_padded(&mut out, rem / 60_000 % 60, 2);
    out.push(':');
    push_padded(&mut out, rem / 1000 % 60, 2);
    out.push('.');
    push_padded(&mut out, rem % 1000, 3);
    out.push('Z');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(0.0), "1970-01-01T00:00:00.000Z");
        // 2026-08-24T10:15:02.123Z
        assert_eq!(rfc3339(1_787_566_502_123.0), "2026-08-24T10:15:02.123Z");
        // a leap day
        assert_eq!(rfc3339(951_782_400_000.0), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339(1_798_761_599_999.4), "2026-12-31T23:59:59.999Z");
    }
}
