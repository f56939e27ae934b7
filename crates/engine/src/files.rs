//! Media files: hashing an image or a video and matching it against banks.

use std::collections::HashSet;
use std::path::Path;

use guardrail_media::bank::{digests, digests_of};
use guardrail_media::decode::{decode, read_limited, Limits};
use guardrail_media::video::{hash_video, FrameHash, VideoOptions};
use guardrail_media::{
    BankMatch, Banks, Dihedral, Hasher, MediaError, PdqOutput, MIN_RELIABLE_QUALITY,
};

use crate::banks::check_radius;
use crate::{EngineError, Result};

/// File extensions hashed as videos (through ffmpeg) rather than images.
pub const VIDEO_EXTENSIONS: &[&str] =
    &["mp4", "m4v", "mov", "webm", "mkv", "avi", "mpg", "mpeg", "3gp", "ts"];

/// Whether `path` is hashed as a video (by its extension).
pub fn is_video(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| VIDEO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// What hashing one file gave.
#[derive(Debug)]
pub enum Hashed {
    /// An image: its PDQ hash (and, when asked, its 8 rotations and mirror
    /// images; the original first), and its bytes for the exact digests.
    Image {
        /// The variants hashed, the original first.
        variants: Vec<(Dihedral, PdqOutput)>,
        /// The file's bytes.
        bytes: Vec<u8>,
    },
    /// A video: one hash per sampled frame.
    Video(Vec<FrameHash>),
}

/// Hashes an image (format detected from the bytes, within [`Limits`]) or a
/// video (by extension, frames at `fps` through ffmpeg).
pub fn hash_file(path: &Path, hasher: &mut Hasher, dihedral: bool, fps: f64) -> Result<Hashed> {
    let failed = |source: MediaError| EngineError::MediaFile { path: path.to_owned(), source };
    if is_video(path) {
        let frames =
            hash_video(path, &VideoOptions { fps, ..VideoOptions::default() }).map_err(failed)?;
        return Ok(Hashed::Video(frames));
    }
    let limits = Limits::default();
    let bytes = read_limited(path, &limits).map_err(failed)?;
    let image = decode(&bytes, &limits).map_err(failed)?;
    let variants = if dihedral {
        Dihedral::ALL
            .into_iter()
            .zip(hasher.hash_rgb8_dihedral(&image.pixels, image.width, image.height))
            .collect()
    } else {
        vec![(Dihedral::Original, hasher.hash_rgb8(&image.pixels, image.width, image.height))]
    };
    Ok(Hashed::Image { variants, bytes })
}

/// How to match files.
#[derive(Clone, Debug)]
pub struct MatchOptions {
    /// Only this bank.
    pub bank: Option<String>,
    /// Largest PDQ distance that counts as a match (checked).
    pub radius: u32,
    /// Also match an image's rotations and mirror images.
    pub dihedral: bool,
    /// Also match perceptual hashes below the reliable quality.
    pub include_low_quality: bool,
}

impl Default for MatchOptions {
    fn default() -> MatchOptions {
        MatchOptions {
            bank: None,
            radius: crate::banks::DEFAULT_RADIUS,
            dihedral: false,
            include_low_quality: false,
        }
    }
}

/// What matching one file found.
#[derive(Debug)]
pub struct FileMatch {
    /// The matches (exact digests and perceptual hashes), each once.
    pub matches: Vec<BankMatch>,
    /// Set when the file's perceptual hash was not matched because its
    /// quality is unreliable (only its exact digests were): the file was not
    /// fully checked, so no match is not "no match".
    pub skipped_quality: Option<u8>,
}

/// Hashes `path` and matches it against `banks`: the exact digests of the
/// bytes always, the perceptual hashes when reliable (or when asked).
pub fn match_file(
    path: &Path,
    banks: &Banks,
    options: &MatchOptions,
    hasher: &mut Hasher,
) -> Result<FileMatch> {
    let radius = check_radius(options.radius)?;
    let only = options.bank.as_deref();
    let failed = |source: MediaError| EngineError::MediaFile { path: path.to_owned(), source };
    let mut matches = Vec::new();
    let mut skipped_quality = None;
    match hash_file(path, hasher, options.dihedral, 1.0)? {
        Hashed::Image { variants, bytes } => {
            matches.extend(banks.match_exact(&digests(&bytes), only).map_err(failed)?);
            let first = variants[0].1;
            if options.include_low_quality || first.is_reliable() {
                let hashes: Vec<_> = variants.iter().map(|(_, o)| o.hash).collect();
                matches.extend(banks.match_pdq(&hashes, radius, only).map_err(failed)?);
            } else {
                skipped_quality = Some(first.quality);
            }
        }
        Hashed::Video(frames) => {
            // Streamed: a video need not fit in memory to be digested.
            let read = |source| EngineError::Read { path: path.to_owned(), source };
            let file = std::fs::File::open(path).map_err(read)?;
            let sums = digests_of(std::io::BufReader::new(file)).map_err(read)?;
            matches.extend(banks.match_exact(&sums, only).map_err(failed)?);
            let good: Vec<&FrameHash> = frames
                .iter()
                .filter(|f| options.include_low_quality || f.quality >= MIN_RELIABLE_QUALITY)
                .collect();
            if good.is_empty() {
                skipped_quality = Some(frames.iter().map(|f| f.quality).max().unwrap_or(0));
            }
            let mut seen = HashSet::new();
            for f in good {
                for m in banks.match_pdq(&[f.hash], radius, only).map_err(failed)? {
                    if seen.insert((m.bank.clone(), m.hash)) {
                        matches.push(m);
                    }
                }
            }
        }
    }
    Ok(FileMatch { matches, skipped_quality })
}
