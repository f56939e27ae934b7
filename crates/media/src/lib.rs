//! The media engine: perceptual and exact hashes of images and videos, and
//! matching them against banks of known hashes.
//!
//! - [`pdq`]: PDQ hashes bit-compatible with Meta's reference, with the
//!   reference's quality score and the eight dihedral variants.
//! - [`decode`]: bounded decoding of JPEG, PNG, GIF, WebP and BMP to RGB.
#![deny(missing_docs)]

mod buf;
pub mod decode;
mod error;
pub mod index;
pub mod pdq;

pub use crate::error::MediaError;
pub use crate::index::{EntryId, HashIndex, Hit, DEFAULT_RADIUS};
pub use crate::pdq::{Dihedral, Hasher, Luma, PdqHash, PdqOutput, MIN_RELIABLE_QUALITY};
