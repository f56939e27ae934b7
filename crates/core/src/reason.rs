//! Why a network scan placed an account where it did, as typed values.
//!
//! The scan gives every account that is not clear a list of [`Reason`]s, and
//! every person with several accounts a list of [`PersonEvidence`] (the links
//! between its accounts, each with its [`IdentityEvidence`]). Each value
//! serializes as a JSON object whose `kind` names the variant
//! ([`Reason::kind`]), so a console can filter by kind and link to the post,
//! bank or account a reason names; its [`Display`](fmt::Display) is the line
//! a reviewer reads. A number that is not finite (the chance count of a
//! behaviour channel without a baseline is infinite) is written as the
//! string `"inf"`, `"-inf"` or `"NaN"`, which JSON can hold and reads back.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{EnforcementAction, Severity, Surface, Timestamp};

/// An account as a reason names it.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct NamedAccount {
    /// The platform's account id.
    pub id: String,
    /// Its handle, without `@` (`None` when it has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
}

impl NamedAccount {
    /// An account with id `id` and handle `handle` (an empty handle is none).
    pub fn new(id: &str, handle: &str) -> NamedAccount {
        NamedAccount { id: id.to_owned(), handle: (!handle.is_empty()).then(|| handle.to_owned()) }
    }
}

/// `@handle (id)`, or the id of an account without a handle.
impl fmt::Display for NamedAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.handle {
            Some(h) => write!(f, "@{h} ({})", self.id),
            None => f.write_str(&self.id),
        }
    }
}

/// One kind of interaction between two accounts.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InteractionKind {
    /// A follow.
    Follow,
    /// A view of a profile or post.
    View,
    /// A like.
    Like,
    /// A comment.
    Comment,
}

impl InteractionKind {
    /// The name used in JSON (`follow`, `view`, `like`, `comment`).
    pub fn as_str(self) -> &'static str {
        match self {
            InteractionKind::Follow => "follow",
            InteractionKind::View => "view",
            InteractionKind::Like => "like",
            InteractionKind::Comment => "comment",
        }
    }

    /// The verb a reason uses: `follows`, `viewed`, `liked`, `commented on`.
    pub fn verb(self) -> &'static str {
        match self {
            InteractionKind::Follow => "follows",
            InteractionKind::View => "viewed",
            InteractionKind::Like => "liked",
            InteractionKind::Comment => "commented on",
        }
    }
}

/// The verbs of `kinds` joined by `+` (`follows+liked`).
struct Verbs<'a>(&'a [InteractionKind]);

impl fmt::Display for Verbs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, k) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("+")?;
            }
            f.write_str(k.verb())?;
        }
        Ok(())
    }
}

/// Items displayed one after another with `sep` between them.
struct Joined<'a, T>(&'a [T], &'a str);

impl<T: fmt::Display> fmt::Display for Joined<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, x) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(self.1)?;
            }
            write!(f, "{x}")?;
        }
        Ok(())
    }
}

/// Interactions of the account a reason is about with another account.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Tie {
    /// The other account.
    pub account: NamedAccount,
    /// The interactions, in the order follow, view, like, comment.
    pub kinds: Vec<InteractionKind>,
    /// Whether they go from the account the reason is about to the other one
    /// (else from the other one to it).
    pub outgoing: bool,
}

/// `follows+liked @x (u1)`, or `@x (u1) follows it` for an incoming tie.
impl fmt::Display for Tie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.outgoing {
            write!(f, "{} {}", Verbs(&self.kinds), self.account)
        } else {
            write!(f, "{} {} it", self.account, Verbs(&self.kinds))
        }
    }
}

/// One step of a path: `from` interacted with `to`.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct PathStep {
    /// The account that interacted.
    pub from: NamedAccount,
    /// The interactions, in the order follow, view, like, comment.
    pub kinds: Vec<InteractionKind>,
    /// The account it interacted with.
    pub to: NamedAccount,
}

/// `@a (u3) follows @b (u7)`.
impl fmt::Display for PathStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.from, Verbs(&self.kinds), self.to)
    }
}

/// A channel of the behaviour test (what an account does towards the
/// flagged set).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Flagged accounts it follows, likes or comments on.
    TiesOut,
    /// Flagged accounts it only viewed.
    ViewsOut,
    /// Flagged accounts that follow, like or comment on it.
    TiesIn,
    /// Extra kinds of interaction on its contacts with the flagged set.
    Depth,
    /// Searches or comments of its own that use coded terms.
    Coded,
}

/// One channel's count in a behaviour test.
#[derive(Clone, Copy, PartialEq, Debug, Serialize, Deserialize)]
pub struct ChannelCount {
    /// The channel.
    pub channel: Channel,
    /// Distinct flagged accounts in it (for `coded`, 1 when the account has
    /// any coded search or comment; for `depth`, extra kinds).
    pub count: u32,
    /// Distinct accounts in it in all (flagged or not).
    pub degree: u32,
    /// The count chance would give (for `coded`, the share of other accounts
    /// with a coded search or comment).
    #[serde(with = "float")]
    pub expected: f64,
}

