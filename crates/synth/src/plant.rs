//! Planting a network into a real graph: the measuring instrument for the
//! network scan on graphs our own generator did not make.
//!
//! [`EdgeList::parse`] reads a graph (`# directed` or `# undirected`, then
//! `a b` per edge); [`plant`] turns its vertices into accounts `r<vertex>` and
//! its edges into follows, all before the planting starts, gives some of them
//! benign posts and searches, and then plants a network whose every behaviour
//! is a field of [`PlantConfig`]: sellers (some of them real accounts that
//! turned), buyers (some real), heavy-tailed follows of sellers, camouflage
//! ties into the real graph, follow-backs, one-off touches by real accounts,
//! code words, hash-bank media, bans, declared backups, returning accounts,
//! and hard negatives (fan and shop accounts that name a real account,
//! household devices) that must not be taken for the network.
//!
//! The output is what `guardrail synth` writes: `events.jsonl` (format v1,
//! time-ordered and causal), `truth.json` (the usual keys plus
//! `planted_benign`, `real_accounts`, `real_prefix`, `backups` and
//! `returning`) and `bank.txt`. The same graph and configuration give
//! byte-identical files. `docs/SYNTH.md` ("Planted real graphs") describes the
//! model.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::Path;
use std::str::FromStr;

use guardrail_core::{
    AccountEvent, AccountId, AgeBand, CommentEvent, CommentId, EnforcementAction, EnforcementEvent,
    Event, EventId, EventKind, EventType, FollowEvent, Identifiers, Lexicon, LikeEvent, Media,
    MediaKind, Pdq, PostEvent, PostId, SearchEvent, Timestamp, Truth, ViewEvent, ViewTarget,
};
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_distr::{Distribution, WeightedIndex};

use crate::expand::{base36, pick, scramble, Vocab, EPOCH, SELLER_BIO_TEMPLATES};
use crate::niches::{COMMON_WORDS, HANDLE_A, HANDLE_B, NICHES};
use crate::obfuscate;
use crate::world::{rng_for, splitmix};
use crate::{io_err, SynthError};

/// A graph read from an edge list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EdgeList {
    /// Whether the file said `# directed`.
    pub directed: bool,
    /// The vertex ids, ascending; a vertex's number is its index here.
    pub vertices: Vec<u64>,
    /// Follows as (from, to) vertex numbers, in file order; an undirected
    /// edge is two follows, one each way.
    pub follows: Vec<(u32, u32)>,
    /// Self-loops dropped.
    pub self_loops: usize,
    /// Repeated follows dropped.
    pub duplicates: usize,
}

impl EdgeList {
    /// Parses an edge list: the first line is `# directed` or `# undirected`;
    /// then one `a b` line per edge with non-negative integer vertex ids.
    /// Blank lines and other `#` lines are skipped, except `# vertices N`,
    /// which makes every id below N a vertex (so isolated vertices are
    /// accounts too) and every id from N on an error. Self-loops and
    /// repeated follows are dropped. Errors name the line and why.
    pub fn parse(text: &str) -> Result<EdgeList, SynthError> {
        let bad = |line: usize, reason: String| SynthError::Parse { line, reason };
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim()));
        let directed = match lines.next() {
            Some((_, "# directed")) => true,
            Some((_, "# undirected")) => false,
            Some((n, other)) => {
                return Err(bad(
                    n,
                    format!("expected `# directed` or `# undirected`, found `{other}`"),
                ))
            }
            None => {
                return Err(bad(
                    1,
                    "empty edge list: expected `# directed` or `# undirected`".into(),
                ))
            }
        };
        let mut declared: Option<u64> = None;
        let mut raw: Vec<(u64, u64)> = Vec::new();
        for (n, line) in lines {
            if line.is_empty() {
                continue;
            }
            if let Some(comment) = line.strip_prefix('#') {
                if let Some(count) = comment.trim().strip_prefix("vertices") {
                    let count = count.trim();
                    let count = count
                        .parse::<u64>()
                        .ok()
                        .filter(|&c| c <= u32::MAX as u64)
                        .ok_or_else(|| {
                            bad(
                                n,
                                format!("`# vertices` needs a count below 2^32, found `{count}`"),
                            )
                        })?;
                    if !raw.is_empty() {
                        return Err(bad(n, "`# vertices` must come before the first edge".into()));
                    }
                    declared = Some(count);
                }
                continue;
            }
            let mut fields = line.split_whitespace();
            let mut id = || -> Result<u64, SynthError> {
                let field = fields.next().ok_or_else(|| {
                    bad(n, format!("expected two vertex ids `a b`, found `{line}`"))
                })?;
                let v = field.parse::<u64>().map_err(|_| {
                    bad(n, format!("`{field}` is not a vertex id (a non-negative integer)"))
                })?;
                if let Some(count) = declared {
                    if v >= count {
                        return Err(bad(
                            n,
                            format!("vertex {v} is not below the declared {count} vertices"),
                        ));
                    }
                }
                Ok(v)
            };
            let (a, b) = (id()?, id()?);
            if let Some(extra) = fields.next() {
                return Err(bad(
                    n,
                    format!("expected two vertex ids, found a third field `{extra}`"),
                ));
            }
            raw.push((a, b));
        }
        let mut vertices: Vec<u64> = match declared {
            Some(count) => (0..count).collect(),
            None => raw.iter().flat_map(|&(a, b)| [a, b]).collect(),
        };
        vertices.sort_unstable();
        vertices.dedup();
        if vertices.is_empty() {
            return Err(bad(1, "the edge list has no vertices".into()));
        }
        if vertices.len() > u32::MAX as usize / 2 {
            return Err(bad(1, format!("{} vertices is too many", vertices.len())));
        }
        // Every id of an edge is in `vertices`, which was built from them (or from 0..count, checked above).
        let index = |v: u64| vertices.binary_search(&v).unwrap_or_else(|_| unreachable!()) as u32;
        let mut seen: HashSet<(u32, u32)> = HashSet::with_capacity(raw.len() * 2);
        let (mut follows, mut self_loops, mut duplicates) = (Vec::new(), 0, 0);
        for (a, b) in raw {
            if a == b {
                self_loops += 1;
                continue;
            }
            let (a, b) = (index(a), index(b));
            let pairs: &[(u32, u32)] = if directed { &[(a, b)] } else { &[(a, b), (b, a)] };
            for &pair in pairs {
                if seen.insert(pair) {
                    follows.push(pair);
                } else {
                    duplicates += 1;
                }
            }
        }
        Ok(EdgeList { directed, vertices, follows, self_loops, duplicates })
    }
}

/// Where camouflage follows go.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CamouflageTarget {
    /// Uniformly random real accounts.
    Random,
    /// Real accounts weighted by their in-degree in the real graph.
    Popular,
}

/// Which side of a backup pair names the other in its bio.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BackupDeclared {
    /// The main account's bio names the backup ("backup: @x").
    Main,
    /// The backup's bio names the main ("backup of @x").
    Backup,
    /// Both bios name the other.
    Both,
    /// One of the three, at random, per backup.
    Mixed,
}

