//! One module per subcommand; each has `Args` (clap) and `run(args) -> anyhow::Result<ExitCode>`.

pub(crate) mod audit;
pub(crate) mod demo;
pub(crate) mod guard;
pub(crate) mod ingest;
pub(crate) mod media;
pub(crate) mod plant;
pub(crate) mod scan;
pub(crate) mod synth;
pub(crate) mod text;