/// The channels with a count, each described, and the p-value:
/// `follows, likes or comments on 3 flagged accounts among its 12 (chance
/// 0.09); ...: p = 3.1e-6`.
struct BehaviourText<'a> {
    channels: &'a [ChannelCount],
    p_value: f64,
}

impl fmt::Display for BehaviourText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        // Counted channels first, in order, then the coded one.
        let counted = self.channels.iter().filter(|c| c.channel != Channel::Coded);
        let coded = self.channels.iter().filter(|c| c.channel == Channel::Coded);
        for c in counted.chain(coded).filter(|c| c.count > 0) {
            if !first {
                f.write_str("; ")?;
            }
            first = false;
            let (k, d) = (c.count, c.degree);
            match c.channel {
                Channel::TiesOut => {
                    write!(f, "follows, likes or comments on {k} flagged accounts among its {d}")?
                }
                Channel::ViewsOut => {
                    write!(f, "viewed {k} more flagged accounts among the {d} it only viewed")?
                }
                Channel::TiesIn => write!(
                    f,
                    "{k} more flagged accounts follow, like or comment on it, among its {d}"
                )?,
                Channel::Depth => write!(
                    f,
                    "{k} more kinds of interaction on those contacts (views, likes, comments)"
                )?,
                Channel::Coded => {
                    write!(
                        f,
                        "its own searches or comments use coded terms ({:.2}% of other accounts' do)",
                        c.expected * 100.0
                    )?;
                    continue;
                }
            }
            write!(f, " (chance {:.2})", c.expected)?;
        }
        write!(f, ": p = {:.1e}", self.p_value)
    }
}

/// One of the network's hashtags that an account used.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct HashtagUse {
    /// The hashtag, without `#` (the spelling that names its family).
    pub tag: String,
    /// Spellings grouped with it (by the text engine's key).
    pub spellings: u32,
    /// Its distinct users that are flagged.
    pub flagged: u32,
    /// Its distinct users in all.
    pub users: u32,
}

/// `#tag (2 spellings, 5 of its 6 users flagged)`.
impl fmt::Display for HashtagUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{} (", self.tag)?;
        if self.spellings != 1 {
            write!(f, "{} spellings, ", self.spellings)?;
        }
        write!(f, "{} of its {} users flagged)", self.flagged, self.users)
    }
}

/// Why an account has its tier: one line for a reviewer each.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// The platform enforced against the account for child safety (a
    /// confirmed seed).
    Enforcement {
        /// `ban` or `suspend`.
        action: EnforcementAction,
        /// When.
        at: Timestamp,
    },
    /// A post's media matched a known-abuse hash bank (a confirmed seed).
    HashMatch {
        /// The post.
        post: String,
        /// The bank that matched.
        bank: String,
        /// `pdq`, `md5` or `sha256`.
        hash_kind: String,
        /// Hamming distance for PDQ (0 for exact hashes).
        distance: u32,
        /// Further matching posts of the account not listed.
        more: usize,
    },
    /// The account is the same person as an account banned for child
    /// safety, and appeared after the ban (a confirmed seed).
    BanEvasion {
        /// The banned account's id.
        banned: String,
        /// When it was banned.
        banned_at: Timestamp,
        /// The evidence of the direct link between the two, if they have one.
        evidence: Vec<IdentityEvidence>,
    },
    /// A strong or blocking lexicon hit in the account's own text: its handle,
    /// bio, captions and hashtags (direct evidence: a seed), searches and
    /// comments (shown, and counted by the behaviour test).
    LexiconHit {
        /// Where the text was.
        surface: Surface,
        /// The original text of the first match.
        matched: String,
        /// The lexicon terms found, sorted.
        terms: Vec<String>,
        /// The verdict's level: `strong` or `block`.
        level: Severity,
        /// Byte span of the first match in the text checked (the handle,
        /// the bio, the caption, ...), end exclusive.
        span: (usize, usize),
        /// The post, comment or search event the text was in (`None` for
        /// the handle and bio).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<String>,
        /// The account's handle, for a hit in it (shown instead of the match).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        handle: Option<String>,
    },
    /// Another account of the same person is in the flagged set.
    SamePerson {
        /// That account.
        account: NamedAccount,
        /// Whether it is banned for child safety (else it is flagged).
        banned: bool,
    },
    /// The behaviour test: what the account does towards the flagged set is
    /// more than chance gives, under the false-discovery control.
    Behaviour {
        /// Every channel of the test (the line shows those with a count).
        channels: Vec<ChannelCount>,
        /// The test's p-value.
        #[serde(with = "float")]
        p_value: f64,
    },
    /// The hashtag test: the account uses more of the network's hashtags
    /// than chance gives.
    Hashtags {
        /// The network's hashtags it used.
        count: u32,
        /// Distinct hashtags it used in all.
        degree: u32,
        /// How many of the network's chance would give.
        #[serde(with = "float")]
        expected: f64,
        /// The test's p-value.
        #[serde(with = "float")]
        p_value: f64,
        /// Some of those hashtags (up to the scan's `reason_examples`).
        hashtags: Vec<HashtagUse>,
    },
    /// Interactions with confirmed accounts, either way.
    NextToConfirmed {
        /// Some of them (up to the scan's `reason_examples`).
        ties: Vec<Tie>,
    },
    /// The shortest path through flagged accounts (by follows, likes and
    /// comments) to the nearest confirmed account, two or more steps away.
    PathToConfirmed {
        /// The confirmed account at the end.
        confirmed: NamedAccount,
        /// The steps, from the account the reason is about.
        steps: Vec<PathStep>,
    },
    /// Several of the account's followers also follow confirmed accounts.
    SharedFollowers {
        /// Its followers that follow a confirmed account.
        shared: usize,
        /// Its followers in all.
        followers: usize,
    },
    /// The seeds' random walks visit the account more than chance.
    RiskPropagation {
        /// Visits over a random walk's (the account's score).
        #[serde(with = "float")]
        lift: f64,
    },
    /// Child-safety reports against the account (never a seed).
    Reports {
        /// How many.
        count: u32,
    },
    /// The account's network and dense block in this scan.
    MemberOf {
        /// The network's id, if it is in one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        network: Option<usize>,
        /// The dense block's id, if it is in one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        block: Option<usize>,
    },
    /// Close to the network by proximity, with behaviour towards it that is
    /// nominally significant but does not survive the false-discovery
    /// control: a case for review.
    Candidate {
        /// Every channel of the behaviour test (the line shows those with a count).
        channels: Vec<ChannelCount>,
        /// The test's p-value.
        #[serde(with = "float")]
        p_value: f64,
    },
    /// A candidate's or exposed account's interactions with flagged accounts.
    TouchedNetwork {
        /// Some of them (up to the scan's `reason_examples`).
        ties: Vec<Tie>,
    },
    /// A reason stored as prose (scans stored before reasons were typed).
    Text {
        /// The line.
        text: String,
    },
}