impl CamouflageTarget {
    /// The name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            CamouflageTarget::Random => "random",
            CamouflageTarget::Popular => "popular",
        }
    }
}

impl FromStr for CamouflageTarget {
    type Err = String;

    fn from_str(s: &str) -> Result<CamouflageTarget, String> {
        match s {
            "random" => Ok(CamouflageTarget::Random),
            "popular" => Ok(CamouflageTarget::Popular),
            _ => Err(format!("expected random or popular, not `{s}`")),
        }
    }
}

impl BackupDeclared {
    /// The name on the command line and in `truth.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            BackupDeclared::Main => "main",
            BackupDeclared::Backup => "backup",
            BackupDeclared::Both => "both",
            BackupDeclared::Mixed => "mixed",
        }
    }
}

impl FromStr for BackupDeclared {
    type Err = String;

    fn from_str(s: &str) -> Result<BackupDeclared, String> {
        match s {
            "main" => Ok(BackupDeclared::Main),
            "backup" => Ok(BackupDeclared::Backup),
            "both" => Ok(BackupDeclared::Both),
            "mixed" => Ok(BackupDeclared::Mixed),
            _ => Err(format!("expected main, backup, both or mixed, not `{s}`")),
        }
    }
}

/// What to plant. Every behaviour of the planted network is a field; the
/// defaults are given on each. Shares are probabilities in [0, 1].
#[derive(Clone, Debug)]
pub struct PlantConfig {
    /// Seed: the same graph, configuration and seed give the same files. Default 1.
    pub seed: u64,
    /// Where code words come from. Default: the invented test lexicon.
    pub lexicon: Lexicon,
    /// Sellers, not counting returning accounts. Default 40.
    pub sellers: u32,
    /// Buyers per seller (the network has `sellers * buyers` buyers). Default 20.
    pub buyers: u32,
    /// Share of sellers that are real accounts that turned: they keep their
    /// real followers (real accounts that followed a seller before it
    /// turned). Default 0.25.
    pub sellers_from_real: f64,
    /// Share of buyers that are real accounts; they keep all their real ties. Default 0.5.
    pub buyers_from_real: f64,
    /// Exponent of the discrete power law of a buyer's number of seller
    /// follows (P(k >= x) ~ x^(1 - exponent)). Default 2.5.
    pub buyer_follow_exponent: f64,
    /// The least number of sellers a buyer follows (capped at the number of sellers). Default 2.
    pub buyer_min_sellers: u32,
    /// Sellers a buyer views besides the ones it follows. Default 2.
    pub extra_views: u32,
    /// Chance that a buyer likes a post of a seller it follows (and half that
    /// to comment on one). Default 0.5.
    pub engage_share: f64,
    /// Share of buyers that search code words. Default 0.5.
    pub coded_search_share: f64,
    /// Follows from each new planted network account to real accounts (0..=20). Default 5.
    pub camouflage: u32,
    /// How camouflage targets are chosen. Default [`CamouflageTarget::Random`].
    pub camouflage_target: CamouflageTarget,
    /// Share of buyer follows the seller follows back. Default 0.3.
    pub follow_back: f64,
    /// Chance, per ordered pair of sellers, that one follows the other. Default 0.1.
    pub sellers_follow_each_other: f64,
    /// Real accounts per seller that touch it exactly once, by a follow or a view. Default 5.
    pub touches: u32,
    /// Share of sellers with code words in their bio. Default 0.3.
    pub bio_code_share: f64,
    /// Share of sellers with a code word in their handle. Default 0.1.
    pub handle_code_share: f64,
    /// Share of sellers whose captions and hashtags carry code words (the
    /// others post ordinary captions). Default 0.5.
    pub caption_code_share: f64,
    /// Share of sellers whose posts carry near-duplicates of bank hashes. Default 0.2.
    pub bank_media_share: f64,
    /// Share of sellers banned for child safety, late in the stream (at
    /// least one when the share is positive). Default 0.1.
    pub enforced_share: f64,
    /// Share of sellers with a backup account. Default 0.3.
    pub backup_share: f64,
    /// Which side of a backup pair names the other. Default [`BackupDeclared::Mixed`].
    pub backup_declared: BackupDeclared,
    /// Share of backups that also share a device or an email hash with their main. Default 0.5.
    pub backup_shared_identifier: f64,
    /// Chance that a banned seller returns as a new account sharing only a device. Default 1.0.
    pub return_share: f64,
    /// Planted benign accounts per seller: fan and shop accounts naming a
    /// real account, and accounts sharing a household device with one. Default 2.
    pub hard_negatives: u32,
    /// Share of real accounts with benign posts. Default 0.3.
    pub real_post_share: f64,
    /// Share of real accounts with benign searches. Default 0.2.
    pub real_search_share: f64,
}

impl Default for PlantConfig {
    fn default() -> PlantConfig {
        let lexicon = Lexicon::from_toml(crate::TEST_LEXICON)
            .unwrap_or_else(|e| unreachable!("the shipped test lexicon is checked by a test: {e}"));
        PlantConfig {
            seed: 1,
            lexicon,
            sellers: 40,
            buyers: 20,
            sellers_from_real: 0.25,
            buyers_from_real: 0.5,
            buyer_follow_exponent: 2.5,
            buyer_min_sellers: 2,
            extra_views: 2,
            engage_share: 0.5,
            coded_search_share: 0.5,
            camouflage: 5,
            camouflage_target: CamouflageTarget::Random,
            follow_back: 0.3,
            sellers_follow_each_other: 0.1,
            touches: 5,
            bio_code_share: 0.3,
            handle_code_share: 0.1,
            caption_code_share: 0.5,
            bank_media_share: 0.2,
            enforced_share: 0.1,
            backup_share: 0.3,
            backup_declared: BackupDeclared::Mixed,
            backup_shared_identifier: 0.5,
            return_share: 1.0,
            hard_negatives: 2,
            real_post_share: 0.3,
            real_search_share: 0.2,
        }
    }
}

/// The largest camouflage per planted account.
pub const MAX_CAMOUFLAGE: u32 = 20;

