//! A matcher that can be replaced while it is being used.

use std::sync::Arc;

use arc_swap::ArcSwap;
use guardrail_core::Lexicon;

use crate::{Matcher, TextError};

/// A [`Matcher`] shared between threads and reloadable without a restart:
/// readers take a snapshot with [`SharedMatcher::load`] (lock-free), and
/// [`SharedMatcher::reload`] compiles a new lexicon off to the side and swaps
/// it in. Checks already running finish on the old one. A lexicon that fails
/// to compile leaves the current matcher in place.
pub struct SharedMatcher {
    current: ArcSwap<Matcher>,
}

impl SharedMatcher {
    /// Starts with `matcher`.
    pub fn new(matcher: Matcher) -> SharedMatcher {
        SharedMatcher { current: ArcSwap::from_pointee(matcher) }
    }

    /// The matcher in use now.
    pub fn load(&self) -> Arc<Matcher> {
        self.current.load_full()
    }

    /// Compiles `lexicon` and makes it current.
    pub fn reload(&self, lexicon: Lexicon) -> Result<(), TextError> {
        let matcher = Matcher::new(lexicon)?;
        self.current.store(Arc::new(matcher));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use guardrail_core::Surface;

    #[test]
    fn reload_swaps_and_a_bad_lexicon_keeps_the_old_one() {
        let shared =
            SharedMatcher::new(Matcher::new(Lexicon::parse("a", "vorblat").unwrap()).unwrap());
        let before = shared.load();
        shared.reload(Lexicon::parse("b", "quimzel").unwrap()).unwrap();
        assert!(shared.load().check("quimzel", Surface::Bio).unwrap().matches.len() == 1);
        assert!(before.check("vorblat", Surface::Bio).unwrap().matches.len() == 1);
        let bad = Lexicon::from_toml(
            "format = 1\nname = \"x\"\n[[entry]]\nkind = \"pattern\"\ntext = \"(\"\ncategory = \"c\"\nseverity = \"block\"",
        )
        .unwrap();
        assert!(shared.reload(bad).is_err());
        assert!(shared.load().check("quimzel", Surface::Bio).unwrap().matches.len() == 1);
    }
}