impl Reason {
    /// The `kind` of every variant, as stored and serialized.
    pub const KINDS: [&'static str; 16] = [
        "enforcement",
        "hash_match",
        "ban_evasion",
        "lexicon_hit",
        "same_person",
        "behaviour",
        "hashtags",
        "next_to_confirmed",
        "path_to_confirmed",
        "shared_followers",
        "risk_propagation",
        "reports",
        "member_of",
        "candidate",
        "touched_network",
        "text",
    ];

    /// The variant's `kind`, as serialized (one of [`Reason::KINDS`]).
    pub fn kind(&self) -> &'static str {
        match self {
            Reason::Enforcement { .. } => "enforcement",
            Reason::HashMatch { .. } => "hash_match",
            Reason::BanEvasion { .. } => "ban_evasion",
            Reason::LexiconHit { .. } => "lexicon_hit",
            Reason::SamePerson { .. } => "same_person",
            Reason::Behaviour { .. } => "behaviour",
            Reason::Hashtags { .. } => "hashtags",
            Reason::NextToConfirmed { .. } => "next_to_confirmed",
            Reason::PathToConfirmed { .. } => "path_to_confirmed",
            Reason::SharedFollowers { .. } => "shared_followers",
            Reason::RiskPropagation { .. } => "risk_propagation",
            Reason::Reports { .. } => "reports",
            Reason::MemberOf { .. } => "member_of",
            Reason::Candidate { .. } => "candidate",
            Reason::TouchedNetwork { .. } => "touched_network",
            Reason::Text { .. } => "text",
        }
    }
}