impl PlantConfig {
    /// Checks every field; errors name the field.
    pub fn validate(&self) -> Result<(), SynthError> {
        let err = |field: &'static str, why: String| Err(SynthError::Setting { field, why });
        let shares = [
            ("sellers_from_real", self.sellers_from_real),
            ("buyers_from_real", self.buyers_from_real),
            ("engage_share", self.engage_share),
            ("coded_search_share", self.coded_search_share),
            ("follow_back", self.follow_back),
            ("sellers_follow_each_other", self.sellers_follow_each_other),
            ("bio_code_share", self.bio_code_share),
            ("handle_code_share", self.handle_code_share),
            ("caption_code_share", self.caption_code_share),
            ("bank_media_share", self.bank_media_share),
            ("enforced_share", self.enforced_share),
            ("backup_share", self.backup_share),
            ("backup_shared_identifier", self.backup_shared_identifier),
            ("return_share", self.return_share),
            ("real_post_share", self.real_post_share),
            ("real_search_share", self.real_search_share),
        ];
        for (flag, value) in shares {
            if !(0.0..=1.0).contains(&value) {
                return err(flag, format!("is a share and must be between 0 and 1, not {value}"));
            }
        }
        let counts = [
            ("sellers", self.sellers, 1, 100_000),
            ("buyers", self.buyers, 0, 10_000),
            ("buyer_min_sellers", self.buyer_min_sellers, 1, 100_000),
            ("extra_views", self.extra_views, 0, 1_000),
            ("camouflage", self.camouflage, 0, MAX_CAMOUFLAGE),
            ("touches", self.touches, 0, 10_000),
            ("hard_negatives", self.hard_negatives, 0, 100),
        ];
        for (flag, value, lo, hi) in counts {
            if !(lo..=hi).contains(&value) {
                return err(flag, format!("must be between {lo} and {hi}, not {value}"));
            }
        }
        if !(self.buyer_follow_exponent > 1.0 && self.buyer_follow_exponent <= 100.0) {
            return err(
                "buyer_follow_exponent",
                format!("must be above 1 (and at most 100), not {}", self.buyer_follow_exponent),
            );
        }
        if (self.sellers as u64) * (self.buyers as u64) > 10_000_000 {
            return err("sellers", "times buyers must be at most 10,000,000".into());
        }
        Ok(())
    }
}

/// Figures about a planted world.
#[derive(Clone, Debug, Default)]
pub struct PlantStats {
    /// Accounts of the real graph.
    pub real_accounts: u64,
    /// Follows from the real graph's edges.
    pub real_follows: u64,
    /// Accounts of the planted network by role (`seller`, `buyer`, `backup`),
    /// real ones that turned included.
    pub network_by_role: BTreeMap<String, u64>,
    /// Sellers and buyers that are real accounts.
    pub network_from_real: u64,
    /// Banned sellers.
    pub banned: u64,
    /// Returning accounts of banned sellers.
    pub returning: u64,
    /// Planted benign accounts (hard negatives).
    pub planted_benign: u64,
    /// Events by type.
    pub events_by_type: BTreeMap<&'static str, u64>,
    /// All events.
    pub events: u64,
    /// Bytes of `events.jsonl`.
    pub bytes: u64,
    /// Hashes in `bank.txt`.
    pub bank_hashes: u64,
}

const DAY: u32 = 86_400;
/// Real follows happen before this; the planting starts here.
const PLANT_START: u32 = 30 * DAY;
/// New planted accounts are created before this.
const CREATED_BY: u32 = 60 * DAY;
/// Bans fall between these.
const BAN_FROM: u32 = 140 * DAY;
const BAN_TO: u32 = 160 * DAY;
/// The end of the world.
const END: u32 = 180 * DAY;
/// Hashes in the bank.
const BANK_SIZE: u32 = 200;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    Real,
    Seller,
    Buyer,
    Backup,
    HardNegative,
}

#[derive(Clone, Copy, Default, Debug)]
struct Codes {
    bio: bool,
    handle: bool,
    caption: bool,
    bank: bool,
}

#[derive(Clone, Debug)]
struct Acct {
    role: Role,
    /// When the account appears.
    created: u32,
    /// When its network behaviour starts (creation, or the turn of a real account).
    active: u32,
    /// Its ban, or the end of the world.
    until: u32,
    niche: usize,
    handle: String,
    device: String,
    email: String,
    /// Truth person label, for accounts that share a person.
    person: Option<String>,
    codes: Codes,
    /// Whether this real account turned into a network account.
    turned: bool,
    /// The bio of a seller's account event.
    bio: Option<String>,
}

/// One planned event, before the sort by time.
enum Act {
    Account(Box<AccountEvent>),
    Follow(u32, u32),
    View(u32, u32),
    Post(Box<PostEvent>),
    Like(u32, u32),
    Comment(Box<CommentEvent>),
    Search(u32, Box<str>),
    Ban(u32),
}

struct Planter<'a> {
    config: &'a PlantConfig,
    vocab: Vocab,
    vertices: &'a [u64],
    accounts: Vec<Acct>,
    events: Vec<(u32, u32, Act)>,
    follows: HashSet<(u32, u32)>,
    /// Posts by author: (post number, time).
    posts_of: Vec<Vec<(u32, u32)>>,
    n_posts: u32,
    n_comments: u32,
    bank_matches: BTreeMap<String, u32>,
}

fn between(r: &mut SmallRng, lo: u32, hi: u32) -> Option<u32> {
    (lo < hi).then(|| r.gen_range(lo..hi))
}

fn hex_id(seed: u64, domain: u64, item: u64, digits: usize) -> String {
    let x = splitmix(seed ^ splitmix(domain ^ splitmix(item)));
    let y = splitmix(x);
    let full = format!("{x:016x}{y:016x}");
    full[..digits].to_owned()
}

/// A number of sellers to follow: a discrete power law from `min`, capped.
fn power_law(r: &mut SmallRng, min: u32, exponent: f64, cap: usize) -> usize {
    let u: f64 = r.gen();
    let k = (min as f64) * (1.0 - u).powf(-1.0 / (exponent - 1.0));
    (k.floor() as usize).clamp(1, cap.max(1)).min(cap)
}

/// `k` distinct indices drawn with probability proportional to `weights`
/// (Efraimidis and Spirakis), in draw order.
fn weighted_distinct(r: &mut SmallRng, weights: &[f64], k: usize) -> Vec<usize> {
    let mut keyed: Vec<(f64, usize)> = weights
        .iter()
        .enumerate()
        .filter(|(_, &w)| w > 0.0)
        .map(|(i, &w)| {
            let u: f64 = r.gen_range(f64::MIN_POSITIVE..1.0);
            (u.ln() / w, i)
        })
        .collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    keyed.into_iter().take(k).map(|(_, i)| i).collect()
}

const MAIN_NAMES_BACKUP: [&str; 7] = [
    "backup: @{h}",
    "if banned find me at @{h}",
    "backup acc @{h}",
    "2nd: @{h}",
    "if this goes, find me @{h}",
    "moved? try @{h}",
    "spare acc: @{h}",
];
const BACKUP_NAMES_MAIN: [&str; 7] = [
    "main: @{h}",
    "backup of @{h}",
    "2nd acc of @{h}",
    "alt of @{h}",
    "backup for @{h}",
    "main acc @{h}",
    "my main is @{h}",
];
const FAN_BIOS: [&str; 4] =
    ["fan account of @{h}", "huge fan of @{h}", "not affiliated with @{h}", "all about @{h} 💫"];
const SHOP_BIOS: [&str; 4] =
    ["supplier: @{h}", "we stock @{h}", "official stockist of @{h}", "restocks from @{h} weekly"];

