//! Decisions: for a viewer, a surface and a list of candidates, which may be
//! shown, and why the others may not.

use std::fmt;
use std::sync::Arc;

use guardrail_core::{AccountRef, RiskTier, Surface as TextSurface};
use guardrail_text::{Level, Matcher};
use serde::Serialize;

use crate::policy::{Policy, Resources};
use crate::state::{key_of, Flags, State};

/// Where candidates are about to be shown.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscoverySurface {
    /// "Suggested for you" accounts.
    AccountSuggestions,
    /// Hashtags suggested to follow or to add to a post.
    HashtagSuggestions,
    /// Completions offered while typing a search.
    SearchAutocomplete,
    /// Results of a search (accounts, hashtags, posts).
    SearchResults,
    /// Feed and explore items (posts).
    Feed,
}

impl DiscoverySurface {
    /// Every surface.
    pub const ALL: [DiscoverySurface; 5] = [
        DiscoverySurface::AccountSuggestions,
        DiscoverySurface::HashtagSuggestions,
        DiscoverySurface::SearchAutocomplete,
        DiscoverySurface::SearchResults,
        DiscoverySurface::Feed,
    ];

    /// The name used in files, JSON and the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            DiscoverySurface::AccountSuggestions => "account_suggestions",
            DiscoverySurface::HashtagSuggestions => "hashtag_suggestions",
            DiscoverySurface::SearchAutocomplete => "search_autocomplete",
            DiscoverySurface::SearchResults => "search_results",
            DiscoverySurface::Feed => "feed",
        }
    }
}

impl std::str::FromStr for DiscoverySurface {
    type Err = String;

    fn from_str(s: &str) -> Result<DiscoverySurface, String> {
        DiscoverySurface::ALL.into_iter().find(|x| x.as_str() == s).ok_or_else(|| {
            format!(
                "unknown surface {s:?} (expected one of {})",
                DiscoverySurface::ALL.map(DiscoverySurface::as_str).join(", ")
            )
        })
    }
}