/// The line a reviewer reads.
impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Enforcement { action, at } => {
                write!(f, "platform {} for child_safety ({at})", action.as_str())
            }
            Reason::HashMatch { post, bank, hash_kind, distance, more } => {
                write!(f, "post {post} matched hash bank {bank} ({hash_kind}, distance {distance})")?;
                if *more > 0 {
                    write!(f, " and {more} more")?;
                }
                Ok(())
            }
            Reason::BanEvasion { banned, banned_at, evidence } => {
                write!(f, "ban evasion: same person as {banned} (banned {banned_at})")?;
                if !evidence.is_empty() {
                    write!(f, ": {}", Joined(evidence, "; "))?;
                }
                Ok(())
            }
            Reason::LexiconHit { surface, matched, terms, level, source, handle, .. } => {
                match surface {
                    Surface::Handle => {
                        write!(f, "handle @{}", handle.as_deref().unwrap_or(matched))?
                    }
                    Surface::Bio => write!(f, "bio \"{matched}\"")?,
                    Surface::Caption | Surface::Hashtag => write!(
                        f,
                        "{} in post {} \"{matched}\"",
                        surface.as_str(),
                        source.as_deref().unwrap_or("?")
                    )?,
                    Surface::Search | Surface::Comment | Surface::Autocomplete => {
                        write!(f, "{} \"{matched}\"", surface.as_str())?
                    }
                }
                write!(f, ": {} ({})", terms.join(", "), level.as_str())
            }
            Reason::SamePerson { account, banned } => write!(
                f,
                "same person as {} account {account}",
                if *banned { "banned" } else { "flagged" }
            ),
            Reason::Behaviour { channels, p_value } => write!(
                f,
                "behaviour towards the network: {}",
                BehaviourText { channels, p_value: *p_value }
            ),
            Reason::Hashtags { count, degree, expected, p_value, hashtags } => write!(
                f,
                "uses {count} of the network's hashtags among its {degree} (chance would give {expected:.1}; p = {p_value:.1e}): {}",
                Joined(hashtags, ", ")
            ),
            Reason::NextToConfirmed { ties } => {
                write!(f, "next to confirmed accounts: {}", Joined(ties, "; "))
            }
            Reason::PathToConfirmed { confirmed, steps } => {
                write!(f, "path to confirmed {confirmed}: {}", Joined(steps, "; "))
            }
            Reason::SharedFollowers { shared, followers } => write!(
                f,
                "shared followers: {shared} of its {followers} followers also follow confirmed accounts"
            ),
            Reason::RiskPropagation { lift } => write!(
                f,
                "risk propagation: walks from the seeds visit it {lift:.0}x more than chance"
            ),
            Reason::Reports { count } => write!(f, "{count} child_safety report(s)"),
            Reason::MemberOf { network, block } => {
                f.write_str("member of ")?;
                if let Some(c) = network {
                    write!(f, "network {c}")?;
                }
                if let Some(b) = block {
                    let sep = if network.is_some() { ", " } else { "" };
                    write!(f, "{sep}dense block {b}")?;
                }
                Ok(())
            }
            Reason::Candidate { channels, p_value } => write!(
                f,
                "candidate for review: close to the network by proximity (personalised PageRank from the seeds); towards it, {} (not significant under the false-discovery control)",
                BehaviourText { channels, p_value: *p_value }
            ),
            Reason::TouchedNetwork { ties } => {
                write!(f, "touched the network: {}", Joined(ties, "; "))
            }
            Reason::Text { text } => f.write_str(text),
        }
    }
}

/// An identifier an account declares.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierKind {
    /// A device id.
    Device,
    /// A hashed e-mail address.
    EmailHash,
    /// A hashed phone number.
    PhoneHash,
    /// A payment handle.
    Payment,
}

impl IdentifierKind {
    /// Every kind, in the order of [`crate::Identifiers`]' fields.
    pub const ALL: [IdentifierKind; 4] = [
        IdentifierKind::Device,
        IdentifierKind::EmailHash,
        IdentifierKind::PhoneHash,
        IdentifierKind::Payment,
    ];

    /// The name in events and reasons: `device`, `email_hash`, `phone_hash`, `payment`.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentifierKind::Device => "device",
            IdentifierKind::EmailHash => "email_hash",
            IdentifierKind::PhoneHash => "phone_hash",
            IdentifierKind::Payment => "payment",
        }
    }
}

impl fmt::Display for IdentifierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One piece of evidence that two accounts are one person, with the weight
/// identity linking gave it.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum IdentityEvidence {
    /// Both declared the same identifier.
    SharedIdentifier {
        /// Which identifier.
        identifier: IdentifierKind,
        /// The value.
        value: String,
        /// How many accounts declared it.
        sharers: usize,
        /// The weight it counted.
        #[serde(with = "float")]
        weight: f64,
    },
    /// One account's bio names the other's handle.
    BioMention {
        /// The account whose bio it is.
        from: String,
        /// The clause of the bio, as written.
        text: String,
        /// Whether the clause says it is another account of the same person.
        same_person_words: bool,
        /// The weight it counted.
        #[serde(with = "float")]
        weight: f64,
    },
    /// Both bios name each other.
    MutualMention {
        /// The weight it counted.
        #[serde(with = "float")]
        weight: f64,
    },
    /// One handle is the other plus a short suffix.
    SimilarHandle {
        /// The two handles.
        handles: (String, String),
        /// The weight it counted.
        #[serde(with = "float")]
        weight: f64,
    },
    /// One of a pair that a bio declares to be the same person's follows the
    /// other (a backup following its main).
    FollowBetween {
        /// The account that follows.
        from: String,
        /// The account it follows.
        to: String,
        /// The weight it counted.
        #[serde(with = "float")]
        weight: f64,
    },
    /// The two share significantly more followers than chance would give
    /// (the main's audience followed the backup).
    SharedFollowers {
        /// Accounts that follow both.
        shared: u32,
        /// How many chance would give (followers of one times the other's
        /// share of all accounts).
        #[serde(with = "float")]
        expected: f64,
        /// The weight it counted.
        #[serde(with = "float")]
        weight: f64,
    },
    /// One of a pair that a bio declares to be the same person's is banned
    /// for child safety (whenever the other appeared).
    DeclaredBanned {
        /// The banned account.
        banned: String,
        /// The weight it counted.
        #[serde(with = "float")]
        weight: f64,
    },
    /// One account appeared after the other was banned for child safety.
    AfterBan {
        /// The banned account.
        banned: String,
        /// When it was banned (RFC 3339).
        banned_at: String,
        /// The weight it counted.
        #[serde(with = "float")]
        weight: f64,
    },
}

