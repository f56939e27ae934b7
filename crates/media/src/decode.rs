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

/// Reads and decodes a file; see [`decode`]. Every error names the file.
pub fn decode_file(path: &Path, limits: &Limits) -> Result<RgbImage, MediaError> {
    let in_file = |error| match error {
        MediaError::Io { .. } => error,
        other => MediaError::InFile { path: path.to_owned(), error: Box::new(other) },
    };
    decode(&read_limited(path, limits).map_err(in_file)?, limits).map_err(in_file)
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
    // Some decoders return what they decoded of a file cut short (zune-jpeg
    // fills the missing rows; PNG and GIF stop before the end), so the
    // file's own structure must reach its end marker. See: #26
    complete(detected, bytes).map_err(|why| MediaError::Truncated { format, why })?;
    Ok(RgbImage {
        width: image.width() as usize,
        height: image.height() as usize,
        pixels: to_rgb(image),
        format,
    })
}

/// Checks that a file of `format` is whole: its structure, walked from the
/// start, reaches the format's end marker (JPEG EOI, PNG IEND, GIF trailer,
/// the RIFF length of WebP). Bytes after the end marker are allowed. BMP
/// declares no end; its decoder refuses missing pixel rows itself.
fn complete(format: ImageFormat, bytes: &[u8]) -> Result<(), String> {
    match format {
        ImageFormat::Jpeg => jpeg_complete(bytes),
        ImageFormat::Png => png_complete(bytes),
        ImageFormat::Gif => gif_complete(bytes),
        ImageFormat::WebP => webp_complete(bytes),
        _ => Ok(()),
    }
}

fn be16(bytes: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?])))
}

/// Walks the marker segments and the entropy-coded scans to the EOI marker.
fn jpeg_complete(bytes: &[u8]) -> Result<(), String> {
    let n = bytes.len();
    let ends = |at: usize, inside: &str| {
        format!("the file ends at byte {at} {inside}, before the end-of-image marker (EOI)")
    };
    let mut pos = 2; // After SOI, which format detection saw.
    loop {
        if pos >= n {
            return Err(ends(n, "between segments"));
        }
        if bytes[pos] != 0xff {
            return Err(format!("expected a marker at byte {pos}, found 0x{:02x}", bytes[pos]));
        }
        // Fill bytes may precede a marker.
        while pos < n && bytes[pos] == 0xff {
            pos += 1;
        }
        let Some(&marker) = bytes.get(pos) else { return Err(ends(n, "inside a marker")) };
        pos += 1;
        match marker {
            0xd9 => return Ok(()),
            0x01 | 0xd0..=0xd7 => continue,
            _ => {}
        }
        let Some(len) = be16(bytes, pos).filter(|len| *len >= 2) else {
            return Err(ends(n, &format!("inside the length of marker 0x{marker:02x}")));
        };
        if pos + len > n {
            return Err(ends(n, &format!("inside segment 0x{marker:02x} of {len} bytes")));
        }
        pos += len;
        if marker != 0xda {
            continue;
        }
        // Entropy-coded data of a scan: up to the next marker that is not a
        // stuffed zero, a restart marker or a fill byte.
        loop {
            let Some(at) = bytes[pos..].iter().position(|b| *b == 0xff) else {
                return Err(ends(n, "inside the scan data"));
            };
            pos += at;
            match bytes.get(pos + 1) {
                None => return Err(ends(n, "inside the scan data")),
                Some(0x00 | 0xd0..=0xd7) => pos += 2,
                Some(0xff) => pos += 1,
                Some(_) => break,
            }
        }
    }
}

/// Walks the chunks to IEND.
fn png_complete(bytes: &[u8]) -> Result<(), String> {
    let n = bytes.len();
    let mut pos = 8; // After the signature.
    while pos + 8 <= n {
        let len = u32::from_be_bytes([bytes[pos], bytes[pos + 1], bytes[pos + 2], bytes[pos + 3]]);
        let name = String::from_utf8_lossy(&bytes[pos + 4..pos + 8]).into_owned();
        let end = pos as u64 + 12 + u64::from(len);
        if end > n as u64 {
            return Err(format!(
                "the file ends at byte {n}, inside chunk {name} (which needs {end} bytes), \
                 before the IEND chunk"
            ));
        }
        if name == "IEND" {
            return Ok(());
        }
        pos = end as usize;
    }
    Err(format!("the file ends at byte {n}, before the IEND chunk"))
}

/// Walks the blocks to the trailer (0x3b).
fn gif_complete(bytes: &[u8]) -> Result<(), String> {
    let n = bytes.len();
    let ends = |inside: &str| format!("the file ends at byte {n} {inside}, before the trailer");
    let table = |packed: u8| if packed & 0x80 != 0 { 3 << ((packed & 7) + 1) } else { 0 };
    let Some(&screen) = bytes.get(10) else { return Err(ends("inside the header")) };
    let mut pos = 13 + table(screen);
    // Data sub-blocks: a size byte then that many bytes, until a zero size.
    let sub_blocks = |mut pos: usize| -> Option<usize> {
        loop {
            let size = usize::from(*bytes.get(pos)?);
            pos += 1 + size;
            if size == 0 {
                return Some(pos);
            }
        }
    };
    loop {
        let Some(&block) = bytes.get(pos) else { return Err(ends("between blocks")) };
        pos = match block {
            0x3b => return Ok(()),
            0x21 => sub_blocks(pos + 2).ok_or_else(|| ends("inside an extension"))?,
            0x2c => {
                let Some(&packed) = bytes.get(pos + 9) else {
                    return Err(ends("inside an image descriptor"));
                };
                // Descriptor, local colour table, LZW code size, then the data.
                sub_blocks(pos + 10 + table(packed) + 1)
                    .ok_or_else(|| ends("inside the image data"))?
            }
            other => return Err(format!("unknown block 0x{other:02x} at byte {pos}")),
        };
    }
}

/// Checks the RIFF container's declared length against the bytes.
fn webp_complete(bytes: &[u8]) -> Result<(), String> {
    let Some(declared) = bytes.get(4..8) else {
        return Err("the file ends inside the RIFF header".into());
    };
    // Length of what follows the first 8 bytes; the slice has 4 bytes.
    let declared = u32::from_le_bytes([declared[0], declared[1], declared[2], declared[3]]);
    let needed = 8 + u64::from(declared);
    if (bytes.len() as u64) < needed {
        return Err(format!(
            "the file has {} bytes, but its RIFF header declares {needed}",
            bytes.len()
        ));
    }
    Ok(())
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

#[cfg(test)]
mod tests;
