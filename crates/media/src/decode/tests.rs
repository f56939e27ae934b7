//! Decoding generated images, whole and cut short.

use super::*;

/// A 96x64 image with structure in it (gradients and a few blocks), so that
/// every encoder writes many bytes of entropy-coded data.
fn picture() -> image::RgbImage {
    image::RgbImage::from_fn(96, 64, |x, y| {
        let block = ((x / 12) + (y / 8)) % 3;
        image::Rgb([(x * 5 % 256) as u8, (y * 7 % 256) as u8, (block * 90) as u8])
    })
}

fn encoded(format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let picture = picture();
    match format {
        // GIF and WebP want RGBA here.
        ImageFormat::Gif | ImageFormat::WebP => {
            DynamicImage::ImageRgb8(picture).to_rgba8().write_to(&mut out, format).unwrap()
        }
        _ => picture.write_to(&mut out, format).unwrap(),
    }
    out.into_inner()
}

const FORMATS: [ImageFormat; 5] =
    [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Gif, ImageFormat::WebP, ImageFormat::Bmp];

#[test]
fn whole_images_decode() {
    for format in FORMATS {
        let bytes = encoded(format);
        let image = decode(&bytes, &Limits::default()).unwrap();
        assert_eq!((image.width, image.height), (96, 64), "{format:?}");
        assert_eq!(image.pixels.len(), 3 * 96 * 64);
    }
}

// See: #26
#[test]
fn a_jpeg_with_a_third_cut_is_an_error_not_a_silent_hash() {
    let bytes = encoded(ImageFormat::Jpeg);
    let cut = &bytes[..bytes.len() * 2 / 3];
    let err = decode(cut, &Limits::default()).unwrap_err();
    assert!(matches!(err, MediaError::Truncated { format: "jpeg", .. }), "{err}");
    let text = err.to_string();
    assert!(text.starts_with("truncated jpeg image: the file ends at byte"), "{text}");
    assert!(text.contains("end-of-image marker (EOI)"), "{text}");
}

// See: #26
#[test]
fn every_format_cut_short_is_an_error() {
    for format in FORMATS {
        let bytes = encoded(format);
        for keep in [bytes.len() / 3, bytes.len() / 2, bytes.len() * 2 / 3, bytes.len() - 1] {
            let result = decode(&bytes[..keep], &Limits::default());
            let err = result.map(|_| ()).unwrap_err();
            assert!(
                matches!(err, MediaError::Truncated { .. } | MediaError::Corrupt { .. }),
                "{format:?} cut to {keep} of {} bytes: {err}",
                bytes.len()
            );
        }
    }
}

#[test]
fn bytes_after_the_end_marker_are_accepted() {
    for format in FORMATS {
        let mut bytes = encoded(format);
        bytes.extend_from_slice(b"trailing bytes after the image");
        let image =
            decode(&bytes, &Limits::default()).unwrap_or_else(|e| panic!("{format:?}: {e}"));
        assert_eq!((image.width, image.height), (96, 64));
    }
}

// See: #26
#[test]
fn decode_file_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.jpg");
    let bytes = encoded(ImageFormat::Jpeg);
    std::fs::write(&path, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let err = decode_file(&path, &Limits::default()).unwrap_err().to_string();
    assert!(err.starts_with(&format!("{}: truncated jpeg image", path.display())), "{err}");
}
