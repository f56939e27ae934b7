use std::path::PathBuf;

/// Everything the media engine can refuse or fail at.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// A file could not be read.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said (part of the message, so not also its `source()`).
        error: std::io::Error,
    },
    /// The bytes are not an image format the engine decodes.
    #[error("not a supported image (JPEG, PNG, GIF, WebP, BMP): {why}")]
    UnsupportedFormat {
        /// What was found instead.
        why: String,
    },
    /// The file is larger than the configured limit.
    #[error("file is {bytes} bytes, over the limit of {limit}")]
    FileTooLarge {
        /// Size of the input.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// The image's declared dimensions are over a limit (a decompression
    /// bomb, or simply too big); nothing was decoded.
    #[error("image is {width}x{height}, over the limit ({why})")]
    TooLarge {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// Which limit.
        why: String,
    },
    /// The image declares zero width or height.
    #[error("image has zero size ({width}x{height})")]
    Empty {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
    },
    /// The decoder rejected the data: truncated, corrupt or malformed.
    #[error("corrupt or truncated {format} image: {why}")]
    Corrupt {
        /// The detected format.
        format: &'static str,
        /// The decoder's message.
        why: String,
    },
    /// The file is cut short: the decoder may have returned an image (some
    /// fill the missing part), but the format's end marker is missing, so
    /// no hash is given for it.
    #[error("truncated {format} image: {why}")]
    Truncated {
        /// The detected format.
        format: &'static str,
        /// Where the file ends and what is missing.
        why: String,
    },
    /// An error about one file, named (from [`crate::decode::decode_file`]).
    #[error("{path}: {error}")]
    InFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it (part of the message, so not also its `source()`).
        error: Box<MediaError>,
    },
    /// ffmpeg could not be run or failed on a video.
    #[error("video: {why}")]
    Video {
        /// What went wrong, with ffmpeg's own message where there is one.
        why: String,
    },
    /// Lines of a hash list could not be parsed; nothing was imported.
    #[error("{source_name}: {} malformed line(s), nothing imported:{}", errors.len(), list_lines(errors))]
    BankImport {
        /// The file or stream being imported.
        source_name: String,
        /// 1-based line numbers with what is wrong with each (the first 20).
        errors: Vec<(usize, String)>,
    },
    /// A hash list as a whole cannot be imported: it holds no hash, its
    /// header names no hash column, or its kind is undeclared or contradicted.
    #[error("{source_name}: {why}")]
    BankList {
        /// The file or stream being imported.
        source_name: String,
        /// What is wrong with it.
        why: String,
    },
    /// A plain list holds 64-digit hashes and declares no kind (PDQ and
    /// SHA-256 have the same length, so the kind is never guessed).
    #[error(
        "{source_name}: line {line}: 64 hex digits are a PDQ or a SHA-256 hash; say which \
         (declare the list's kind, or put a `# kind: pdq` line before the first hash)"
    )]
    UndeclaredKind {
        /// The file or stream being imported.
        source_name: String,
        /// The first 64-digit line.
        line: usize,
    },
    /// No bank has this name.
    #[error("no bank named {name:?}")]
    NoSuchBank {
        /// The name asked for.
        name: String,
    },
    /// A search radius is above what the index answers exactly.
    #[error("radius {radius} is over the maximum of {max}")]
    Radius {
        /// The radius asked for.
        radius: u32,
        /// The largest radius.
        max: u32,
    },
    /// The index cannot take more entries (ids are 32 bits).
    #[error("the index is full: adding {adding} hashes to {held} would pass its 2^32 - 1 entries")]
    Full {
        /// Entries held.
        held: usize,
        /// Entries being added.
        adding: usize,
    },
}

fn list_lines(errors: &[(usize, String)]) -> String {
    errors.iter().map(|(line, why)| format!("\n  line {line}: {why}")).collect()
}
