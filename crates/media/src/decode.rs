//! Bounded image decoding to packed 8-bit RGB, through the `image` crate.
//!
//! The format is detected from the bytes, never from a file name, so a PNG
//! named `.jpg` decodes as PNG. Limits are checked on the declared header
//! dimensions before any pixel is decoded, and the decoder's own allocation
//! limit is set as well, so decompression bombs are refused cheaply.
//!
//! Colour conversion is explicit and follows what the reference vectors were
//! made with (Pillow's `convert("RGB")`): alpha is dropped (not composited),
//! grey is replicated, palettes are expanded, 16-bit samples keep their high
//! byte, floats are clamped to 0..=1 and scaled. CMYK JPEGs are converted to
//! RGB by the JPEG decoder. EXIF orientation is not applied, as the
//! reference does not apply it: a rotated photo is caught through the
//! dihedral variants instead.

use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

use crate::MediaError;

/// What the decoder accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest input file, in bytes.
    pub max_file_bytes: u64,
    /// Largest width, in pixels.
    pub max_width: u32,
    /// Largest height, in pixels.
    pub max_height: u32,
    /// Largest `width * height`.
    pub max_pixels: u64,
    /// Largest allocation the decoder may make, in bytes.
    pub max_alloc: u64,
}

impl Default for Limits {
    /// 64 MiB files, 20,000 pixels a side, 100 megapixels, 1 GiB of decoder
    /// memory: every real photo, no bomb.
    fn default() -> Limits {
        Limits {
            max_file_bytes: 64 << 20,
            max_width: 20_000,
            max_height: 20_000,
            max_pixels: 100_000_000,
            max_alloc: 1 << 30,
        }
    }
}

/// A decoded image as packed RGB bytes, row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RgbImage {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// `3 * width * height` bytes.
    pub pixels: Vec<u8>,
    /// The detected format (`jpeg`, `png`, `gif`, `webp`, `bmp`).
    pub format: &'static str,
}

fn format_name(format: ImageFormat) -> Option<&'static str> {
    Some(match format {
        ImageFormat::Jpeg => "jpeg",
        ImageFormat::Png => "png",
        ImageFormat::Gif => "gif",
        ImageFormat::WebP => "webp",
        ImageFormat::Bmp => "bmp",
        _ => return None,
    })
}

/// Reads a file whole, refusing it before reading if it is over
/// `limits.max_file_bytes`.
pub fn read_limited(path: &Path, limits: &Limits) -> Result<Vec<u8>, MediaError> {
    let io = |error| MediaError::Io { path: path.to_owned(), error };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > limits.max_file_bytes {
        return Err(MediaError::FileTooLarge { bytes: size, limit: limits.max_file_bytes });
    }
    std::fs::read(path).map_err(io)
}

/// Reads and decodes a file; see [`decode`].
pub fn decode_file(path: &Path, limits: &Limits) -> Result<RgbImage, MediaError> {
    decode(&read_limited(path, limits)?, limits)
}

/// Decodes JPEG, PNG, GIF (first frame), WebP or BMP bytes to RGB, within
/// `limits`. Never panics: every failure is a [`MediaError`].
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<RgbImage, MediaError> {
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(MediaError::FileTooLarge {
            bytes: bytes.len() as u64,
            limit: limits.max_file_bytes,
        });
    }
    let detected = image::guess_format(bytes).map_err(|_| MediaError::UnsupportedFormat {
        why: if bytes.is_empty() {
            "the input is empty".into()
        } else {
            "unrecognised file signature".into()
        },
    })?;
    let format = format_name(detected).ok_or_else(|| MediaError::UnsupportedFormat {
        why: format!("{detected:?} images are not accepted"),
    })?;
    let corrupt = |e: image::ImageError| match e {
        image::ImageError::Limits(l) => {
            MediaError::TooLarge { width: 0, height: 0, why: l.to_string() }
        }
        other => MediaError::Corrupt { format, why: other.to_string() },
    };
    let mut reader = ImageReader::new(Cursor::new(bytes));
    reader.set_format(detected);
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(MediaError::Empty { width, height });
    }
    let too_large = |why: String| MediaError::TooLarge { width, height, why };
    if width > limits.max_width || height > limits.max_height {
        return Err(too_large(format!(
            "at most {}x{} pixels",
            limits.max_width, limits.max_height
        )));
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(too_large(format!("at most {} pixels", limits.max_pixels)));
    }
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_image_width = Some(limits.max_width);
    decoder_limits.max_image_height = Some(limits.max_height);
    decoder_limits.max_alloc = Some(limits.max_alloc);
    decoder.set_limits(decoder_limits).map_err(|e| too_large(e.to_string()))?;
    let image = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(l) => too_large(l.to_string()),
        other => MediaError::Corrupt { format, why: other.to_string() },
    })?;
    Ok(RgbImage {
        width: image.width() as usize,
        height: image.height() as usize,
        pixels: to_rgb(image),
        format,
    })
}

/// Explicit conversion of every colour type the decoders produce.
fn to_rgb(image: DynamicImage) -> Vec<u8> {
    fn grey(values: impl Iterator<Item = u8>, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(3 * n);
        for v in values {
            out.extend_from_slice(&[v, v, v]);
        }
        out
    }
    fn unit(x: f32) -> u8 {
        (x.clamp(0.0, 1.0) * 255.0).round() as u8
    }
    let n = image.width() as usize * image.height() as usize;
    match image {
        DynamicImage::ImageRgb8(img) => img.into_raw(),
        DynamicImage::ImageRgba8(img) => {
            img.into_raw().chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect()
        }
        DynamicImage::ImageLuma8(img) => grey(img.into_raw().into_iter(), n),
        DynamicImage::ImageLumaA8(img) => grey(img.into_raw().into_iter().step_by(2), n),
        DynamicImage::ImageLuma16(img) => {
            grey(img.into_raw().into_iter().map(|v| (v >> 8) as u8), n)
        }
        DynamicImage::ImageLumaA16(img) => {
            grey(img.into_raw().into_iter().step_by(2).map(|v| (v >> 8) as u8), n)
        }
        DynamicImage::ImageRgb16(img) => {
            img.into_raw().into_iter().map(|v| (v >> 8) as u8).collect()
        }
        DynamicImage::ImageRgba16(img) => img
            .into_raw()
            .chunks_exact(4)
            .flat_map(|p| [(p[0] >> 8) as u8, (p[1] >> 8) as u8, (p[2] >> 8) as u8])
            .collect(),
        DynamicImage::ImageRgb32F(img) => img.into_raw().into_iter().map(unit).collect(),
        DynamicImage::ImageRgba32F(img) => img
            .into_raw()
            .chunks_exact(4)
            .flat_map(|p| [unit(p[0]), unit(p[1]), unit(p[2])])
            .collect(),
        // The enum is non-exhaustive; anything new goes through the crate's
        // own conversion.
        other => other.to_rgb8().into_raw(),
    }
}
