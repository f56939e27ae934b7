//! Video hashing in the manner of Meta's vPDQ: decode frames at a fixed rate
//! with ffmpeg (run as a subprocess, the Debian package), PDQ-hash each, and
//! compare two videos by the share of frames that match.
//!
//! ffmpeg is asked for raw RGB frames on a pipe (`-vf fps=RATE`,
//! `-pix_fmt rgb24`), so the engine never writes or keeps video bytes.
//! Display rotation metadata is ignored (`-noautorotate`), like EXIF
//! orientation for images: rotated copies are caught by dihedral variants.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::pdq::{Hasher, PdqHash};
use crate::MediaError;

/// How to sample a video.
#[derive(Clone, Debug, PartialEq)]
pub struct VideoOptions {
    /// Frames per second to hash (vPDQ's default is 1).
    pub fps: f64,
    /// Stop after this many frames (a bound on time and output).
    pub max_frames: usize,
    /// Refuse videos wider or taller than this.
    pub max_side: u32,
    /// The ffmpeg binary.
    pub ffmpeg: String,
    /// The ffprobe binary.
    pub ffprobe: String,
}

impl Default for VideoOptions {
    fn default() -> VideoOptions {
        VideoOptions {
            fps: 1.0,
            max_frames: 36_000,
            max_side: 8192,
            ffmpeg: "ffmpeg".into(),
            ffprobe: "ffprobe".into(),
        }
    }
}

/// One sampled frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHash {
    /// Index among the sampled frames, from 0.
    pub index: usize,
    /// Seconds from the start, in milliseconds.
    pub timestamp_ms: u64,
    /// The frame's PDQ hash.
    pub hash: PdqHash,
    /// Its quality.
    pub quality: u8,
}

fn video_error(why: impl Into<String>) -> MediaError {
    MediaError::Video { why: why.into() }
}

/// The width and height of the first video stream, by ffprobe.
fn dimensions(path: &Path, options: &VideoOptions) -> Result<(u32, u32), MediaError> {
    let out = Command::new(&options.ffprobe)
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height"])
        .args(["-of", "csv=p=0:s=x"])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            video_error(format!("cannot run {} ({e}); install ffmpeg", options.ffprobe))
        })?;
    if !out.status.success() {
        return Err(video_error(format!(
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().next().unwrap_or("").trim();
    let (w, h) = line
        .split_once('x')
        .and_then(|(w, h)| {
            Some((w.parse::<u32>().ok()?, h.trim_end_matches('x').parse::<u32>().ok()?))
        })
        .ok_or_else(|| video_error(format!("{}: no video stream", path.display())))?;
    if w == 0 || h == 0 {
        return Err(video_error(format!("{}: video has zero size", path.display())));
    }
    if w > options.max_side || h > options.max_side {
        return Err(video_error(format!(
            "{}: {w}x{h} is over the limit of {} pixels a side",
            path.display(),
            options.max_side
        )));
    }
    Ok((w, h))
}

/// Hashes a video file's frames at `options.fps`.
pub fn hash_video(path: &Path, options: &VideoOptions) -> Result<Vec<FrameHash>, MediaError> {
    if !(options.fps > 0.0 && options.fps <= 120.0) {
        return Err(video_error(format!("fps {} is not in (0, 120]", options.fps)));
    }
    let (w, h) = dimensions(path, options)?;
    let mut child = Command::new(&options.ffmpeg)
        .args(["-v", "error", "-nostdin", "-noautorotate", "-i"])
        .arg(path)
        .args(["-map", "0:v:0", "-vf", &format!("fps={}", options.fps)])
        .args(["-frames:v", &options.max_frames.to_string()])
        .args(["-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| video_error(format!("cannot run {} ({e}); install ffmpeg", options.ffmpeg)))?;
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let frame_bytes = 3 * w as usize * h as usize;
    let mut frame = vec![0u8; frame_bytes];
    let mut hasher = Hasher::new();
    let mut out = Vec::new();
    loop {
        match stdout.read_exact(&mut frame) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(video_error(format!("reading frames: {e}"))),
        }
        let pdq = hasher.hash_rgb8(&frame, w as usize, h as usize);
        let index = out.len();
        out.push(FrameHash {
            index,
            timestamp_ms: (index as f64 * 1000.0 / options.fps).round() as u64,
            hash: pdq.hash,
            quality: pdq.quality,
        });
    }
    let status = child.wait().map_err(|e| video_error(format!("waiting for ffmpeg: {e}")))?;
    let messages = err_thread.join().unwrap_or_default();
    if !status.success() {
        return Err(video_error(format!("{}: ffmpeg failed: {}", path.display(), messages.trim())));
    }
    if out.is_empty() {
        return Err(video_error(format!("{}: no frames decoded", path.display())));
    }
    Ok(out)
}

/// vPDQ's comparison thresholds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VideoMatchRule {
    /// Frames match when their hashes are within this many bits.
    pub distance: u32,
    /// Frames below this quality are left out on both sides.
    pub min_quality: u8,
    /// Share (percent) of the query's frames that must match some frame of
    /// the known video.
    pub query_pct: f64,
    /// Share (percent) of the known video's frames that must be matched.
    pub known_pct: f64,
}

impl Default for VideoMatchRule {
    fn default() -> VideoMatchRule {
        VideoMatchRule { distance: 31, min_quality: 50, query_pct: 80.0, known_pct: 80.0 }
    }
}

/// The two shares of a comparison, and whether they pass the rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VideoComparison {
    /// Percent of the query's (good) frames with a match in the known video.
    pub query_pct: f64,
    /// Percent of the known video's (good) frames matched by the query.
    pub known_pct: f64,
    /// Both shares reach their thresholds.
    pub matched: bool,
}

/// Compares two videos' frame hashes by vPDQ's rule (brute force over frame
/// pairs: videos have thousands of frames, not millions).
pub fn compare_videos(
    query: &[FrameHash],
    known: &[FrameHash],
    rule: &VideoMatchRule,
) -> VideoComparison {
    let good = |f: &&FrameHash| f.quality >= rule.min_quality;
    let q: Vec<PdqHash> = query.iter().filter(good).map(|f| f.hash).collect();
    let k: Vec<PdqHash> = known.iter().filter(good).map(|f| f.hash).collect();
    let share = |a: &[PdqHash], b: &[PdqHash]| {
        if a.is_empty() {
            return 0.0;
        }
        let n = a.iter().filter(|x| b.iter().any(|y| x.distance(y) <= rule.distance)).count();
        100.0 * n as f64 / a.len() as f64
    };
    let query_pct = share(&q, &k);
    let known_pct = share(&k, &q);
    VideoComparison {
        query_pct,
        known_pct,
        matched: query_pct >= rule.query_pct && known_pct >= rule.known_pct,
    }
}