impl Planter<'_> {
    fn id(&self, a: u32) -> AccountId {
        let n = self.vertices.len() as u32;
        AccountId::new(if a < n {
            format!("r{}", self.vertices[a as usize])
        } else {
            format!("x{}", a - n)
        })
    }

    fn push(&mut self, t: u32, act: Act) {
        let seq = self.events.len() as u32;
        self.events.push((t, seq, act));
    }

    /// A follow from `a` to `b` at a time in [lo, hi) that both allow, unless one exists.
    fn follow_in(&mut self, r: &mut SmallRng, a: u32, b: u32, lo: u32, hi: u32) -> Option<u32> {
        if a == b || self.follows.contains(&(a, b)) {
            return None;
        }
        let (x, y) = (&self.accounts[a as usize], &self.accounts[b as usize]);
        let lo = lo.max(x.active.max(y.active) + 1).max(x.created.max(y.created) + 1);
        let hi = hi.min(x.until.min(y.until));
        let t = between(r, lo, hi)?;
        self.follows.insert((a, b));
        self.push(t, Act::Follow(a, b));
        Some(t)
    }

    fn follow(&mut self, r: &mut SmallRng, a: u32, b: u32) -> Option<u32> {
        self.follow_in(r, a, b, 0, END)
    }

    fn view(&mut self, r: &mut SmallRng, a: u32, b: u32, lo: u32) {
        let (x, y) = (&self.accounts[a as usize], &self.accounts[b as usize]);
        let lo = lo.max(x.active.max(y.active) + 1);
        if let Some(t) = between(r, lo, x.until.min(y.until)) {
            self.push(t, Act::View(a, b));
        }
    }

    fn new_account(&mut self, role: Role, created: u32, niche: usize) -> u32 {
        let a = self.accounts.len() as u32;
        let seed = self.config.seed;
        let mut r = rng_for(seed, 300, a as u64);
        let handle = self.plain_handle(&mut r, a);
        self.accounts.push(Acct {
            role,
            created,
            active: created,
            until: END,
            niche,
            handle,
            device: format!("dev-{}", hex_id(seed, 301, a as u64, 12)),
            email: hex_id(seed, 302, a as u64, 32),
            person: None,
            codes: Codes::default(),
            turned: false,
            bio: None,
        });
        self.posts_of.push(Vec::new());
        a
    }

    fn plain_handle(&self, r: &mut SmallRng, a: u32) -> String {
        let tail = base36(scramble(a, self.config.seed));
        let sep = pick(r, &["", "_", "."]);
        format!("{}{sep}{}{tail}", pick(r, HANDLE_A), pick(r, HANDLE_B))
    }

    fn coded_handle(&self, r: &mut SmallRng, a: u32) -> String {
        let tail = base36(scramble(a, self.config.seed));
        format!("{}_{}{tail}", self.code_hashtag(r), pick(r, &["shop", "vault", "store", "x"]))
    }

    fn code(&self, r: &mut SmallRng) -> String {
        let term = self.vocab.codes.choose(r).cloned().unwrap_or_default();
        obfuscate::apply(obfuscate::pick(r), &term, r)
    }

    fn code_hashtag(&self, r: &mut SmallRng) -> String {
        self.vocab.code_hashtag(r)
    }

    fn benign_bio(&self, r: &mut SmallRng, niche: usize) -> String {
        let n = &NICHES[niche];
        match r.gen_range(0..3) {
            0 => format!("{} + {}", pick(r, n.words), pick(r, n.words)),
            1 => format!("{} lover", n.name),
            _ => format!("{}, {} and more", pick(r, n.words), pick(r, COMMON_WORDS)),
        }
    }

    fn seller_bio(&self, r: &mut SmallRng, a: u32) -> Option<String> {
        let acct = &self.accounts[a as usize];
        if !acct.codes.bio {
            let niche = acct.niche;
            return r.gen_bool(0.6).then(|| self.benign_bio(r, niche));
        }
        let mut parts = vec![pick(r, &SELLER_BIO_TEMPLATES).replace("{w}", &self.code(r))];
        if r.gen_bool(0.4) {
            parts.extend(self.vocab.emoji.choose(r).cloned());
        }
        if r.gen_bool(0.3) {
            if let Some((pattern, reversed)) = self.vocab.age_codes.choose(r) {
                let n = r.gen_range(11..=16u32).to_string();
                let n = if *reversed { n.chars().rev().collect() } else { n };
                parts.push(pattern.replace("{n}", &n));
            }
        }
        parts.shuffle(r);
        Some(parts.join(pick(r, &[" | ", " ~ ", " · "])))
    }

    fn account_event(
        &self,
        a: u32,
        bio: Option<String>,
        identifiers: Option<Identifiers>,
        age_band: Option<AgeBand>,
    ) -> Act {
        let acct = &self.accounts[a as usize];
        Act::Account(Box::new(AccountEvent {
            account: self.id(a),
            handle: acct.handle.clone(),
            display_name: None,
            bio,
            links: None,
            age_band,
            identifiers,
        }))
    }

    fn identifiers(&self, a: u32) -> Identifiers {
        let acct = &self.accounts[a as usize];
        Identifiers {
            device: vec![acct.device.clone()],
            email_hash: vec![acct.email.clone()],
            ..Identifiers::default()
        }
    }

    fn age_band(r: &mut SmallRng) -> Option<AgeBand> {
        Some(if r.gen_bool(0.7) { AgeBand::Adult } else { AgeBand::Unknown })
    }

    fn random_hash(&self, domain: u64, item: u64) -> [u8; 32] {
        let mut r = rng_for(self.config.seed, domain, item);
        let mut out = [0u8; 32];
        r.fill(&mut out[..]);
        out
    }

    fn bank_hash(&self, index: u32) -> Pdq {
        Pdq(self.random_hash(340, index as u64))
    }

    /// A post by `a` at a time in [lo, hi), coded or not as its seller flags say.
    fn post(&mut self, r: &mut SmallRng, a: u32, lo: u32, hi: u32, network: bool) {
        let Some(t) = between(r, lo, hi) else { return };
        let number = self.n_posts;
        self.n_posts += 1;
        let acct = &self.accounts[a as usize];
        let niche = &NICHES[acct.niche];
        let codes = acct.codes;
        let mut hashtags = Vec::new();
        let caption = if network && codes.caption {
            for _ in 0..r.gen_range(1..4) {
                hashtags.push(self.code_hashtag(r));
            }
            Some(format!("{} {}", pick(r, &["new", "fresh", "today:", "more"]), self.code(r)))
        } else {
            for _ in 0..r.gen_range(0..4) {
                hashtags.push(pick(r, niche.hashtags).to_owned());
            }
            r.gen_bool(0.8).then(|| format!("{} {}", pick(r, niche.words), pick(r, COMMON_WORDS)))
        };
        hashtags.sort();
        hashtags.dedup();
        let post_id = PostId::new(format!("p{number}"));
        let pdq =
            if network && codes.bank && (self.posts_of[a as usize].is_empty() || r.gen_bool(0.5)) {
                let index = r.gen_range(0..BANK_SIZE);
                let flips = r.gen_range(0..=12usize);
                let mut hash = self.bank_hash(index).0;
                for bit in rand::seq::index::sample(r, 256, flips).iter() {
                    hash[bit / 8] ^= 1 << (bit % 8);
                }
                self.bank_matches.insert(post_id.as_str().to_owned(), flips as u32);
                Some(hash)
            } else {
                r.gen_bool(0.85).then(|| self.random_hash(341, number as u64))
            };
        let media = pdq
            .map(|h| {
                vec![Media { kind: MediaKind::Image, pdq: Some(Pdq(h)), md5: None, sha256: None }]
            })
            .unwrap_or_default();
        self.posts_of[a as usize].push((number, t));
        self.push(
            t,
            Act::Post(Box::new(PostEvent {
                post: post_id,
                author: self.id(a),
                caption,
                hashtags,
                media,
            })),
        );
    }

    fn benign_search(&mut self, r: &mut SmallRng, a: u32) {
        let acct = &self.accounts[a as usize];
        let Some(t) = between(r, acct.created + 1, acct.until) else { return };
        let niche = &NICHES[acct.niche];
        let query = match r.gen_range(0..3) {
            0 => format!("#{}", pick(r, niche.hashtags)),
            1 => pick(r, niche.words).to_owned(),
            _ => format!(
                "{} {}",
                pick(r, niche.words),
                pick(r, &["tips", "ideas", "near me", "beginner"])
            ),
        };
        self.push(t, Act::Search(a, query.into()));
    }

    /// A like or comment by `a` on a post of `b`, after `after`.
    fn engage(&mut self, r: &mut SmallRng, a: u32, b: u32, after: u32, comment: bool) {
        let Some(&(post, tp)) = self.posts_of[b as usize].choose(r) else { return };
        let hi = self.accounts[a as usize].until.min(self.accounts[b as usize].until);
        let Some(t) = between(r, after.max(tp) + 1, hi) else { return };
        if !comment {
            self.push(t, Act::Like(a, post));
            return;
        }
        let post = PostId::new(format!("p{post}"));
        let text = match r.gen_range(0..4) {
            0 => format!("{}?", self.code(r)),
            1 => format!("price for {}?", self.code(r)),
            _ => pick(r, &["dm sent", "interested", "still available?"]).to_owned(),
        };
        let number = self.n_comments;
        self.n_comments += 1;
        self.push(
            t,
            Act::Comment(Box::new(CommentEvent {
                comment: CommentId::new(format!("c{number}")),
                actor: self.id(a),
                post,
                text,
            })),
        );
    }
}