impl IdentityEvidence {
    /// The weight it counted towards the link's strength.
    pub fn weight(&self) -> f64 {
        match self {
            IdentityEvidence::SharedIdentifier { weight, .. }
            | IdentityEvidence::BioMention { weight, .. }
            | IdentityEvidence::MutualMention { weight }
            | IdentityEvidence::SimilarHandle { weight, .. }
            | IdentityEvidence::FollowBetween { weight, .. }
            | IdentityEvidence::SharedFollowers { weight, .. }
            | IdentityEvidence::DeclaredBanned { weight, .. }
            | IdentityEvidence::AfterBan { weight, .. } => *weight,
        }
    }
}

/// The line a reviewer reads.
impl fmt::Display for IdentityEvidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdentityEvidence::SharedIdentifier { identifier, value, sharers, .. } => {
                write!(f, "shared {identifier} {value} ({sharers} accounts)")
            }
            IdentityEvidence::BioMention { from, text, .. } => {
                write!(f, "bio of {from}: \"{text}\"")
            }
            IdentityEvidence::MutualMention { .. } => f.write_str("bios name each other"),
            IdentityEvidence::SimilarHandle { handles, .. } => {
                write!(f, "similar handles @{} and @{}", handles.0, handles.1)
            }
            IdentityEvidence::FollowBetween { from, to, .. } => write!(f, "{from} follows {to}"),
            IdentityEvidence::SharedFollowers { shared, expected, .. } => {
                write!(f, "{shared} shared followers (chance would give {expected:.1})")
            }
            IdentityEvidence::DeclaredBanned { banned, .. } => {
                write!(f, "{banned} is banned for child safety")
            }
            IdentityEvidence::AfterBan { banned, banned_at, .. } => {
                write!(f, "appeared after {banned} was banned for child safety ({banned_at})")
            }
        }
    }
}

/// Why the accounts of a person are one person's: one line for a reviewer each.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PersonEvidence {
    /// A link at or above the identity threshold between two of its accounts.
    Link {
        /// The two account ids.
        accounts: [String; 2],
        /// Sum of the evidence weights.
        #[serde(with = "float")]
        strength: f64,
        /// The evidence.
        evidence: Vec<IdentityEvidence>,
    },
    /// A link stored as prose (scans stored before evidence was typed).
    Text {
        /// The line.
        text: String,
    },
}

/// `a ~ b (strength 1.60): shared device d1 (2 accounts); ...`.
impl fmt::Display for PersonEvidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PersonEvidence::Link { accounts: [a, b], strength, evidence } => {
                write!(f, "{a} ~ {b} (strength {strength:.2}): {}", Joined(evidence, "; "))
            }
            PersonEvidence::Text { text } => f.write_str(text),
        }
    }
}

