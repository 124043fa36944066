//! Durations as people write them in plans ("90m", "1h30m", "45s") and as they are shown.

use std::fmt::Write;

/// Parses a friendly duration into whole seconds. Rejects zero, negative and sub-second values.
pub fn parse_seconds(text: &str) -> Result<u64, String> {
    let span: jiff::Span = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a duration"))?;
    let duration = jiff::SignedDuration::try_from(span)
        .map_err(|_| format!("`{text}` uses calendar units; use h, m or s"))?;
    if duration.is_negative() || duration.is_zero() {
        return Err(format!("`{text}` must be longer than zero"));
    }
    if duration.subsec_nanos() != 0 {
        return Err(format!("`{text}` is not a whole number of seconds"));
    }
    Ok(duration.as_secs() as u64)
}

/// Shows seconds compactly: `2h 5m`, `45m`, `30s`, `0s`.
pub fn format_seconds(total: u64) -> String {
    if total == 0 {
        return "0s".into();
    }
    let (h, m, s) = (total / 3600, total % 3600 / 60, total % 60);
    let mut out = String::new();
    for (value, unit) in [(h, "h"), (m, "m"), (s, "s")] {
        if value > 0 {
            if !out.is_empty() {
                out.push(' ');
            }
            let _ = write!(out, "{value}{unit}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_friendly_durations() {
        assert_eq!(parse_seconds("60m"), Ok(3600));
        assert_eq!(parse_seconds("1h30m"), Ok(5400));
        assert_eq!(parse_seconds("1h 30m"), Ok(5400));
        assert_eq!(parse_seconds("90s"), Ok(90));
        assert_eq!(parse_seconds("2h"), Ok(7200));
        assert!(parse_seconds("").is_err());
        assert!(parse_seconds("10").is_err());
        assert!(parse_seconds("0m").is_err());
        assert!(parse_seconds("-5m").is_err());
        assert!(parse_seconds("1.5s").is_err());
        assert!(parse_seconds("ten minutes").is_err());
    }

    #[test]
    fn formats_compactly() {
        assert_eq!(format_seconds(0), "0s");
        assert_eq!(format_seconds(90), "1m 30s");
        assert_eq!(format_seconds(7500), "2h 5m");
        assert_eq!(format_seconds(3600), "1h");
    }
}
