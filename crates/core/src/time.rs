//! RFC 3339 timestamps, kept in UTC with nanosecond precision.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};

/// An instant, as the `at` field of an event gives it.
///
/// Offsets other than `Z` are accepted and converted to UTC; the timestamp is
/// always written back in UTC with `Z`, with as many fractional digits as it has.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// Parses an RFC 3339 timestamp.
    ///
    /// The error says what is missing when the text is a prefix of a valid
    /// time (most often the time-zone offset), else what chrono found wrong.
    pub fn parse(text: &str) -> Result<Timestamp, String> {
        DateTime::parse_from_rfc3339(text).map(|t| Timestamp(t.with_timezone(&Utc))).map_err(|e| {
            match missing_part(text) {
                Some(missing) => format!("not an RFC 3339 time: missing {missing}"),
                None => format!("not an RFC 3339 time ({e})"),
            }
        })
    }

    /// Whole seconds since the Unix epoch.
    pub fn unix_seconds(self) -> i64 {
        self.0.timestamp()
    }

    /// Nanoseconds since the Unix epoch (saturating outside about 1677..2262).
    pub fn unix_nanos(self) -> i64 {
        self.0.timestamp_nanos_opt().unwrap_or(if self.0.timestamp() < 0 {
            i64::MIN
        } else {
            i64::MAX
        })
    }

    /// Microseconds since the Unix epoch (exact for every timestamp chrono can
    /// hold; sub-microsecond digits are truncated towards the past).
    pub fn unix_micros(self) -> i64 {
        self.0.timestamp_micros()
    }

    /// The clock's time now, to the microsecond (the precision the store keeps).
    /// A clock set before 1970 reads as the epoch.
    pub fn now() -> Timestamp {
        let micros = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
        Timestamp::from_unix_micros(micros).unwrap_or_else(|| Timestamp::from_unix_nanos(0))
    }

    /// The timestamp at `micros` microseconds after the Unix epoch, if representable.
    pub fn from_unix_micros(micros: i64) -> Option<Timestamp> {
        DateTime::from_timestamp_micros(micros).map(Timestamp)
    }

    /// The timestamp at `seconds` after the Unix epoch, if representable.
    pub fn from_unix_seconds(seconds: i64) -> Option<Timestamp> {
        DateTime::from_timestamp(seconds, 0).map(Timestamp)
    }

    /// The timestamp at `nanos` nanoseconds after the Unix epoch.
    pub fn from_unix_nanos(nanos: i64) -> Timestamp {
        Timestamp(DateTime::from_timestamp_nanos(nanos))
    }

    /// The RFC 3339 text, in UTC with `Z`.
    pub fn to_rfc3339(self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }
}

/// What an RFC 3339 time lacks when `text` is a well-formed beginning of one
/// (`2026-03-01`, `2026-03-01T10:00`, `2026-03-01T10:00:00.5`); `None` when
/// something in it is wrong rather than missing.
fn missing_part(text: &str) -> Option<&'static str> {
    const OFFSET: &str = "time-zone offset (Z or +hh:mm) after the time";
    let b = text.as_bytes();
    let digits =
        |from: usize, to: usize| b.get(from..to).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let at = |i: usize, allowed: &[u8]| b.get(i).is_some_and(|c| allowed.contains(c));
    if !(digits(0, 4) && at(4, b"-") && digits(5, 7) && at(7, b"-") && digits(8, 10)) {
        return None;
    }
    if b.len() == 10 {
        return Some("time of day and time-zone offset (e.g. T10:00:00Z)");
    }
    if !(at(10, b"Tt ") && digits(11, 13) && at(13, b":") && digits(14, 16)) {
        return None;
    }
    if b.len() == 16 {
        return Some("seconds and time-zone offset (e.g. :00Z)");
    }
    if !(at(16, b":") && digits(17, 19)) {
        return None;
    }
    let mut end = 19;
    if at(end, b".") {
        end += 1;
        while at(end, b"0123456789") {
            end += 1;
        }
    }
    (end == b.len()).then_some(OFFSET)
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// Serialized as its RFC 3339 text ([`Timestamp::to_rfc3339`]).
impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

/// Read from RFC 3339 text ([`Timestamp::parse`]).
impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}
