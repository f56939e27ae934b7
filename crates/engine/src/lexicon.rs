//! Lexicons: the one place a deployment reads lexicon files and compiles them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use guardrail_core::Lexicon;
use guardrail_text::Matcher;

use crate::{EngineError, Result};

/// The starter lexicon shipped for deployments (terms named in public reporting).
pub const STARTER_LEXICON: BuiltIn =
    BuiltIn { name: "starter", toml: include_str!("../../../lexicons/starter.toml") };
/// The invented test lexicon synthetic worlds are planted from.
pub const TEST_LEXICON: BuiltIn = BuiltIn { name: "test", toml: guardrail_synth::TEST_LEXICON };

/// A lexicon compiled into the binary.
#[derive(Clone, Copy, Debug)]
pub struct BuiltIn {
    /// Its name in messages.
    pub name: &'static str,
    /// Its TOML text.
    pub toml: &'static str,
}

impl BuiltIn {
    /// The parsed lexicon.
    pub fn lexicon(&self) -> Result<Lexicon> {
        Lexicon::from_toml(self.toml).map_err(|source| EngineError::Lexicon {
            path: PathBuf::from(format!("<built-in {} lexicon>", self.name)),
            source: Box::new(source),
        })
    }

    /// The compiled lexicon.
    pub fn matcher(&self) -> Result<Matcher> {
        compile(self.lexicon()?, self.name)
    }
}

/// What a lexicon file is, as declared by its name or by the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LexiconFormat {
    /// The TOML lexicon format (docs/LEXICON.md): `format = 1` required, unknown keys refused.
    Toml,
    /// A plain list: one term or phrase a line, `#` comments; each a `block` entry.
    Words,
}

impl LexiconFormat {
    /// The names callers may give: `toml`, `words`.
    pub const NAMES: [&'static str; 2] = ["toml", "words"];

    /// Parses `toml` or `words`.
    pub fn parse(name: &str) -> Option<LexiconFormat> {
        match name {
            "toml" => Some(LexiconFormat::Toml),
            "words" => Some(LexiconFormat::Words),
            _ => None,
        }
    }

    /// The format a file's name declares: `.toml` or `.txt`; any other name is not a declaration.
    pub fn of_path(path: &Path) -> Option<LexiconFormat> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "toml" => Some(LexiconFormat::Toml),
            "txt" => Some(LexiconFormat::Words),
            _ => None,
        }
    }
}

/// Where a deployment's lexicon comes from: a file (with its declared
/// format), or nothing (the caller's default applies).
#[derive(Clone, Debug, Default)]
pub struct LexiconSource {
    /// The file, if any.
    pub path: Option<PathBuf>,
    /// Its format; by default what the name declares.
    pub format: Option<LexiconFormat>,
    /// Accept a file with no entries (refused otherwise: it would match nothing).
    pub allow_empty: bool,
    /// The built-in lexicon used when no file is given (none by default).
    pub built_in: Option<BuiltIn>,
}

impl LexiconSource {
    /// A lexicon file whose name declares its format.
    pub fn file(path: impl Into<PathBuf>) -> LexiconSource {
        LexiconSource { path: Some(path.into()), ..LexiconSource::default() }
    }

    /// A built-in lexicon.
    pub fn built_in(lexicon: BuiltIn) -> LexiconSource {
        LexiconSource { built_in: Some(lexicon), ..LexiconSource::default() }
    }

    /// The lexicon file, or the built-in one, if either was given.
    pub fn load(&self) -> Result<Option<Lexicon>> {
        match (&self.path, self.built_in) {
            (Some(path), _) => read_file(path, self.format, self.allow_empty).map(Some),
            (None, Some(built_in)) => built_in.lexicon().map(Some),
            (None, None) => Ok(None),
        }
    }

    /// The lexicon's name in messages.
    fn name(&self) -> String {
        match (&self.path, self.built_in) {
            (Some(path), _) => path.display().to_string(),
            (None, Some(built_in)) => built_in.name.to_owned(),
            (None, None) => String::new(),
        }
    }

    /// The lexicon file, or `default` without one.
    pub fn load_or(&self, default: BuiltIn) -> Result<Lexicon> {
        match self.load()? {
            Some(lexicon) => Ok(lexicon),
            None => default.lexicon(),
        }
    }

    /// The compiled lexicon file, if one was given.
    pub fn matcher(&self) -> Result<Option<Arc<Matcher>>> {
        let Some(lexicon) = self.load()? else { return Ok(None) };
        Ok(Some(Arc::new(compile(lexicon, &self.name())?)))
    }

    /// The compiled lexicon file, or `default` without one.
    pub fn matcher_or(&self, default: BuiltIn) -> Result<Matcher> {
        let name = match self.name() {
            name if name.is_empty() => default.name.to_owned(),
            name => name,
        };
        compile(self.load_or(default)?, &name)
    }
}

/// Compiles a lexicon (`name` for errors).
pub fn compile(lexicon: Lexicon, name: &str) -> Result<Matcher> {
    Matcher::new(lexicon)
        .map_err(|source| EngineError::Compile { name: name.to_owned(), source: Box::new(source) })
}

/// Reads a lexicon file by what it declares: `format`, or else its name
/// (`.toml`, `.txt`); a name that declares nothing is refused, so a TOML file
/// is never read as a word list or the reverse. A lexicon with no entries is
/// refused unless `allow_empty`. Every lexicon file a deployment reads goes
/// through here.
pub fn read_file(path: &Path, format: Option<LexiconFormat>, allow_empty: bool) -> Result<Lexicon> {
    let Some(format) = format.or_else(|| LexiconFormat::of_path(path)) else {
        return Err(EngineError::LexiconFormat { path: path.to_owned() });
    };
    let text = std::fs::read_to_string(path)
        .map_err(|source| EngineError::Read { path: path.to_owned(), source })?;
    let lexicon = match format {
        LexiconFormat::Toml => Lexicon::from_toml(&text),
        LexiconFormat::Words => Lexicon::from_word_list(&path.display().to_string(), &text),
    }
    .map_err(|source| EngineError::Lexicon { path: path.to_owned(), source: Box::new(source) })?;
    if lexicon.entries.is_empty() && !allow_empty {
        return Err(EngineError::EmptyLexicon { path: path.to_owned() });
    }
    Ok(lexicon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_that_declares_nothing_is_refused_and_an_empty_list_too() {
        let dir = tempfile::tempdir().unwrap();
        let odd = dir.path().join("terms.lst");
        std::fs::write(&odd, "vorblat\n").unwrap();
        assert!(matches!(read_file(&odd, None, false), Err(EngineError::LexiconFormat { .. })));
        assert_eq!(read_file(&odd, Some(LexiconFormat::Words), false).unwrap().entries.len(), 1);
        let empty = dir.path().join("empty.txt");
        std::fs::write(&empty, "# nothing\n").unwrap();
        assert!(matches!(read_file(&empty, None, false), Err(EngineError::EmptyLexicon { .. })));
        assert!(read_file(&empty, None, true).unwrap().entries.is_empty());
    }

    #[test]
    fn built_in_lexicons_compile() {
        assert!(STARTER_LEXICON.matcher().is_ok());
        assert!(TEST_LEXICON.matcher().is_ok());
        assert!(LexiconSource::default().matcher().unwrap().is_none());
    }
}
