//! The clock as an input: the instant a login happens, to the millisecond.
//!
//! Real logins happen at any millisecond, and `jsonwebtoken` writes `iat = Math.floor(Date.now() / 1000)`:
//! a port that rounds, or truncates towards zero before 1970, differs only when the clock has a
//! sub-second part. So every case carries a [`Now`] in milliseconds; the reference floors it, the Node
//! runtime freezes `Date` at it, the protocol sends both `now` (whole seconds, what old adapters read)
//! and `now_ms`, and the mocks judge expiry against it.

use std::fmt;

/// An instant, in whole milliseconds since the Unix epoch, within JavaScript's `Date` range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Now(i64);

/// The clock fixtures and generated cases use when they pin none: 2025-11-24T16:00:00Z.
pub const DEFAULT_NOW: i64 = 1_764_000_000;

/// Largest `now` in seconds that keeps `now * 1000` within JavaScript's Date range (±8.64e15 ms).
pub const MAX_NOW: i64 = 8_640_000_000_000;

/// Largest `now` in milliseconds: JavaScript's Date range.
pub const MAX_NOW_MS: i64 = MAX_NOW * 1000;

impl Now {
    /// [`DEFAULT_NOW`], at a whole second.
    pub const DEFAULT: Now = Now(DEFAULT_NOW * 1000);

    /// The instant `seconds` whole seconds after the epoch (clamped to JavaScript's Date range).
    pub const fn from_seconds(seconds: i64) -> Now {
        let clamped = if seconds > MAX_NOW {
            MAX_NOW
        } else if seconds < -MAX_NOW {
            -MAX_NOW
        } else {
            seconds
        };
        Now(clamped * 1000)
    }

    /// The instant `millis` milliseconds after the epoch, or why it is not a JavaScript date.
    pub fn from_millis(millis: i64) -> Result<Now, String> {
        if (-MAX_NOW_MS..=MAX_NOW_MS).contains(&millis) {
            Ok(Now(millis))
        } else {
            Err(format!("{millis} ms is outside JavaScript's Date range (±{MAX_NOW_MS} ms)"))
        }
    }

    /// The wall clock, to the millisecond.
    pub fn wall() -> Now {
        let millis = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
        Now(i64::try_from(millis).unwrap_or(MAX_NOW_MS).min(MAX_NOW_MS))
    }

    /// Milliseconds since the epoch (`Date.now()`).
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// Whole seconds since the epoch, floored as `Math.floor(Date.now() / 1000)` floors (the `iat`
    /// jsonwebtoken writes).
    pub const fn seconds(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// The millisecond within the second, 0–999.
    pub const fn subsec_millis(self) -> u16 {
        self.0.rem_euclid(1000) as u16
    }

    /// Whether the instant falls on a whole second.
    pub const fn is_whole_second(self) -> bool {
        self.subsec_millis() == 0
    }
}

/// Seconds since the epoch, with the milliseconds when there are any: `1764000000`, `1764000000.250`.
impl fmt::Display for Now {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_whole_second() {
            return write!(f, "{}", self.seconds());
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:03}", magnitude / 1000, magnitude % 1000)
    }
}

/// The wall clock in whole seconds since the epoch.
pub fn wall_clock_now() -> i64 {
    Now::wall().seconds()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_floor_as_javascript_does() {
        let at = |ms| Now::from_millis(ms).unwrap();
        assert_eq!((at(1_764_000_000_999).seconds(), at(1_764_000_000_999).subsec_millis()), (1_764_000_000, 999));
        assert_eq!((at(-1).seconds(), at(-1).subsec_millis()), (-1, 999), "Math.floor(-0.001) is -1");
        assert_eq!(at(-1500).seconds(), -2);
        assert_eq!(Now::from_seconds(5).millis(), 5000);
        assert!(Now::from_millis(MAX_NOW_MS + 1).is_err());
        assert_eq!(Now::from_seconds(i64::MAX).seconds(), MAX_NOW);
    }

    #[test]
    fn display_shows_milliseconds_only_when_there_are_some() {
        assert_eq!(Now::DEFAULT.to_string(), "1764000000");
        assert_eq!(Now::from_millis(1_764_000_000_250).unwrap().to_string(), "1764000000.250");
        assert_eq!(Now::from_millis(-1).unwrap().to_string(), "-0.001", "the value, not floor and remainder");
    }
}