/// Plants a network into `graph` and writes `events.jsonl`, `truth.json` and
/// `bank.txt` into `out` (created if missing).
pub fn plant(graph: &EdgeList, config: &PlantConfig, out: &Path) -> Result<PlantStats, SynthError> {
    config.validate()?;
    let vocab = Vocab::new(&config.lexicon).map_err(|why| SynthError::Lexicon { why })?;
    let n_real = graph.vertices.len();
    let n_sellers = config.sellers as usize;
    let n_buyers = n_sellers * config.buyers as usize;
    let from_real = |share: f64, of: usize| (share * of as f64).round() as usize;
    let (real_sellers, real_buyers) = (
        from_real(config.sellers_from_real, n_sellers),
        from_real(config.buyers_from_real, n_buyers),
    );
    if real_sellers + real_buyers >= n_real {
        return Err(SynthError::Setting {
            field: "sellers",
            why: format!(
                "the graph has {n_real} vertices: too few for {real_sellers} sellers and {real_buyers} buyers from real accounts (lower sellers, buyers, sellers_from_real or buyers_from_real)"
            ),
        });
    }
    let mut p = Planter {
        config,
        vocab,
        vertices: &graph.vertices,
        accounts: Vec::with_capacity(n_real + n_sellers + n_buyers),
        events: Vec::with_capacity(graph.follows.len() + n_real * 2),
        follows: HashSet::with_capacity(graph.follows.len() * 2),
        posts_of: Vec::with_capacity(n_real + n_sellers + n_buyers),
        n_posts: 0,
        n_comments: 0,
        bank_matches: BTreeMap::new(),
    };
    let seed = config.seed;
    let n_niches = NICHES.len();

    // 1. Real accounts and their follows, all before the planting starts.
    for v in 0..n_real as u32 {
        let mut r = rng_for(seed, 201, v as u64);
        let created = r.gen_range(0..DAY);
        let niche = r.gen_range(0..n_niches);
        let a = p.new_account(Role::Real, created, niche);
        let bio = r.gen_bool(0.6).then(|| p.benign_bio(&mut r, niche));
        let ids = p.identifiers(a);
        let event = p.account_event(a, bio, Some(ids), Planter::age_band(&mut r));
        p.push(created, event);
    }
    let mut in_degree = vec![0u32; n_real];
    {
        let mut r = rng_for(seed, 202, 0);
        for &(a, b) in &graph.follows {
            in_degree[b as usize] += 1;
            p.follow_in(&mut r, a, b, DAY, PLANT_START);
        }
    }

    // 2. Who is who: real accounts that turn, and new accounts.
    let mut r = rng_for(seed, 203, 0);
    let picked = rand::seq::index::sample(&mut r, n_real, real_sellers + real_buyers).into_vec();
    let mut sellers: Vec<u32> = Vec::with_capacity(n_sellers);
    for &v in &picked[..real_sellers] {
        let a = &mut p.accounts[v];
        a.role = Role::Seller;
        a.turned = true;
        a.active = r.gen_range(PLANT_START..CREATED_BY);
        sellers.push(v as u32);
    }
    while sellers.len() < n_sellers {
        let created = r.gen_range(PLANT_START..CREATED_BY);
        sellers.push(p.new_account(Role::Seller, created, r.gen_range(0..n_niches)));
    }
    let mut buyers: Vec<u32> = Vec::with_capacity(n_buyers);
    for &v in &picked[real_sellers..] {
        let a = &mut p.accounts[v];
        a.role = Role::Buyer;
        a.turned = true;
        a.active = r.gen_range(PLANT_START..CREATED_BY);
        buyers.push(v as u32);
    }
    while buyers.len() < n_buyers {
        let created = r.gen_range(PLANT_START..CREATED_BY);
        buyers.push(p.new_account(Role::Buyer, created, r.gen_range(0..n_niches)));
    }
    // Seller behaviour flags, bans and the sellers' account events.
    for &s in &sellers {
        let mut r = rng_for(seed, 204, s as u64);
        p.accounts[s as usize].codes = Codes {
            bio: r.gen_bool(config.bio_code_share),
            handle: r.gen_bool(config.handle_code_share),
            caption: r.gen_bool(config.caption_code_share),
            bank: r.gen_bool(config.bank_media_share),
        };
    }
    let n_banned = if config.enforced_share > 0.0 {
        from_real(config.enforced_share, n_sellers).clamp(1, n_sellers)
    } else {
        0
    };
    let banned: Vec<u32> =
        rand::seq::index::sample(&mut r, n_sellers, n_banned).iter().map(|i| sellers[i]).collect();
    for &s in &banned {
        let ban = r.gen_range(BAN_FROM..BAN_TO);
        p.accounts[s as usize].until = ban;
    }
    for &s in &sellers {
        let mut r = rng_for(seed, 205, s as u64);
        if p.accounts[s as usize].codes.handle {
            p.accounts[s as usize].handle = p.coded_handle(&mut r, s);
        }
        let bio = p.seller_bio(&mut r, s);
        p.accounts[s as usize].bio = bio.clone();
        let acct = &p.accounts[s as usize];
        let (t, turned) = (acct.active, acct.turned);
        let event = if turned {
            // A real account that turned: its profile changes; identifiers stay.
            p.account_event(s, bio.or_else(|| Some(String::new())), None, None)
        } else {
            p.account_event(s, bio, Some(p.identifiers(s)), Planter::age_band(&mut r))
        };
        p.push(t, event);
    }
    for &b in &buyers {
        if p.accounts[b as usize].turned {
            continue;
        }
        let mut r = rng_for(seed, 206, b as u64);
        let niche = p.accounts[b as usize].niche;
        let bio = r.gen_bool(0.5).then(|| p.benign_bio(&mut r, niche));
        let event = p.account_event(b, bio, Some(p.identifiers(b)), Planter::age_band(&mut r));
        p.push(p.accounts[b as usize].created, event);
    }

    // 3. Backups: declared by one side or both, some sharing an identifier.
    let mut r = rng_for(seed, 207, 0);
    let n_backups = from_real(config.backup_share, n_sellers);
    let mut backup_truth: Vec<(u32, u32, BackupDeclared, bool)> = Vec::new();
    let with_backup: Vec<u32> =
        rand::seq::index::sample(&mut r, n_sellers, n_backups).iter().map(|i| sellers[i]).collect();
    for &main in &with_backup {
        let created = p.accounts[main as usize].active + r.gen_range(DAY..10 * DAY);
        let niche = p.accounts[main as usize].niche;
        let backup = p.new_account(Role::Backup, created, niche);
        let codes = p.accounts[main as usize].codes;
        p.accounts[backup as usize].codes = codes;
        let person = format!("person-{}", p.id(main).as_str());
        p.accounts[main as usize].person = Some(person.clone());
        p.accounts[backup as usize].person = Some(person);
        let shared = r.gen_bool(config.backup_shared_identifier);
        if shared {
            if r.gen_bool(0.5) {
                p.accounts[backup as usize].device = p.accounts[main as usize].device.clone();
            } else {
                p.accounts[backup as usize].email = p.accounts[main as usize].email.clone();
            }
        }
        let declared = match config.backup_declared {
            BackupDeclared::Mixed => {
                *[BackupDeclared::Main, BackupDeclared::Backup, BackupDeclared::Both]
                    .choose(&mut r)
                    .unwrap_or(&BackupDeclared::Both)
            }
            d => d,
        };
        let main_handle = p.accounts[main as usize].handle.clone();
        let backup_handle = p.accounts[backup as usize].handle.clone();
        let own = p.seller_bio(&mut r, backup);
        let bio = if matches!(declared, BackupDeclared::Backup | BackupDeclared::Both) {
            let line = pick(&mut r, &BACKUP_NAMES_MAIN).replace("{h}", &main_handle);
            Some(match own {
                Some(own) if r.gen_bool(0.5) => format!("{line} | {own}"),
                _ => line,
            })
        } else {
            own
        };
        let event =
            p.account_event(backup, bio, Some(p.identifiers(backup)), Planter::age_band(&mut r));
        p.push(created, event);
        if matches!(declared, BackupDeclared::Main | BackupDeclared::Both) {
            let t = created + r.gen_range(60..DAY);
            let line = pick(&mut r, &MAIN_NAMES_BACKUP).replace("{h}", &backup_handle);
            let bio = match p.accounts[main as usize].bio.clone() {
                Some(b) if !b.is_empty() => format!("{b} | {line}"),
                _ => line,
            };
            let event = p.account_event(main, Some(bio), None, None);
            p.push(t, event);
        }
        backup_truth.push((backup, main, declared, shared));
    }

    // 4. Returning accounts: after the ban, sharing only a device.
    let mut returning: Vec<(u32, u32)> = Vec::new();
    for &s in &banned {
        if !r.gen_bool(config.return_share) {
            continue;
        }
        let ban = p.accounts[s as usize].until;
        let created = ban + r.gen_range(3_600..3 * DAY);
        let niche = p.accounts[s as usize].niche;
        let new = p.new_account(Role::Seller, created, niche);
        let old = &p.accounts[s as usize];
        let (device, codes) = (old.device.clone(), old.codes);
        let person = old.person.clone().unwrap_or_else(|| format!("person-{}", p.id(s).as_str()));
        p.accounts[s as usize].person = Some(person.clone());
        let a = &mut p.accounts[new as usize];
        a.device = device;
        a.codes = codes;
        a.person = Some(person);
        let mut rr = rng_for(seed, 208, new as u64);
        if codes.handle {
            p.accounts[new as usize].handle = p.coded_handle(&mut rr, new);
        }
        let bio = p.seller_bio(&mut rr, new);
        let ids = Identifiers {
            device: vec![p.accounts[new as usize].device.clone()],
            ..Identifiers::default()
        };
        let event = p.account_event(new, bio, Some(ids), Planter::age_band(&mut rr));
        p.push(created, event);
        returning.push((new, s));
    }

    // 5. Posts: benign ones of real accounts, and the network's.
    for a in 0..n_real as u32 {
        let mut r = rng_for(seed, 210, a as u64);
        let acct = &p.accounts[a as usize];
        let hi = if acct.role == Role::Seller { acct.active } else { acct.until };
        let lo = acct.created + 1;
        if r.gen_bool(config.real_post_share) {
            for _ in 0..r.gen_range(1..5) {
                p.post(&mut r, a, lo, hi, false);
            }
        }
        if r.gen_bool(config.real_search_share) {
            for _ in 0..r.gen_range(1..3) {
                p.benign_search(&mut r, a);
            }
        }
    }
    let all_sellers: Vec<u32> =
        sellers.iter().copied().chain(returning.iter().map(|x| x.0)).collect();
    for &s in all_sellers.iter().chain(backup_truth.iter().map(|b| &b.0)) {
        let mut r = rng_for(seed, 211, s as u64);
        let acct = &p.accounts[s as usize];
        let (lo, hi) = (acct.active + 1, acct.until);
        let k = if acct.role == Role::Backup { r.gen_range(1..4) } else { r.gen_range(3..9) };
        for _ in 0..k {
            p.post(&mut r, s, lo, hi, true);
        }
    }

    // 6. Buyers follow sellers: heavy-tailed counts, popular sellers more.
    let mut r = rng_for(seed, 212, 0);
    let mut popularity_order: Vec<usize> = (0..n_sellers).collect();
    popularity_order.shuffle(&mut r);
    let mut weights = vec![0.0; n_sellers];
    for (rank, &i) in popularity_order.iter().enumerate() {
        weights[i] = 1.0 / (rank as f64 + 1.0);
    }
    let mut followed: Vec<Vec<u32>> = vec![Vec::new(); buyers.len()];
    for list in followed.iter_mut() {
        let k =
            power_law(&mut r, config.buyer_min_sellers, config.buyer_follow_exponent, n_sellers);
        list.extend(weighted_distinct(&mut r, &weights, k).into_iter().map(|i| sellers[i]));
    }
    // Every seller has at least one buyer.
    if !buyers.is_empty() {
        let mut has_buyer: HashSet<u32> = followed.iter().flatten().copied().collect();
        for &s in &sellers {
            if has_buyer.insert(s) {
                let bi = r.gen_range(0..buyers.len());
                followed[bi].push(s);
            }
        }
    }
    let mut buyers_of: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (bi, &b) in buyers.iter().enumerate() {
        let mut r = rng_for(seed, 213, b as u64);
        for &s in &followed[bi].clone() {
            let Some(t) = p.follow(&mut r, b, s) else { continue };
            buyers_of.entry(s).or_default().push(b);
            if r.gen_bool(config.follow_back) {
                p.follow_in(&mut r, s, b, t + 1, END);
            }
            p.view(&mut r, b, s, t + 1);
            if r.gen_bool(config.engage_share) {
                p.engage(&mut r, b, s, t, false);
            }
            if r.gen_bool(config.engage_share / 2.0) {
                p.engage(&mut r, b, s, t, true);
            }
        }
        let others: Vec<u32> =
            sellers.iter().copied().filter(|s| !followed[bi].contains(s)).collect();
        for &s in others.choose_multiple(&mut r, config.extra_views as usize) {
            p.view(&mut r, b, s, 0);
        }
        if r.gen_bool(config.coded_search_share) {
            for _ in 0..r.gen_range(1..4) {
                let acct = &p.accounts[b as usize];
                let Some(t) = between(&mut r, acct.active + 1, acct.until) else { continue };
                let query = if r.gen_bool(0.3) {
                    format!("#{}", p.code_hashtag(&mut r))
                } else {
                    p.code(&mut r)
                };
                p.push(t, Act::Search(b, query.into()));
            }
        }
        if !p.accounts[b as usize].turned && r.gen_bool(0.3) {
            p.benign_search(&mut r, b);
        }
    }
    // Sellers among themselves.
    let mut r = rng_for(seed, 214, 0);
    for &a in &sellers {
        for &b in &sellers {
            if a != b && r.gen_bool(config.sellers_follow_each_other) {
                p.follow(&mut r, a, b);
            }
        }
    }
    // Backups follow their main; some of the main's buyers follow the backup.
    for &(backup, main, _, _) in &backup_truth {
        let mut r = rng_for(seed, 215, backup as u64);
        p.follow(&mut r, backup, main);
        for &b in buyers_of.get(&main).map(Vec::as_slice).unwrap_or(&[]) {
            if r.gen_bool(0.5) {
                p.follow(&mut r, b, backup);
            }
        }
    }
    // Returning accounts re-follow some old buyers and are followed by some.
    for &(new, old) in &returning {
        let mut r = rng_for(seed, 216, new as u64);
        let old_buyers = buyers_of.get(&old).cloned().unwrap_or_default();
        let mut followed_by_one = false;
        for &b in &old_buyers {
            if r.gen_bool(0.4) {
                p.follow(&mut r, new, b);
            }
            if r.gen_bool(0.6) {
                followed_by_one |= p.follow(&mut r, b, new).is_some();
            }
        }
        if !followed_by_one {
            if let Some(&b) = old_buyers.first() {
                p.follow(&mut r, b, new);
            }
        }
    }

    // 7. Camouflage and touches: ties between the network and real accounts.
    let benign_real: Vec<u32> =
        (0..n_real as u32).filter(|&v| p.accounts[v as usize].role == Role::Real).collect();
    let popular =
        WeightedIndex::new(benign_real.iter().map(|&v| in_degree[v as usize] as f64 + 1e-9)).ok();
    let draw_real = |r: &mut SmallRng, target: CamouflageTarget| -> Option<u32> {
        if benign_real.is_empty() {
            return None;
        }
        Some(match (target, &popular) {
            (CamouflageTarget::Popular, Some(w)) => benign_real[w.sample(r)],
            _ => benign_real[r.gen_range(0..benign_real.len())],
        })
    };
    let planted_network: Vec<u32> = (n_real as u32..p.accounts.len() as u32).collect();
    for &a in &planted_network {
        let mut r = rng_for(seed, 217, a as u64);
        let mut placed = 0;
        for _ in 0..config.camouflage * 20 {
            if placed == config.camouflage {
                break;
            }
            let Some(v) = draw_real(&mut r, config.camouflage_target) else { break };
            placed += u32::from(p.follow(&mut r, a, v).is_some());
        }
    }
    for &s in &sellers {
        let mut r = rng_for(seed, 218, s as u64);
        let mut touched: HashSet<u32> = HashSet::new();
        for _ in 0..config.touches * 20 {
            if touched.len() == config.touches as usize {
                break;
            }
            let Some(v) = draw_real(&mut r, CamouflageTarget::Random) else { break };
            if p.follows.contains(&(v, s)) || p.follows.contains(&(s, v)) || !touched.insert(v) {
                continue;
            }
            if r.gen_bool(0.5) {
                p.follow_in(&mut r, v, s, PLANT_START, END);
            } else {
                p.view(&mut r, v, s, PLANT_START);
            }
        }
    }

    // 8. Hard negatives: fans and shops naming a real account, household devices.
    let mut planted_benign: Vec<u32> = Vec::new();
    let n_hard = n_sellers * config.hard_negatives as usize;
    for i in 0..n_hard {
        let mut r = rng_for(seed, 219, i as u64);
        let Some(named) = draw_real(
            &mut r,
            if i % 3 == 0 { CamouflageTarget::Popular } else { CamouflageTarget::Random },
        ) else {
            break;
        };
        let created = r.gen_range(PLANT_START..CREATED_BY);
        let niche = p.accounts[named as usize].niche;
        let a = p.new_account(Role::HardNegative, created, niche);
        let named_handle = p.accounts[named as usize].handle.clone();
        let bio = match i % 3 {
            0 => Some(pick(&mut r, &FAN_BIOS).replace("{h}", &named_handle)),
            1 => Some(pick(&mut r, &SHOP_BIOS).replace("{h}", &named_handle)),
            _ => {
                p.accounts[a as usize].device = p.accounts[named as usize].device.clone();
                r.gen_bool(0.7).then(|| p.benign_bio(&mut r, niche))
            }
        };
        let event = p.account_event(a, bio, Some(p.identifiers(a)), Planter::age_band(&mut r));
        p.push(created, event);
        p.follow(&mut r, a, named);
        for _ in 0..r.gen_range(2..10) {
            if let Some(v) = draw_real(&mut r, CamouflageTarget::Popular) {
                p.follow(&mut r, a, v);
            }
        }
        for _ in 0..r.gen_range(0..3) {
            if let Some(v) = draw_real(&mut r, CamouflageTarget::Random) {
                p.follow(&mut r, v, a);
            }
        }
        for _ in 0..r.gen_range(1..4) {
            p.post(&mut r, a, created + 1, END, false);
        }
        planted_benign.push(a);
    }

    // 9. Bans, last of everything that involves a banned account.
    for &s in &banned {
        let t = p.accounts[s as usize].until;
        p.push(t, Act::Ban(s));
    }

    write(&p, graph, out, &sellers, &buyers, &backup_truth, &returning, &planted_benign, &banned)
}

