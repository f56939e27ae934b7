//! The media engine: perceptual and exact hashes of images and videos, and
//! matching them against banks of known hashes.
//!
//! - [`pdq`]: PDQ hashes bit-compatible with Meta's reference, with the
//!   reference's quality score and the eight dihedral variants.
//! - [`decode`]: bounded decoding of JPEG, PNG, GIF, WebP and BMP to RGB.
//! - [`index`]: exact Hamming range search over PDQ hashes.
//! - [`bank`]: hash banks, their import formats, and matching against them.
//! - [`video`]: frame hashes of videos through ffmpeg, and vPDQ's match rule.
#![deny(missing_docs)]

pub mod bank;
pub mod decode;
mod error;
pub mod index;
pub mod pdq;
pub mod video;

pub use crate::bank::{BankInfo, BankMatch, Banks, HashKind, KnownHash};
pub use crate::error::MediaError;
pub use crate::index::{EntryId, HashIndex, Hit, Layout, DEFAULT_RADIUS};
pub use crate::pdq::{Dihedral, Hasher, Luma, PdqHash, PdqOutput, MIN_RELIABLE_QUALITY};
