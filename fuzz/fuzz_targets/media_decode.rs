//! Decode and hash arbitrary bytes: never a panic, only errors; small limits
//! so that the fuzzer explores headers rather than spending time on pixels.
#![no_main]

use guardrail_media::decode::{decode, Limits};
use guardrail_media::Hasher;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_file_bytes: 1 << 20,
        max_width: 2048,
        max_height: 2048,
        max_pixels: 1 << 20,
        max_alloc: 64 << 20,
    };
    if let Ok(image) = decode(data, &limits) {
        assert_eq!(image.pixels.len(), 3 * image.width * image.height);
        let mut hasher = Hasher::new();
        let out = hasher.hash_rgb8(&image.pixels, image.width, image.height);
        assert!(out.quality <= 100);
        let variants = hasher.hash_rgb8_dihedral(&image.pixels, image.width, image.height);
        assert_eq!(variants[0], out);
    }
});