#[allow(clippy::too_many_arguments)]
fn write(
    p: &Planter<'_>,
    graph: &EdgeList,
    out: &Path,
    sellers: &[u32],
    buyers: &[u32],
    backups: &[(u32, u32, BackupDeclared, bool)],
    returning: &[(u32, u32)],
    planted_benign: &[u32],
    banned: &[u32],
) -> Result<PlantStats, SynthError> {
    std::fs::create_dir_all(out).map_err(io_err(out))?;
    let mut order: Vec<usize> = (0..p.events.len()).collect();
    order.sort_unstable_by_key(|&i| (p.events[i].0, p.events[i].1));
    let mut stats = PlantStats {
        real_accounts: graph.vertices.len() as u64,
        real_follows: graph.follows.len() as u64,
        ..PlantStats::default()
    };
    let events_path = out.join("events.jsonl");
    let file = std::fs::File::create(&events_path).map_err(io_err(&events_path))?;
    let mut writer = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut counts = [0u64; EventType::ALL.len()];
    let mut buf = Vec::with_capacity(1 << 16);
    for (n, &i) in order.iter().enumerate() {
        let (t, _, act) = &p.events[i];
        let kind = match act {
            Act::Account(a) => EventKind::Account((**a).clone()),
            Act::Follow(a, b) => EventKind::Follow(FollowEvent { from: p.id(*a), to: p.id(*b) }),
            Act::View(a, b) => EventKind::View(ViewEvent {
                viewer: p.id(*a),
                target: ViewTarget::Account(p.id(*b)),
            }),
            Act::Post(post) => EventKind::Post((**post).clone()),
            Act::Like(a, post) => EventKind::Like(LikeEvent {
                actor: p.id(*a),
                post: PostId::new(format!("p{post}")),
            }),
            Act::Comment(c) => EventKind::Comment((**c).clone()),
            Act::Search(a, q) => {
                EventKind::Search(SearchEvent { actor: p.id(*a), query: q.to_string() })
            }
            Act::Ban(a) => EventKind::Enforcement(EnforcementEvent {
                account: p.id(*a),
                action: EnforcementAction::Ban,
                reason: Some("child sexual exploitation".into()),
                confirmed_category: Some("child_safety".into()),
            }),
        };
        let event = Event {
            id: EventId::new(format!("e{}", n + 1)),
            at: Timestamp::from_unix_seconds(EPOCH + *t as i64)
                .unwrap_or_else(|| Timestamp::from_unix_nanos(0)),
            kind,
        };
        let ty = event.kind.event_type();
        counts[EventType::ALL.iter().position(|x| *x == ty).unwrap_or(0)] += 1;
        buf.clear();
        event.write_json(&mut buf);
        buf.push(b'\n');
        writer.write_all(&buf).map_err(io_err(&events_path))?;
        stats.bytes += buf.len() as u64;
    }
    writer.flush().map_err(io_err(&events_path))?;
    drop(writer);
    for (t, n) in EventType::ALL.iter().zip(counts) {
        stats.events_by_type.insert(t.as_str(), n);
        stats.events += n;
    }

    stats.bank_hashes = crate::write_bank(out, (0..BANK_SIZE).map(|i| p.bank_hash(i)))?;

    // Ground truth: the common keys, then the planting's own.
    let mut truth = Truth::default();
    let name = |a: u32| p.id(a).as_str().to_owned();
    for (list, role) in [(sellers, "seller"), (buyers, "buyer")] {
        for &a in list {
            truth.network.insert(name(a), role.to_owned());
        }
    }
    for &(new, _) in returning {
        truth.network.insert(name(new), "seller".to_owned());
    }
    for &(backup, _, _, _) in backups {
        truth.network.insert(name(backup), "backup".to_owned());
    }
    for (a, acct) in p.accounts.iter().enumerate() {
        if let Some(person) = &acct.person {
            truth.persons.insert(name(a as u32), person.clone());
        }
    }
    truth.bank_matches = p.bank_matches.clone();
    for role in truth.network.values() {
        *stats.network_by_role.entry(role.clone()).or_default() += 1;
    }
    stats.network_from_real = p.accounts.iter().filter(|a| a.turned).count() as u64;
    stats.banned = banned.len() as u64;
    stats.returning = returning.len() as u64;
    stats.planted_benign = planted_benign.len() as u64;

    let mut json = truth.to_json();
    // `to_json` ends with the closing brace of the object; the extra keys go before it.
    let close = json.rfind('}').unwrap_or(json.len());
    json.truncate(close);
    let json = json.trim_end().to_owned();
    let list = |ids: &mut dyn Iterator<Item = String>| {
        let items: Vec<String> = ids.map(|s| json_string(&s)).collect();
        format!("[{}]", items.join(", "))
    };
    let mut extra = String::new();
    extra.push_str(&format!(
        ",\n  \"planted_benign\": {}",
        list(&mut planted_benign.iter().map(|&a| name(a)))
    ));
    extra.push_str(&format!(",\n  \"real_accounts\": {}", graph.vertices.len()));
    extra.push_str(",\n  \"real_prefix\": \"r\"");
    let backups_json: Vec<String> = backups
        .iter()
        .map(|&(backup, main, declared, shared)| {
            format!(
                "\n    {}: {{\"main\": {}, \"declared\": \"{}\", \"shared_identifier\": {shared}}}",
                json_string(&name(backup)),
                json_string(&name(main)),
                declared.as_str()
            )
        })
        .collect();
    extra.push_str(&format!(",\n  \"backups\": {{{}\n  }}", backups_json.join(",")));
    let returning_json: Vec<String> = returning
        .iter()
        .map(|&(new, old)| {
            format!("\n    {}: {}", json_string(&name(new)), json_string(&name(old)))
        })
        .collect();
    extra.push_str(&format!(",\n  \"returning\": {{{}\n  }}\n}}\n", returning_json.join(",")));
    let truth_path = out.join("truth.json");
    std::fs::write(&truth_path, format!("{json}{extra}")).map_err(io_err(&truth_path))?;
    Ok(stats)
}

/// A JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests;
