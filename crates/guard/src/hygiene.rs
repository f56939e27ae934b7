//! Interaction hygiene: the events a recommender may learn from.
//!
//! A recommender that learns from every interaction turns one curious view
//! of a seller into "suggested for you: more sellers", for the viewer and for
//! the viewer's followers. [`Hygiene`] drops, before a recommender sees them,
//! every interaction with or by a flagged account (the policy's
//! `hygiene.drop_tiers` and flagged networks), posts by flagged accounts (so
//! their hashtags are not learnt as co-used), and searches by flagged
//! accounts or for terms the text engine rates above what suggestions allow
//! (so autocomplete never learns them). Everything else passes unchanged.

use guardrail_core::{Event, EventKind, Surface as TextSurface, ViewTarget};
use rustc_hash::FxHashSet;

use crate::decide::Guard;

/// A stateful filter over an event stream (it remembers which posts flagged
/// accounts wrote, to drop likes, comments and views of them).
#[derive(Debug)]
pub struct Hygiene<'g> {
    guard: &'g Guard,
    flagged_posts: FxHashSet<Box<str>>,
    dropped: u64,
    kept: u64,
}

impl<'g> Hygiene<'g> {
    /// A filter applying `guard`'s policy and state.
    pub fn new(guard: &'g Guard) -> Hygiene<'g> {
        Hygiene { guard, flagged_posts: FxHashSet::default(), dropped: 0, kept: 0 }
    }

    /// Tells the filter who wrote a post it did not see (posts from before
    /// the stream it filters).
    pub fn note_post(&mut self, post: &str, author: &str) {
        if self.guard.hygiene_flagged(author) {
            self.flagged_posts.insert(post.into());
        }
    }

    /// Whether an interaction of `actor` with `target` may be learnt from.
    pub fn keep_interaction(&self, actor: &str, target: &str) -> bool {
        !self.guard.hygiene_flagged(actor) && !self.guard.hygiene_flagged(target)
    }

    /// Whether a recommender may learn from `event`.
    pub fn keep(&mut self, event: &Event) -> bool {
        let keep = match &event.kind {
            EventKind::Follow(f) | EventKind::Unfollow(f) => {
                self.keep_interaction(f.from.as_str(), f.to.as_str())
            }
            EventKind::View(v) => match &v.target {
                ViewTarget::Account(a) => self.keep_interaction(v.viewer.as_str(), a.as_str()),
                ViewTarget::Post(p) => self.keep_post_interaction(v.viewer.as_str(), p.as_str()),
            },
            EventKind::Like(l) => self.keep_post_interaction(l.actor.as_str(), l.post.as_str()),
            EventKind::Comment(c) => self.keep_post_interaction(c.actor.as_str(), c.post.as_str()),
            EventKind::Post(p) => {
                let flagged = self.guard.hygiene_flagged(p.author.as_str());
                if flagged {
                    self.flagged_posts.insert(p.post.as_str().into());
                }
                !flagged
            }
            EventKind::Search(s) => {
                !self.guard.hygiene_flagged(s.actor.as_str())
                    && self.guard.text_level(&s.query, TextSurface::Search)
                        <= self.guard.policy().suggest_max_level
            }
            EventKind::Account(_) | EventKind::Report(_) | EventKind::Enforcement(_) => true,
        };
        if keep {
            self.kept += 1;
        } else {
            self.dropped += 1;
        }
        keep
    }

    fn keep_post_interaction(&self, actor: &str, post: &str) -> bool {
        !self.guard.hygiene_flagged(actor) && !self.flagged_posts.contains(post)
    }

    /// Filters a stream of events.
    pub fn filter<I: IntoIterator<Item = Event>>(
        &mut self,
        events: I,
    ) -> impl Iterator<Item = Event> + use<'_, 'g, I> {
        events.into_iter().filter(move |e| self.keep(e))
    }

    /// (kept, dropped) so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.kept, self.dropped)
    }
}
