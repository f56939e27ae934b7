//! Fixed-size hashes written as lowercase hex: PDQ (256 bits), MD5, SHA-256.
//!
//! Written by hand rather than with a hex crate: it is a dozen lines and the
//! fixed-size types are what the rest of the engine wants.

use std::fmt;

/// Why a hex string was rejected.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HexError {
    /// The string had the wrong number of digits.
    #[error("expected {expected} hex digits, found {found}")]
    Length {
        /// How many digits the hash needs.
        expected: usize,
        /// How many characters the string had.
        found: usize,
    },
    /// A character was not a hex digit.
    #[error("character {ch:?} at position {position} is not a hex digit")]
    Digit {
        /// The offending character.
        ch: char,
        /// Its character position in the string.
        position: usize,
    },
}

fn decode_into(text: &str, out: &mut [u8]) -> Result<(), HexError> {
    let n_chars = text.chars().count();
    if text.len() != out.len() * 2 || n_chars != text.len() {
        return Err(HexError::Length { expected: out.len() * 2, found: n_chars });
    }
    let bytes = text.as_bytes();
    for (i, slot) in out.iter_mut().enumerate() {
        let hi = digit(bytes[2 * i], 2 * i)?;
        let lo = digit(bytes[2 * i + 1], 2 * i + 1)?;
        *slot = (hi << 4) | lo;
    }
    Ok(())
}

fn digit(byte: u8, position: usize) -> Result<u8, HexError> {
    match byte {
        b'0'..=b'9' => Ok(byte - b'0'),
        b'a'..=b'f' => Ok(byte - b'a' + 10),
        b'A'..=b'F' => Ok(byte - b'A' + 10),
        _ => Err(HexError::Digit { ch: byte as char, position }),
    }
}

fn encode(bytes: &[u8], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        let pair = [DIGITS[(b >> 4) as usize], DIGITS[(b & 15) as usize]];
        // The pair is ASCII hex digits, so it is valid UTF-8 and the unwrap cannot fail.
        f.write_str(std::str::from_utf8(&pair).unwrap())?;
    }
    Ok(())
}

macro_rules! hex_hash {
    ($(#[$doc:meta])* $name:ident, $n:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub [u8; $n]);

        impl $name {
            /// Number of bytes in the hash.
            pub const LEN: usize = $n;

            /// Parses hex digits (either case).
            pub fn from_hex(text: &str) -> Result<$name, HexError> {
                let mut out = [0u8; $n];
                decode_into(text, &mut out)?;
                Ok($name(out))
            }

            /// Lowercase hex digits.
            pub fn to_hex(&self) -> String {
                self.to_string()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                encode(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}(", stringify!($name))?;
                encode(&self.0, f)?;
                f.write_str(")")
            }
        }

        impl std::str::FromStr for $name {
            type Err = HexError;

            fn from_str(s: &str) -> Result<$name, HexError> {
                $name::from_hex(s)
            }
        }
    };
}

hex_hash!(
    /// A 256-bit PDQ perceptual hash, written as 64 hex digits in the reference's bit order.
    Pdq,
    32
);
hex_hash!(
    /// An MD5 digest (32 hex digits).
    Md5,
    16
);
hex_hash!(
    /// A SHA-256 digest (64 hex digits).
    Sha256,
    32
);
