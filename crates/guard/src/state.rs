//! What the guard knows, precomputed: one byte of flags per account and the
//! usage counts and text verdict of every known hashtag. A decision only
//! looks these up; nothing is computed per request except the text check of
//! a string the state has never seen.

use guardrail_core::{AgeBand, RiskTier, Surface as TextSurface};
use guardrail_graph::{Graph, ScanResult};
use guardrail_text::{Level, Matcher};
use rustc_hash::FxHashMap;

use crate::policy::Policy;
use crate::GuardError;

/// What the guard knows about one account.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct AccountState {
    /// The risk tier from the last scan (or a reviewer's decision).
    pub tier: RiskTier,
    /// Declared age band.
    pub age_band: Option<AgeBand>,
    /// Member of a network the scan flagged.
    pub flagged_network: bool,
}

impl Default for AccountState {
    fn default() -> AccountState {
        AccountState { tier: RiskTier::Clear, age_band: None, flagged_network: false }
    }
}

/// What the guard knows about one hashtag.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct HashtagState {
    /// Distinct accounts that used it.
    pub users: u32,
    /// Of those, accounts that are flagged (tier in the policy's
    /// `never_recommend`, or in a flagged network).
    pub flagged_users: u32,
    /// The text engine's verdict on it as a hashtag.
    pub level: Level,
}

/// Account flags packed in a byte: tier (3 bits, [`RiskTier::code`]), minor, adult, flagged network.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct Flags(pub(crate) u8);

impl Flags {
    const TIER: u8 = 7;
    const MINOR: u8 = 1 << 3;
    const UNKNOWN_AGE: u8 = 1 << 4;
    const NETWORK: u8 = 1 << 5;
    /// Flags of an account the state has never seen: clear, age not declared.
    pub(crate) const UNSEEN: Flags = Flags(Flags::UNKNOWN_AGE);

    fn pack(s: &AccountState) -> Flags {
        let tier = s.tier.code();
        let age = match s.age_band {
            Some(AgeBand::Minor) => Flags::MINOR,
            Some(AgeBand::Adult) => 0,
            Some(AgeBand::Unknown) | None => Flags::UNKNOWN_AGE,
        };
        Flags(tier | age | if s.flagged_network { Flags::NETWORK } else { 0 })
    }

    pub(crate) fn tier(self) -> RiskTier {
        RiskTier::from_code(self.0 & Flags::TIER)
    }

    pub(crate) fn minor(self) -> bool {
        self.0 & Flags::MINOR != 0
    }

    pub(crate) fn unknown_age(self) -> bool {
        self.0 & Flags::UNKNOWN_AGE != 0
    }

    pub(crate) fn network(self) -> bool {
        self.0 & Flags::NETWORK != 0
    }
}

/// The guard's precomputed state.
#[derive(Clone, Debug, Default)]
pub struct State {
    accounts: FxHashMap<Box<str>, Flags>,
    hashtags: FxHashMap<Box<str>, HashtagState>,
}

/// The lookup key of a hashtag: trimmed, without `#`, lowercased.
pub fn hashtag_key(tag: &str) -> String {
    key_of(tag).into_owned()
}

/// [`hashtag_key`] without allocating when the tag already is its key (the
/// common case on the hot path).
pub(crate) fn key_of(tag: &str) -> std::borrow::Cow<'_, str> {
    let t = tag.trim().trim_start_matches('#');
    if t.bytes().any(|b| b.is_ascii_uppercase() || b >= 0x80) {
        std::borrow::Cow::Owned(t.to_lowercase())
    } else {
        std::borrow::Cow::Borrowed(t)
    }
}

impl State {
    /// An empty state: every account clear, no hashtag known.
    pub fn new() -> State {
        State::default()
    }

    /// Sets what is known about an account.
    pub fn set_account(&mut self, id: &str, state: AccountState) {
        self.accounts.insert(id.into(), Flags::pack(&state));
    }

    /// What is known about an account (`None` if never seen).
    pub fn account(&self, id: &str) -> Option<AccountState> {
        self.accounts.get(id).map(|f| AccountState {
            tier: f.tier(),
            age_band: Some(if f.minor() {
                AgeBand::Minor
            } else if f.unknown_age() {
                AgeBand::Unknown
            } else {
                AgeBand::Adult
            }),
            flagged_network: f.network(),
        })
    }

    /// Sets what is known about a hashtag (`tag` with or without `#`).
    pub fn set_hashtag(&mut self, tag: &str, state: HashtagState) {
        self.hashtags.insert(key_of(tag).into(), state);
    }

    /// What is known about a hashtag.
    pub fn hashtag(&self, tag: &str) -> Option<HashtagState> {
        self.hashtag_by_key(&key_of(tag))
    }

    pub(crate) fn hashtag_by_key(&self, key: &str) -> Option<HashtagState> {
        self.hashtags.get(key).copied()
    }

    pub(crate) fn flags(&self, id: &str) -> Flags {
        self.accounts.get(id).copied().unwrap_or(Flags::UNSEEN)
    }

    /// Accounts known.
    pub fn accounts(&self) -> usize {
        self.accounts.len()
    }

    /// Hashtags known.
    pub fn hashtags(&self) -> usize {
        self.hashtags.len()
    }

    /// The state after a scan: every account's tier and age band, network
    /// membership, and every hashtag's usage by flagged accounts (those the
    /// policy never recommends: its `never_recommend` tiers and, with
    /// `drop_flagged_networks`, network members) with its text verdict when
    /// a matcher is given. Refuses a scan computed on another graph
    /// ([`ScanResult::tiers_for`]).
    pub fn from_scan(
        graph: &Graph,
        scan: &ScanResult,
        matcher: Option<&Matcher>,
        policy: &Policy,
    ) -> Result<State, GuardError> {
        // A scan of another graph would read its tiers for other accounts
        // (or none: everyone clear). See: #25.
        let tiers = scan.tiers_for(graph)?;
        let mut in_network = vec![false; graph.len()];
        for network in &scan.networks {
            for id in &network.accounts {
                if let Some(v) = graph.node(id) {
                    in_network[v as usize] = true;
                }
            }
        }
        let mut state = State::new();
        state.accounts.reserve(graph.len());
        let mut users = vec![0u32; graph.hashtag_count()];
        let mut flagged_users = vec![0u32; graph.hashtag_count()];
        for (v, account) in graph.accounts().iter().enumerate() {
            // Checked above: the scan has a tier for every node.
            let tier = tiers.get(v).copied().unwrap_or(RiskTier::Clear);
            let s =
                AccountState { tier, age_band: account.age_band, flagged_network: in_network[v] };
            state.set_account(account.id.as_str(), s);
            let flagged = policy.never_recommend.contains(&tier)
                || (policy.drop_flagged_networks && in_network[v]);
            for &(tag, _uses) in graph.hashtags_of(v as u32) {
                users[tag as usize] += 1;
                flagged_users[tag as usize] += u32::from(flagged);
            }
        }
        state.hashtags.reserve(users.len());
        for (t, (&u, &f)) in users.iter().zip(&flagged_users).enumerate() {
            let tag = graph.hashtag(t as u32);
            let level = matcher
                .and_then(|m| m.check(tag, TextSurface::Hashtag).ok())
                .map_or(Level::Allow, |v| v.level);
            state.set_hashtag(tag, HashtagState { users: u, flagged_users: f, level });
        }
        Ok(state)
    }
}
