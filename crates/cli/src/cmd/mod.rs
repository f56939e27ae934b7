//! One module per subcommand; each has `Args` (clap) and `run(args) -> anyhow::Result<ExitCode>`:
//! parse the arguments, call the composition layer (`guardrail-engine`), print.

pub(crate) mod audit;
pub(crate) mod demo;
pub(crate) mod guard;
pub(crate) mod ingest;
pub(crate) mod media;
pub(crate) mod plant;
pub(crate) mod review;
pub(crate) mod scan;
pub(crate) mod serve;
pub(crate) mod synth;
pub(crate) mod text;

use guardrail_engine::media_engine::MediaError;
use guardrail_engine::store_backend::IngestError;
use guardrail_engine::synth::SynthError;
use guardrail_engine::EngineError;

/// What the CLI adds to an engine error: the flag or command that helps
/// (the library's messages never name one).
pub(crate) fn hint(err: &EngineError) -> Option<String> {
    if let EngineError::Synth(SynthError::Setting { field, .. }) = err {
        // `synth` and `plant` flags are the configuration's field names.
        return Some(format!("--{}", field.replace('_', "-")));
    }
    let hint = match err {
        EngineError::EmptyLexicon { .. } => "give --allow-empty-lexicon if that is what you want",
        EngineError::LexiconFormat { .. } => "--lexicon-format toml|words",
        EngineError::NoDatabase { .. } => {
            "create it with `guardrail ingest` or `guardrail bank import`"
        }
        EngineError::NoEvents { .. } => "load them with `guardrail ingest`, or give --events FILE",
        EngineError::NoHashes { .. } => "import a list with `guardrail bank import`",
        EngineError::UnknownReviewer { .. } => {
            "name them under [reviewers] in the file given with --config"
        }
        EngineError::Setting { field: "cybertip.email", .. } => {
            "set email under [cybertip] in the file given with --config"
        }
        EngineError::Setting { field: "events", .. } => "give --events FILE or --database URL",
        EngineError::Ingest {
            source: IngestError::Invalid { .. } | IngestError::Conflict { .. },
            ..
        } => "--skip-invalid skips and counts such lines",
        EngineError::HashList { source: MediaError::UndeclaredKind { .. }, .. } => {
            "--kind pdq|sha256"
        }
        _ => return None,
    };
    Some(hint.to_owned())
}