/// Serde for a number that may not be finite: finite numbers as JSON
/// numbers, others as `"inf"`, `"-inf"` or `"NaN"` (JSON has no such
/// numbers: serde_json would write `null`, which does not read back as one).
mod float {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        match *x {
            x if x.is_finite() => s.serialize_f64(x),
            x if x.is_nan() => s.serialize_str("NaN"),
            x if x > 0.0 => s.serialize_str("inf"),
            _ => s.serialize_str("-inf"),
        }
    }

    /// A number as written: a JSON number, one of the strings, or `null`.
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Number(f64),
        Text(String),
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        match Option::<Written>::deserialize(d)? {
            Some(Written::Number(x)) => Ok(x),
            Some(Written::Text(t)) => match t.as_str() {
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                "NaN" => Ok(f64::NAN),
                _ => Err(serde::de::Error::custom(format!(
                    "{t:?} is not a number (nor \"inf\", \"-inf\", \"NaN\")"
                ))),
            },
            // What serde_json writes for a number that is not finite.
            None => Ok(f64::NAN),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn channels(counts: [(u32, u32, f64); 5]) -> Vec<ChannelCount> {
        let names =
            [Channel::TiesOut, Channel::ViewsOut, Channel::TiesIn, Channel::Depth, Channel::Coded];
        names
            .into_iter()
            .zip(counts)
            .map(|(channel, (count, degree, expected))| ChannelCount {
                channel,
                count,
                degree,
                expected,
            })
            .collect()
    }

    fn x() -> NamedAccount {
        NamedAccount::new("u12", "x")
    }

    fn shared_device() -> IdentityEvidence {
        IdentityEvidence::SharedIdentifier {
            identifier: IdentifierKind::Device,
            value: "ds0".into(),
            sharers: 2,
            weight: 0.6,
        }
    }

    /// Every variant with the line today's scan writes for it.
    fn examples() -> Vec<(Reason, &'static str)> {
        let tie_out = Tie {
            account: x(),
            kinds: vec![InteractionKind::Follow, InteractionKind::Like],
            outgoing: true,
        };
        let tie_in = Tie {
            account: NamedAccount::new("u9", ""),
            kinds: vec![InteractionKind::Comment],
            outgoing: false,
        };
        let lexicon = |surface, source: Option<&str>, handle: Option<&str>| Reason::LexiconHit {
            surface,
            matched: "cp trade".into(),
            terms: vec!["cp".into(), "trade".into()],
            level: Severity::Strong,
            span: (4, 12),
            source: source.map(str::to_owned),
            handle: handle.map(str::to_owned),
        };
        vec![
            (
                Reason::Enforcement { action: EnforcementAction::Ban, at: at("2026-03-01T10:00:00Z") },
                "platform ban for child_safety (2026-03-01T10:00:00Z)",
            ),
            (
                Reason::HashMatch {
                    post: "p1".into(),
                    bank: "ncmec".into(),
                    hash_kind: "pdq".into(),
                    distance: 12,
                    more: 0,
                },
                "post p1 matched hash bank ncmec (pdq, distance 12)",
            ),
            (
                Reason::HashMatch {
                    post: "p1".into(),
                    bank: "ncmec".into(),
                    hash_kind: "md5".into(),
                    distance: 0,
                    more: 2,
                },
                "post p1 matched hash bank ncmec (md5, distance 0) and 2 more",
            ),
            (
                Reason::BanEvasion {
                    banned: "s0".into(),
                    banned_at: at("2026-02-01T00:00:00.500Z"),
                    evidence: vec![
                        shared_device(),
                        IdentityEvidence::AfterBan {
                            banned: "s0".into(),
                            banned_at: "2026-02-01T00:00:00.500Z".into(),
                            weight: 0.5,
                        },
                    ],
                },
                "ban evasion: same person as s0 (banned 2026-02-01T00:00:00.500Z): shared device ds0 (2 accounts); appeared after s0 was banned for child safety (2026-02-01T00:00:00.500Z)",
            ),
            (
                Reason::BanEvasion {
                    banned: "s0".into(),
                    banned_at: at("2026-02-01T00:00:00Z"),
                    evidence: vec![],
                },
                "ban evasion: same person as s0 (banned 2026-02-01T00:00:00Z)",
            ),
            (lexicon(Surface::Handle, None, Some("cptrader")), "handle @cptrader: cp, trade (strong)"),
            (lexicon(Surface::Bio, None, None), "bio \"cp trade\": cp, trade (strong)"),
            (
                lexicon(Surface::Caption, Some("p7"), None),
                "caption in post p7 \"cp trade\": cp, trade (strong)",
            ),
            (
                lexicon(Surface::Hashtag, None, None),
                "hashtag in post ? \"cp trade\": cp, trade (strong)",
            ),
            (lexicon(Surface::Search, Some("e9"), None), "search \"cp trade\": cp, trade (strong)"),
            (lexicon(Surface::Comment, Some("c1"), None), "comment \"cp trade\": cp, trade (strong)"),
            (
                Reason::SamePerson { account: x(), banned: true },
                "same person as banned account @x (u12)",
            ),
            (
                Reason::SamePerson { account: NamedAccount::new("u3", ""), banned: false },
                "same person as flagged account u3",
            ),
            (
                Reason::Behaviour {
                    channels: channels([
                        (3, 12, 0.09),
                        (2, 2, 0.021),
                        (1, 3, 0.25),
                        (2, 0, 0.5),
                        (1, 0, 0.012),
                    ]),
                    p_value: 3.1e-6,
                },
                "behaviour towards the network: follows, likes or comments on 3 flagged accounts among its 12 (chance 0.09); viewed 2 more flagged accounts among the 2 it only viewed (chance 0.02); 1 more flagged accounts follow, like or comment on it, among its 3 (chance 0.25); 2 more kinds of interaction on those contacts (views, likes, comments) (chance 0.50); its own searches or comments use coded terms (1.20% of other accounts' do): p = 3.1e-6",
            ),
            (
                Reason::Behaviour {
                    channels: channels([
                        (3, 12, 0.04),
                        (0, 5, 0.1),
                        (0, 0, 0.0),
                        (0, 0, 0.0),
                        (0, 0, 0.3),
                    ]),
                    p_value: 2.1e-7,
                },
                "behaviour towards the network: follows, likes or comments on 3 flagged accounts among its 12 (chance 0.04): p = 2.1e-7",
            ),
            (
                Reason::Hashtags {
                    count: 3,
                    degree: 4,
                    expected: 0.26,
                    p_value: 1.5e-4,
                    hashtags: vec![
                        HashtagUse { tag: "flenwick".into(), spellings: 3, flagged: 5, users: 6 },
                        HashtagUse { tag: "trade".into(), spellings: 1, flagged: 2, users: 2 },
                    ],
                },
                "uses 3 of the network's hashtags among its 4 (chance would give 0.3; p = 1.5e-4): #flenwick (3 spellings, 5 of its 6 users flagged), #trade (2 of its 2 users flagged)",
            ),
            (
                Reason::NextToConfirmed { ties: vec![tie_out.clone(), tie_in.clone()] },
                "next to confirmed accounts: follows+liked @x (u12); u9 commented on it",
            ),
            (
                Reason::PathToConfirmed {
                    confirmed: x(),
                    steps: vec![
                        PathStep {
                            from: NamedAccount::new("u3", "a"),
                            kinds: vec![InteractionKind::Follow],
                            to: NamedAccount::new("u7", "b"),
                        },
                        PathStep {
                            from: NamedAccount::new("u7", "b"),
                            kinds: vec![InteractionKind::Follow, InteractionKind::View],
                            to: x(),
                        },
                    ],
                },
                "path to confirmed @x (u12): @a (u3) follows @b (u7); @b (u7) follows+viewed @x (u12)",
            ),
            (
                Reason::SharedFollowers { shared: 3, followers: 5 },
                "shared followers: 3 of its 5 followers also follow confirmed accounts",
            ),
            (
                Reason::RiskPropagation { lift: 41.6 },
                "risk propagation: walks from the seeds visit it 42x more than chance",
            ),
            (Reason::Reports { count: 2 }, "2 child_safety report(s)"),
            (Reason::MemberOf { network: Some(1), block: None }, "member of network 1"),
            (Reason::MemberOf { network: None, block: Some(2) }, "member of dense block 2"),
            (
                Reason::MemberOf { network: Some(1), block: Some(2) },
                "member of network 1, dense block 2",
            ),
            (
                Reason::Candidate {
                    channels: channels([
                        (1, 9, 0.2),
                        (1, 1, 0.05),
                        (0, 0, 0.0),
                        (0, 0, 0.0),
                        (0, 0, 0.0),
                    ]),
                    p_value: 0.012,
                },
                "candidate for review: close to the network by proximity (personalised PageRank from the seeds); towards it, follows, likes or comments on 1 flagged accounts among its 9 (chance 0.20); viewed 1 more flagged accounts among the 1 it only viewed (chance 0.05): p = 1.2e-2 (not significant under the false-discovery control)",
            ),
            (
                Reason::TouchedNetwork { ties: vec![tie_in] },
                "touched the network: u9 commented on it",
            ),
            (Reason::TouchedNetwork { ties: vec![] }, "touched the network: "),
            (Reason::Text { text: "an old line".into() }, "an old line"),
        ]
    }

    #[test]
    fn every_reason_displays_as_the_scan_wrote_it() {
        for (reason, line) in examples() {
            assert_eq!(reason.to_string(), line, "{reason:?}");
        }
    }

    #[test]
    fn reasons_round_trip_through_json_with_their_kind() {
        let mut kinds = Vec::new();
        for (reason, _) in examples() {
            let json = serde_json::to_value(&reason).unwrap();
            assert_eq!(json["kind"], reason.kind(), "{json}");
            assert!(Reason::KINDS.contains(&reason.kind()));
            let back: Reason = serde_json::from_value(json.clone()).unwrap();
            assert_eq!(back, reason, "{json}");
            kinds.push(reason.kind());
        }
        kinds.sort_unstable();
        kinds.dedup();
        let mut all = Reason::KINDS.to_vec();
        all.sort_unstable();
        assert_eq!(kinds, all, "the examples cover every kind");
    }

    #[test]
    fn structured_fields_are_plain_json() {
        let (reason, _) = &examples()[0];
        assert_eq!(
            serde_json::to_string(reason).unwrap(),
            r#"{"kind":"enforcement","action":"ban","at":"2026-03-01T10:00:00Z"}"#
        );
        let hit = examples().into_iter().find(|(r, _)| r.kind() == "lexicon_hit").unwrap().0;
        let json = serde_json::to_value(&hit).unwrap();
        assert_eq!(json["surface"], "handle");
        assert_eq!(json["level"], "strong");
        assert_eq!(json["span"], serde_json::json!([4, 12]));
        assert!(json.get("source").is_none());
        let tie = Tie { account: x(), kinds: vec![InteractionKind::View], outgoing: true };
        assert_eq!(
            serde_json::to_string(&tie).unwrap(),
            r#"{"account":{"id":"u12","handle":"x"},"kinds":["view"],"outgoing":true}"#
        );
    }

    #[test]
    fn numbers_that_are_not_finite_round_trip() {
        let reason = Reason::Candidate {
            channels: channels([
                (1, 1, f64::INFINITY),
                (0, 0, f64::NAN),
                (0, 0, f64::NEG_INFINITY),
                (0, 0, 0.0),
                (0, 0, 0.0),
            ]),
            p_value: 0.01,
        };
        let json = serde_json::to_value(&reason).unwrap();
        let expected: Vec<&serde_json::Value> =
            (0..3).map(|i| &json["channels"][i]["expected"]).collect();
        assert_eq!(expected, ["inf", "NaN", "-inf"], "{json}");
        let back: Reason = serde_json::from_value(json).unwrap();
        assert_eq!(back.to_string(), reason.to_string());
        assert!(back.to_string().contains("(chance inf)"));
        let Reason::Candidate { channels: c, .. } = back else { panic!() };
        assert!(c[1].expected.is_nan() && c[2].expected == f64::NEG_INFINITY);
        // `null`, as serde_json writes such a number, reads as NaN; other text is refused.
        let null = r#"{"kind":"risk_propagation","lift":null}"#;
        let Reason::RiskPropagation { lift } = serde_json::from_str(null).unwrap() else {
            panic!()
        };
        assert!(lift.is_nan());
        let bad = r#"{"kind":"risk_propagation","lift":"lots"}"#;
        assert!(serde_json::from_str::<Reason>(bad).is_err());
        let link = PersonEvidence::Link {
            accounts: ["a".into(), "b".into()],
            strength: f64::INFINITY,
            evidence: vec![IdentityEvidence::MutualMention { weight: f64::INFINITY }],
        };
        let json = serde_json::to_string(&link).unwrap();
        assert_eq!(serde_json::from_str::<PersonEvidence>(&json).unwrap(), link, "{json}");
    }

    /// Every identity evidence with the line today's scan writes for it.
    fn evidence_examples() -> Vec<(IdentityEvidence, &'static str)> {
        vec![
            (shared_device(), "shared device ds0 (2 accounts)"),
            (
                IdentityEvidence::SharedIdentifier {
                    identifier: IdentifierKind::EmailHash,
                    value: "ab12".into(),
                    sharers: 3,
                    weight: 0.5,
                },
                "shared email_hash ab12 (3 accounts)",
            ),
            (
                IdentityEvidence::BioMention {
                    from: "bk".into(),
                    text: "main: @quietone".into(),
                    same_person_words: true,
                    weight: 0.8,
                },
                "bio of bk: \"main: @quietone\"",
            ),
            (IdentityEvidence::MutualMention { weight: 0.4 }, "bios name each other"),
            (
                IdentityEvidence::SimilarHandle {
                    handles: ("shopname".into(), "shopname_bk".into()),
                    weight: 0.4,
                },
                "similar handles @shopname and @shopname_bk",
            ),
            (
                IdentityEvidence::FollowBetween { from: "bk".into(), to: "m".into(), weight: 0.3 },
                "bk follows m",
            ),
            (
                IdentityEvidence::SharedFollowers { shared: 4, expected: 0.26, weight: 0.3 },
                "4 shared followers (chance would give 0.3)",
            ),
            (
                IdentityEvidence::DeclaredBanned { banned: "m".into(), weight: 0.3 },
                "m is banned for child safety",
            ),
            (
                IdentityEvidence::AfterBan {
                    banned: "s0".into(),
                    banned_at: "2026-02-01T00:00:00Z".into(),
                    weight: 0.5,
                },
                "appeared after s0 was banned for child safety (2026-02-01T00:00:00Z)",
            ),
        ]
    }

    #[test]
    fn identity_evidence_displays_and_round_trips() {
        for (e, line) in evidence_examples() {
            assert_eq!(e.to_string(), line);
            let json = serde_json::to_string(&e).unwrap();
            assert_eq!(serde_json::from_str::<IdentityEvidence>(&json).unwrap(), e, "{json}");
        }
        let json = serde_json::to_value(shared_device()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "shared_identifier", "identifier": "device", "value": "ds0", "sharers": 2, "weight": 0.6})
        );
    }

    #[test]
    fn person_evidence_displays_and_round_trips() {
        let link = PersonEvidence::Link {
            accounts: ["s0".into(), "r0".into()],
            strength: 1.6,
            evidence: evidence_examples().into_iter().map(|(e, _)| e).take(2).collect(),
        };
        assert_eq!(
            link.to_string(),
            "s0 ~ r0 (strength 1.60): shared device ds0 (2 accounts); shared email_hash ab12 (3 accounts)"
        );
        let text = PersonEvidence::Text { text: "a ~ b (strength 1.00): x".into() };
        assert_eq!(text.to_string(), "a ~ b (strength 1.00): x");
        for e in [link, text] {
            let json = serde_json::to_string(&e).unwrap();
            assert_eq!(serde_json::from_str::<PersonEvidence>(&json).unwrap(), e, "{json}");
        }
    }
}