/// Something that might be shown.
#[derive(Clone, Copy, Debug)]
pub enum Candidate<'a> {
    /// An account, by id.
    Account(AccountRef<'a>),
    /// A hashtag, with or without `#`.
    Hashtag(&'a str),
    /// A text: an autocomplete completion or a suggested query.
    Text(&'a str),
    /// A post: its author, hashtags and caption.
    Post {
        /// The author's account id.
        author: AccountRef<'a>,
        /// The post's hashtags.
        hashtags: &'a [&'a str],
        /// The caption, if any.
        caption: Option<&'a str>,
    },
}

/// Why a candidate was dropped, as a set of reason codes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Reasons(u16);

impl Reasons {
    /// The account (or a post's author) is in a tier never recommended.
    pub const FLAGGED_ACCOUNT: Reasons = Reasons(1);
    /// The account (or a post's author) is in a flagged network.
    pub const FLAGGED_NETWORK: Reasons = Reasons(1 << 1);
    /// The text engine's verdict on the text is above what the surface allows.
    pub const BLOCKED_TERM: Reasons = Reasons(1 << 2);
    /// The hashtag is used mostly by flagged accounts.
    pub const TAINTED_HASHTAG: Reasons = Reasons(1 << 3);
    /// A suspected viewer is not shown suspected accounts.
    pub const SUSPECTED_TO_SUSPECTED: Reasons = Reasons(1 << 4);
    /// A suspected viewer is not shown minors.
    pub const MINOR_TO_SUSPECTED: Reasons = Reasons(1 << 5);
    /// A minor is not shown suspected adults.
    pub const SUSPECTED_TO_MINOR: Reasons = Reasons(1 << 6);
    /// The search itself is blocked: no results at all.
    pub const BLOCKED_SEARCH: Reasons = Reasons(1 << 7);
    /// The text could not be checked (too long), so it is not shown.
    pub const UNCHECKABLE: Reasons = Reasons(1 << 8);

    const NAMES: [(Reasons, &'static str); 9] = [
        (Reasons::FLAGGED_ACCOUNT, "flagged_account"),
        (Reasons::FLAGGED_NETWORK, "flagged_network"),
        (Reasons::BLOCKED_TERM, "blocked_term"),
        (Reasons::TAINTED_HASHTAG, "tainted_hashtag"),
        (Reasons::SUSPECTED_TO_SUSPECTED, "suspected_to_suspected"),
        (Reasons::MINOR_TO_SUSPECTED, "minor_to_suspected"),
        (Reasons::SUSPECTED_TO_MINOR, "suspected_to_minor"),
        (Reasons::BLOCKED_SEARCH, "blocked_search"),
        (Reasons::UNCHECKABLE, "uncheckable"),
    ];

    /// No reason.
    pub const NONE: Reasons = Reasons(0);

    /// Whether there is no reason.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every reason of `other` is here.
    pub fn contains(self, other: Reasons) -> bool {
        self.0 & other.0 == other.0
    }

    /// The reason codes, in a fixed order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Reasons::NAMES.into_iter().filter(move |(r, _)| self.contains(*r)).map(|(_, n)| n)
    }
}

impl std::ops::BitOr for Reasons {
    type Output = Reasons;
    fn bitor(self, rhs: Reasons) -> Reasons {
        Reasons(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for Reasons {
    fn bitor_assign(&mut self, rhs: Reasons) {
        self.0 |= rhs.0;
    }
}

impl fmt::Debug for Reasons {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl Serialize for Reasons {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.names())
    }
}

/// The decision on one candidate.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
pub struct Decision {
    /// Whether it may be shown.
    pub allow: bool,
    /// Why not (empty when allowed).
    pub reasons: Reasons,
}

impl Decision {
    fn from(reasons: Reasons) -> Decision {
        Decision { allow: reasons.is_empty(), reasons }
    }
}

/// The outcome of a search.
#[derive(Clone, Debug, Serialize)]
pub struct SearchOutcome<'g> {
    /// Set when the query itself is blocked: then every result is dropped
    /// and this is all the viewer sees. There is no "see results anyway".
    pub blocked: Option<Blocked<'g>>,
    /// One decision per result.
    pub decisions: Vec<Decision>,
}

/// Why a search was blocked, and what to show instead.
#[derive(Clone, Debug, Serialize)]
pub struct Blocked<'g> {
    /// Reason codes.
    pub reasons: Reasons,
    /// The lexicon terms that matched.
    pub terms: Vec<String>,
    /// The resources response.
    pub resources: &'g Resources,
}

/// The discovery guard: a policy, the precomputed state and the lexicon.
#[derive(Clone, Debug)]
pub struct Guard {
    policy: Policy,
    state: State,
    matcher: Option<Arc<Matcher>>,
    /// `never_recommend` as a bit set over the tier's 2-bit code.
    never: u8,
    /// `viewer.suspected_tiers` as a bit set.
    suspected: u8,
    /// `hygiene.drop_tiers` as a bit set.
    hygiene: u8,
}

fn tier_bits(tiers: &[RiskTier]) -> u8 {
    tiers.iter().fold(0, |acc, t| acc | 1 << t.code())
}

fn in_tiers(bits: u8, f: Flags) -> bool {
    bits & (1 << f.tier().code()) != 0
}

impl Guard {
    /// A guard over `state` with `policy`; `matcher` checks hashtags and
    /// texts the state does not know, autocomplete completions and queries.
    pub fn new(policy: Policy, state: State, matcher: Option<Arc<Matcher>>) -> Guard {
        let never = tier_bits(&policy.never_recommend);
        let suspected = tier_bits(&policy.viewer.suspected_tiers);
        let hygiene = tier_bits(&policy.hygiene.drop_tiers);
        Guard { policy, state, matcher, never, suspected, hygiene }
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Replaces the state (after a new scan), keeping policy and lexicon.
    pub fn set_state(&mut self, state: State) {
        self.state = state;
    }

    /// One decision per candidate, in order.
    pub fn decide(
        &self,
        viewer: AccountRef<'_>,
        surface: DiscoverySurface,
        candidates: &[Candidate<'_>],
    ) -> Vec<Decision> {
        let mut out = Vec::with_capacity(candidates.len());
        self.decide_into(viewer, surface, candidates, &mut out);
        out
    }

    /// [`Guard::decide`] into a caller's buffer (cleared first), for hot
    /// loops that reuse it.
    pub fn decide_into(
        &self,
        viewer: AccountRef<'_>,
        surface: DiscoverySurface,
        candidates: &[Candidate<'_>],
        out: &mut Vec<Decision>,
    ) {
        out.clear();
        let viewer = self.state.flags(viewer.as_str());
        out.extend(candidates.iter().map(|c| Decision::from(self.reasons(viewer, surface, c))));
    }

    /// Whether a query may be searched at all, and the decisions on its
    /// results. A blocked query drops every result.
    pub fn search(
        &self,
        viewer: AccountRef<'_>,
        query: &str,
        results: &[Candidate<'_>],
    ) -> SearchOutcome<'_> {
        let (reasons, terms) = self.query_reasons(query);
        if !reasons.is_empty() {
            let reasons = reasons | Reasons::BLOCKED_SEARCH;
            return SearchOutcome {
                blocked: Some(Blocked { reasons, terms, resources: &self.policy.resources }),
                decisions: vec![Decision::from(reasons); results.len()],
            };
        }
        SearchOutcome {
            blocked: None,
            decisions: self.decide(viewer, DiscoverySurface::SearchResults, results),
        }
    }

    /// Why a search query is blocked (empty if it is not), and the terms.
    fn query_reasons(&self, query: &str) -> (Reasons, Vec<String>) {
        let mut reasons = Reasons::NONE;
        let mut terms = Vec::new();
        if let Some(m) = &self.matcher {
            match m.check(query, TextSurface::Search) {
                Ok(v) if v.level >= self.policy.search_block_level => {
                    reasons |= Reasons::BLOCKED_TERM;
                    terms = v.matches.iter().map(|m| m.term.clone()).collect();
                    terms.dedup();
                }
                Ok(_) => {}
                Err(_) => reasons |= Reasons::UNCHECKABLE,
            }
        }
        // A query naming a tainted hashtag ("#tag" or "tag") is not searchable.
        if self.tainted_key(&key_of(query)) {
            reasons |= Reasons::TAINTED_HASHTAG;
        }
        (reasons, terms)
    }

    fn reasons(&self, viewer: Flags, surface: DiscoverySurface, c: &Candidate<'_>) -> Reasons {
        match *c {
            Candidate::Account(id) => self.account_reasons(viewer, self.state.flags(id.as_str())),
            Candidate::Hashtag(tag) => self.hashtag_reasons(tag),
            Candidate::Text(text) => {
                let text_surface = match surface {
                    DiscoverySurface::SearchAutocomplete | DiscoverySurface::SearchResults => {
                        TextSurface::Autocomplete
                    }
                    DiscoverySurface::HashtagSuggestions => TextSurface::Hashtag,
                    DiscoverySurface::AccountSuggestions | DiscoverySurface::Feed => {
                        TextSurface::Caption
                    }
                };
                let mut r = self.text_reasons(text, text_surface);
                if self.tainted_key(&key_of(text)) {
                    r |= Reasons::TAINTED_HASHTAG;
                }
                r
            }
            Candidate::Post { author, hashtags, caption } => {
                let mut r = self.account_reasons(viewer, self.state.flags(author.as_str()));
                for tag in hashtags {
                    r |= self.hashtag_reasons(tag);
                }
                if let Some(caption) = caption {
                    r |= self.text_reasons(caption, TextSurface::Caption);
                }
                r
            }
        }
    }

    fn account_reasons(&self, viewer: Flags, c: Flags) -> Reasons {
        let mut r = Reasons::NONE;
        if in_tiers(self.never, c) {
            r |= Reasons::FLAGGED_ACCOUNT;
        }
        if self.policy.drop_flagged_networks && c.network() {
            r |= Reasons::FLAGGED_NETWORK;
        }
        let rules = &self.policy.viewer;
        let minor = |f: Flags| f.minor() || (rules.unknown_age_is_minor && f.unknown_age());
        let viewer_suspected = in_tiers(self.suspected, viewer);
        let candidate_suspected = in_tiers(self.suspected, c);
        if viewer_suspected {
            if rules.suspected_not_shown_suspected && candidate_suspected {
                r |= Reasons::SUSPECTED_TO_SUSPECTED;
            }
            if rules.suspected_not_shown_minors && minor(c) {
                r |= Reasons::MINOR_TO_SUSPECTED;
            }
        }
        if rules.minors_not_shown_suspected && minor(viewer) && candidate_suspected && !minor(c) {
            r |= Reasons::SUSPECTED_TO_MINOR;
        }
        r
    }

    fn hashtag_reasons(&self, tag: &str) -> Reasons {
        let key = key_of(tag);
        match self.state.hashtag_by_key(&key) {
            Some(h) => {
                let mut r = Reasons::NONE;
                if h.level > self.policy.suggest_max_level {
                    r |= Reasons::BLOCKED_TERM;
                }
                if self.tainted(h.users, h.flagged_users) {
                    r |= Reasons::TAINTED_HASHTAG;
                }
                r
            }
            None => self.text_reasons(&key, TextSurface::Hashtag),
        }
    }

    fn text_reasons(&self, text: &str, surface: TextSurface) -> Reasons {
        let Some(m) = &self.matcher else { return Reasons::NONE };
        match m.check(text, surface) {
            Ok(v) if v.level > self.policy.suggest_max_level => Reasons::BLOCKED_TERM,
            Ok(_) => Reasons::NONE,
            Err(_) => Reasons::UNCHECKABLE,
        }
    }

    fn tainted_key(&self, key: &str) -> bool {
        self.state.hashtag_by_key(key).is_some_and(|h| self.tainted(h.users, h.flagged_users))
    }

    fn tainted(&self, users: u32, flagged: u32) -> bool {
        flagged >= self.policy.taint.min_flagged_users
            && f64::from(flagged) >= self.policy.taint.share * f64::from(users)
    }

    /// Whether interactions with or by an account are kept from recommenders.
    pub(crate) fn hygiene_flagged(&self, id: &str) -> bool {
        let f = self.state.flags(id);
        in_tiers(self.hygiene, f) || (self.policy.hygiene.drop_flagged_networks && f.network())
    }

    /// Whether an account (by its state) is one that is never recommended.
    pub fn never_recommended(&self, id: &str) -> bool {
        let f = self.state.flags(id);
        in_tiers(self.never, f) || (self.policy.drop_flagged_networks && f.network())
    }

    /// The text engine's verdict level on `text` (`Allow` without a lexicon).
    pub fn text_level(&self, text: &str, surface: TextSurface) -> Level {
        self.matcher
            .as_ref()
            .and_then(|m| m.check(text, surface).ok())
            .map_or(Level::Allow, |v| v.level)
    }
}
