//! Turning the compact plan into events with text: handles, bios, captions,
//! comments, searches and reports, each drawn from its own seeded generator.

use guardrail_core::{
    AccountEvent, AccountId, AgeBand, CommentEvent, CommentId, EnforcementAction, EnforcementEvent,
    Entry, EntryKind, Event, EventId, EventKind, FollowEvent, Identifiers, Lexicon, LikeEvent, Md5,
    Media, MediaKind, Pdq, PostEvent, PostId, ReportCategory, ReportEvent, ReportTarget,
    SearchEvent, Severity, Timestamp, ViewEvent, ViewTarget,
};
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::Rng;

use crate::niches::{COMMON_WORDS, HANDLE_A, HANDLE_B, NICHES};
use crate::obfuscate::{self, Transform};
use crate::world::{
    rng_for, Account, Ev, Kind, MediaPlan, Role, World, CAT_CHILD, CAT_HARASS, CAT_OTHER,
    CAT_SEXUAL, CAT_SPAM, NONE,
};

/// Unix time of the world's start: 2026-01-01T00:00:00Z.
pub(crate) const EPOCH: i64 = 1_767_225_600;

/// The parts of a lexicon the generator plants.
/// Seller bios around a code word `{w}` (synthetic worlds and planted ones).
pub(crate) const SELLER_BIO_TEMPLATES: [&str; 6] = [
    "{w} available",
    "new {w} weekly",
    "ask me about {w}",
    "{w} ✨ dm",
    "trading {w}",
    "{w} inside",
];

pub(crate) struct Vocab {
    /// Code words and phrases (child-safety terms that are not hashtags).
    pub(crate) codes: Vec<String>,
    /// Hashtags the network advertises with.
    pub(crate) hashtags: Vec<String>,
    /// Emoji codes.
    pub(crate) emoji: Vec<String>,
    /// Age-code patterns with `{n}`, and whether the number is reversed.
    pub(crate) age_codes: Vec<(String, bool)>,
    /// Weak terms benign users sometimes use too.
    pub(crate) watch: Vec<String>,
}

impl Vocab {
    /// One of the lexicon's hashtag codes, disguised by a hashtag-safe
    /// transform (the plain code when the disguise leaves nothing).
    pub(crate) fn code_hashtag(&self, r: &mut SmallRng) -> String {
        let tag = self.hashtags.choose(r).cloned().unwrap_or_default();
        let t = *HASHTAG_TRANSFORMS.choose(r).unwrap_or(&Transform::Plain);
        let out = hashtag_safe(&obfuscate::apply(t, &tag, r));
        if out.is_empty() {
            tag
        } else {
            out
        }
    }
}

impl Vocab {
    /// Takes from `lexicon`: child-safety terms and phrases of strong or block
    /// severity as code words (single words also as hashtags), emoji and age
    /// codes, and weak terms as the words benign users sometimes use too.
    pub(crate) fn new(lexicon: &Lexicon) -> Result<Vocab, String> {
        fn entries<'l>(
            lexicon: &'l Lexicon,
            kinds: &'static [EntryKind],
        ) -> impl Iterator<Item = &'l Entry> {
            lexicon.entries.iter().filter(move |e| kinds.contains(&e.kind))
        }
        let codes: Vec<String> = entries(lexicon, &[EntryKind::Term, EntryKind::Phrase])
            .filter(|e| e.category == "child_safety" && e.severity >= Severity::Strong)
            .map(|e| e.text.to_lowercase())
            .collect();
        if codes.is_empty() {
            return Err(
                "the lexicon has no child_safety terms or phrases of strong or block severity to plant"
                    .into(),
            );
        }
        let hashtags = codes.iter().map(|c| c.replace(' ', "")).collect();
        Ok(Vocab {
            codes,
            hashtags,
            emoji: entries(lexicon, &[EntryKind::Emoji]).map(|e| e.text.clone()).collect(),
            age_codes: entries(lexicon, &[EntryKind::AgeCode])
                .map(|e| (e.text.clone(), e.reversed))
                .collect(),
            watch: entries(lexicon, &[EntryKind::Term, EntryKind::Phrase])
                .filter(|e| e.severity == Severity::Weak)
                .map(|e| e.text.clone())
                .collect(),
        })
    }
}

pub(crate) struct Expander<'a> {
    pub(crate) seed: u64,
    pub(crate) world: &'a World,
    pub(crate) vocab: &'a Vocab,
}

pub(crate) fn pick<'s, R: Rng>(rng: &mut R, items: &'s [&'s str]) -> &'s str {
    items.choose(rng).copied().unwrap_or("")
}

pub(crate) fn scramble(x: u32, seed: u64) -> u32 {
    // A bijection on u32 (odd multiplier, then xor), so handles stay unique.
    x.wrapping_mul(0x9E37_79B1) ^ (seed as u32 & 0x7FFF_FFFF)
}

pub(crate) fn base36(mut x: u32) -> String {
    let digits = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(digits[(x % 36) as usize]);
        x /= 36;
        if x == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Only what a hashtag may hold: letters, digits and `_`.
pub(crate) fn hashtag_safe(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric() || *c == '_').collect()
}

pub(crate) const HASHTAG_TRANSFORMS: [Transform; 5] = [
    Transform::Plain,
    Transform::Leet,
    Transform::Homoglyphs,
    Transform::Repeats,
    Transform::MixedCase,
];

impl Expander<'_> {
    fn account(&self, id: u32) -> &Account {
        &self.world.accounts[id as usize]
    }

    pub(crate) fn handle(&self, id: u32) -> String {
        let a = self.account(id);
        let mut r = rng_for(self.seed, 30, id as u64);
        let tail = base36(scramble(id, self.seed));
        match a.role {
            Role::Seller if a.prev != NONE && r.gen_bool(0.5) => {
                let old = self.handle(a.prev);
                format!("{old}{}", pick(&mut r, &["_new", "_again", "3", "_back", ".v2"]))
            }
            Role::Seller => {
                let code = self.vocab.hashtags.choose(&mut r).map_or("", String::as_str);
                let t = *HASHTAG_TRANSFORMS.choose(&mut r).unwrap_or(&Transform::Plain);
                let code = hashtag_safe(&obfuscate::apply(t, code, &mut r));
                if r.gen_bool(0.5) {
                    format!("{code}_{}{tail}", pick(&mut r, &["shop", "vault", "store", "x", ""]))
                } else {
                    format!("{}_{}{tail}", pick(&mut r, HANDLE_A), pick(&mut r, HANDLE_B))
                }
            }
            Role::Backup => {
                let main = self.handle(a.backup);
                format!("{main}{}", pick(&mut r, &["_backup", "_bk", "2", "_alt", ".b"]))
            }
            Role::Aggregator => {
                format!(
                    "{}_{}{tail}",
                    pick(&mut r, &["daily", "best", "top", "hidden"]),
                    pick(&mut r, &["finds", "links", "hub", "picks"])
                )
            }
            _ => {
                let sep = pick(&mut r, &["", "_", "."]);
                format!("{}{sep}{}{tail}", pick(&mut r, HANDLE_A), pick(&mut r, HANDLE_B))
            }
        }
    }

    fn disguise(&self, r: &mut SmallRng, term: &str) -> String {
        obfuscate::apply(obfuscate::pick(r), term, r)
    }

    fn code(&self, r: &mut SmallRng) -> String {
        let term = self.vocab.codes.choose(r).cloned().unwrap_or_default();
        self.disguise(r, &term)
    }

    fn code_hashtag(&self, r: &mut SmallRng) -> String {
        self.vocab.code_hashtag(r)
    }

    fn age_code(&self, r: &mut SmallRng) -> Option<String> {
        let (pattern, reversed) = self.vocab.age_codes.choose(r)?;
        let n: u32 = r.gen_range(11..=16);
        let n = if *reversed { n.to_string().chars().rev().collect() } else { n.to_string() };
        Some(pattern.replace("{n}", &n))
    }

    fn payment(&self, a: &Account) -> String {
        format!(
            "pay-{:08x}",
            crate::world::splitmix(self.seed ^ 0x5041_5900 ^ a.payment as u64) as u32
        )
    }

    fn niche_words(&self, a: &Account) -> (&'static [&'static str], &'static [&'static str]) {
        let n = &NICHES[a.niche as usize % NICHES.len()];
        (n.words, n.hashtags)
    }

    fn seller_bio(&self, r: &mut SmallRng, a: &Account) -> String {
        let mut parts = Vec::new();
        parts.push(pick(r, &SELLER_BIO_TEMPLATES).replace("{w}", &self.code(r)));
        if r.gen_bool(0.5) {
            if let Some(e) = self.vocab.emoji.choose(r) {
                parts.push(e.clone());
            }
        }
        if r.gen_bool(0.4) {
            parts.extend(self.age_code(r));
        }
        if a.payment != 0 && r.gen_bool(0.6) {
            parts.push(format!("{} {}", pick(r, &["💸", "tips:", "pay →", "$$"]), self.payment(a)));
        }
        if r.gen_bool(0.3) {
            parts.push(format!("dm for {}", self.code(r)));
        }
        parts.shuffle(r);
        parts.join(pick(r, &[" | ", " ~ ", "\n", " · "]))
    }

    fn bio(&self, id: u32, version: u32) -> Option<String> {
        let a = self.account(id);
        let mut r = rng_for(self.seed, 31, (id as u64) << 2 | version as u64);
        let (words, _) = self.niche_words(a);
        let benign = |r: &mut SmallRng| -> Option<String> {
            if r.gen_bool(0.3) {
                return None;
            }
            let mut bio = match r.gen_range(0..3) {
                0 => format!("{} + {}", pick(r, words), pick(r, words)),
                1 => format!("{} lover", NICHES[a.niche as usize % NICHES.len()].name),
                _ => format!("{}, {} and more", pick(r, words), pick(r, COMMON_WORDS)),
            };
            if a.band == 1 && r.gen_bool(0.2) {
                bio = format!("{} | {bio}", r.gen_range(13..18));
            }
            Some(bio)
        };
        match a.role {
            Role::Benign | Role::Buyer => {
                let mut bio = benign(&mut r);
                if a.role == Role::Buyer && r.gen_bool(0.1) {
                    bio = Some(format!(
                        "collector {}",
                        self.vocab.watch.choose(&mut r).map_or("", String::as_str)
                    ));
                }
                if a.payment != 0 && r.gen_bool(0.5) {
                    bio = Some(format!("{} | shop: {}", bio.unwrap_or_default(), self.payment(a)));
                }
                bio
            }
            Role::Seller => {
                let mut bio = self.seller_bio(&mut r, a);
                if a.prev != NONE && r.gen_bool(0.5) {
                    bio = format!(
                        "{} | {bio}",
                        pick(
                            &mut r,
                            &["new acc, old one got taken", "back again", "they got my last one"]
                        )
                    );
                }
                if version == 1 && a.backup != NONE {
                    let handle = self.handle(a.backup);
                    let line = pick(
                        &mut r,
                        &["backup: @{h}", "if this goes, find me @{h}", "2nd: @{h}", "bk @{h}"],
                    );
                    bio = format!("{bio} | {}", line.replace("{h}", &handle));
                }
                Some(bio)
            }
            Role::Backup => {
                let main = self.handle(a.backup);
                let line = pick(&mut r, &["backup of @{h}", "main: @{h}", "2nd acc of @{h}"])
                    .replace("{h}", &main);
                Some(if r.gen_bool(0.5) {
                    format!("{line} | {}", self.seller_bio(&mut r, a))
                } else {
                    line
                })
            }
            Role::Aggregator => Some(if r.gen_bool(0.5) {
                format!("links & finds 🔗 {}", self.code(&mut r))
            } else {
                pick(
                    &mut r,
                    &["curated daily", "best of the week", "finds you won't see elsewhere"],
                )
                .to_owned()
            }),
        }
    }

    fn account_event(&self, id: u32, version: u32) -> EventKind {
        let a = self.account(id);
        let mut r = rng_for(self.seed, 32, id as u64);
        let handle = self.handle(id);
        let display_name = r.gen_bool(0.6).then(|| {
            let (x, y) = (pick(&mut r, HANDLE_A), pick(&mut r, HANDLE_B));
            format!("{}{} {}", x[..1].to_uppercase(), &x[1..], y)
        });
        let identifiers = if version == 0 || version == 1 {
            let mut ids = Identifiers {
                device: vec![format!(
                    "dev-{:012x}",
                    crate::world::splitmix(self.seed ^ 0xDE01 ^ a.device as u64) >> 16
                )],
                email_hash: vec![format!(
                    "{:016x}{:016x}",
                    crate::world::splitmix(self.seed ^ 0xE1 ^ a.email as u64),
                    crate::world::splitmix(self.seed ^ 0xE2 ^ a.email as u64)
                )],
                ..Identifiers::default()
            };
            if a.payment != 0 {
                ids.payment.push(self.payment(a));
            }
            if r.gen_bool(0.2) {
                ids.phone_hash.push(format!(
                    "{:016x}",
                    crate::world::splitmix(self.seed ^ 0xF0 ^ a.person as u64)
                ));
            }
            Some(ids)
        } else {
            None
        };
        let age_band = match a.band {
            1 => Some(AgeBand::Minor),
            2 => Some(AgeBand::Adult),
            3 => Some(AgeBand::Unknown),
            _ => None,
        };
        let links = (a.role == Role::Seller && r.gen_bool(0.3))
            .then(|| vec![format!("https://link.example/{}", base36(scramble(id, self.seed ^ 7)))]);
        EventKind::Account(AccountEvent {
            account: account_id(id),
            handle,
            display_name,
            bio: self.bio(id, version),
            links,
            age_band: if version == 0 { age_band } else { None },
            identifiers,
        })
    }

    fn hash_bytes(&self, domain: u64, item: u64) -> [u8; 32] {
        let mut r = rng_for(self.seed, domain, item);
        let mut out = [0u8; 32];
        r.fill(&mut out[..]);
        out
    }

    /// The `index`th hash of the world's bank.
    pub(crate) fn bank_hash(&self, index: u32) -> Pdq {
        Pdq(self.hash_bytes(40, index as u64))
    }

    fn flipped(&self, mut hash: [u8; 32], flips: u8, post: u32) -> [u8; 32] {
        let mut r = rng_for(self.seed, 41, post as u64);
        let bits = rand::seq::index::sample(&mut r, 256, flips as usize);
        for bit in bits.iter() {
            hash[bit / 8] ^= 1 << (bit % 8);
        }
        hash
    }

    fn media(&self, post: u32, plan: MediaPlan) -> Vec<Media> {
        let image = |pdq: [u8; 32], md5: bool| {
            let md5 = md5.then(|| {
                let b = self.hash_bytes(43, post as u64);
                let mut m = [0u8; 16];
                m.copy_from_slice(&b[..16]);
                Md5(m)
            });
            vec![Media { kind: MediaKind::Image, pdq: Some(Pdq(pdq)), md5, sha256: None }]
        };
        let with_md5 = post.is_multiple_of(3);
        match plan {
            MediaPlan::None => Vec::new(),
            MediaPlan::Random => image(self.hash_bytes(42, post as u64), with_md5),
            MediaPlan::Bank { index, flips } | MediaPlan::FarFromBank { index, flips } => {
                image(self.flipped(self.bank_hash(index).0, flips, post), with_md5)
            }
            MediaPlan::Viral { index, flips } => {
                image(self.flipped(self.hash_bytes(44, index as u64), flips, post), with_md5)
            }
            MediaPlan::Video => {
                let b = self.hash_bytes(45, post as u64);
                let mut m = [0u8; 16];
                m.copy_from_slice(&b[..16]);
                vec![Media { kind: MediaKind::Video, pdq: None, md5: Some(Md5(m)), sha256: None }]
            }
        }
    }

    fn post_event(&self, post: u32) -> EventKind {
        let plan = &self.world.posts[post as usize];
        let a = self.account(plan.author);
        let mut r = rng_for(self.seed, 33, post as u64);
        let (words, tags) = self.niche_words(a);
        let mut hashtags = Vec::new();
        let caption = match a.role {
            Role::Seller | Role::Backup => {
                for _ in 0..r.gen_range(1..4) {
                    hashtags.push(self.code_hashtag(&mut r));
                }
                if r.gen_bool(0.3) {
                    hashtags.push(pick(&mut r, tags).to_owned());
                }
                let mut c = format!(
                    "{} {}",
                    pick(&mut r, &["new", "fresh", "today:", "more"]),
                    self.code(&mut r)
                );
                if r.gen_bool(0.4) {
                    if let Some(e) = self.vocab.emoji.choose(&mut r) {
                        c = format!("{c} {e}");
                    }
                }
                Some(c)
            }
            Role::Aggregator => {
                hashtags.push(self.code_hashtag(&mut r));
                let mut mentions = Vec::new();
                for _ in 0..5 {
                    if mentions.len() == 2 {
                        break;
                    }
                    if let Some(&s) = self.world.sellers.choose(&mut r) {
                        if self.account(s).created < plan.t && plan.t < self.account(s).until {
                            mentions.push(format!("@{}", self.handle(s)));
                        }
                    }
                }
                Some(format!(
                    "{} {} {}",
                    pick(&mut r, &["roundup", "this week's picks", "go follow"]),
                    mentions.join(" "),
                    self.code(&mut r)
                ))
            }
            Role::Benign | Role::Buyer => {
                for _ in 0..r.gen_range(0..4) {
                    hashtags.push(pick(&mut r, tags).to_owned());
                }
                if r.gen_bool(0.1) {
                    let other = &NICHES[r.gen_range(0..NICHES.len())];
                    hashtags.push(pick(&mut r, other.hashtags).to_owned());
                }
                r.gen_bool(0.8)
                    .then(|| format!("{} {}", pick(&mut r, words), pick(&mut r, COMMON_WORDS)))
            }
        };
        hashtags.sort();
        hashtags.dedup();
        EventKind::Post(PostEvent {
            post: post_id(post),
            author: account_id(plan.author),
            caption,
            hashtags,
            media: self.media(post, plan.media),
        })
    }

    fn comment_text(&self, actor: u32, post: u32, n: u32) -> String {
        let a = self.account(actor);
        let author = self.account(self.world.posts[post as usize].author);
        let mut r = rng_for(self.seed, 34, n as u64);
        let network_post = matches!(author.role, Role::Seller | Role::Backup | Role::Aggregator);
        match a.role {
            Role::Buyer if network_post => match r.gen_range(0..4) {
                0 => format!("{}?", self.code(&mut r)),
                1 => format!("price for {}?", self.code(&mut r)),
                2 => self.vocab.emoji.choose(&mut r).cloned().unwrap_or_else(|| "dm".into()),
                _ => pick(&mut r, &["dm sent", "interested", "still available?"]).to_owned(),
            },
            Role::Seller | Role::Backup => pick(&mut r, &["check dm", "dm me", "sent"]).to_owned(),
            _ => {
                let (words, _) = self.niche_words(author);
                match r.gen_range(0..3) {
                    0 => format!("love the {}!", pick(&mut r, words)),
                    1 => format!(
                        "{} {}",
                        pick(&mut r, &["wow,", "great", "nice"]),
                        pick(&mut r, COMMON_WORDS)
                    ),
                    _ => format!("how did you do the {}?", pick(&mut r, words)),
                }
            }
        }
    }

    fn search_query(&self, actor: u32, variant: u32) -> String {
        let a = self.account(actor);
        let mut r = rng_for(self.seed, 35, ((actor as u64) << 32) | variant as u64);
        if a.role == Role::Buyer && r.gen_bool(0.5) {
            return match r.gen_range(0..4) {
                0 => format!("#{}", self.code_hashtag(&mut r)),
                1 => self.vocab.emoji.choose(&mut r).cloned().unwrap_or_else(|| self.code(&mut r)),
                _ => self.code(&mut r),
            };
        }
        if r.gen_bool(0.005) {
            if let Some(w) = self.vocab.watch.choose(&mut r) {
                return w.clone();
            }
        }
        let (words, tags) = self.niche_words(a);
        match r.gen_range(0..3) {
            0 => format!("#{}", pick(&mut r, tags)),
            1 => pick(&mut r, words).to_owned(),
            _ => format!(
                "{} {}",
                pick(&mut r, words),
                pick(&mut r, &["tips", "ideas", "near me", "beginner"])
            ),
        }
    }

    fn report(&self, e: &Ev) -> EventKind {
        let category = match e.c & 0xFF {
            CAT_CHILD => ReportCategory::ChildSafety,
            CAT_SEXUAL => ReportCategory::SexualContent,
            CAT_SPAM => ReportCategory::Spam,
            CAT_HARASS => ReportCategory::Harassment,
            CAT_OTHER => ReportCategory::Other,
            _ => ReportCategory::Other,
        };
        let mut r = rng_for(self.seed, 36, ((e.t as u64) << 32) | (e.c as u64) ^ e.b as u64);
        let target = match e.kind {
            Kind::ReportPost => ReportTarget::Post(post_id(e.b)),
            Kind::ReportHashtag => {
                let tags = &self.vocab.hashtags;
                ReportTarget::Hashtag(tags[e.b as usize % tags.len()].clone())
            }
            _ => ReportTarget::Account(account_id(e.b)),
        };
        let text = r.gen_bool(0.6).then(|| {
            let options: &[&str] = match category {
                ReportCategory::ChildSafety => &[
                    "this account is selling abuse material of kids",
                    "exploiting children",
                    "please look at this, it involves minors",
                    "coded ads for child abuse",
                ],
                ReportCategory::SexualContent => {
                    &["explicit content", "nudity in posts", "sexual ads"]
                }
                ReportCategory::Spam => &["spam links", "fake giveaway", "bot account"],
                ReportCategory::Harassment => {
                    &["keeps insulting me", "bullying in comments", "threatening messages"]
                }
                ReportCategory::Other => {
                    &["impersonating someone", "something is off here", "scam"]
                }
            };
            pick(&mut r, options).to_owned()
        });
        EventKind::Report(ReportEvent {
            reporter: (e.a != NONE).then(|| account_id(e.a)),
            target,
            category,
            text,
        })
    }

    fn enforcement(&self, e: &Ev) -> EventKind {
        let (action, reason, confirmed) = match e.c {
            0 => (EnforcementAction::Ban, "child sexual exploitation", Some("child_safety")),
            1 => (EnforcementAction::Suspend, "spam", Some("spam")),
            _ => (EnforcementAction::Restore, "appeal granted", None),
        };
        EventKind::Enforcement(EnforcementEvent {
            account: account_id(e.a),
            action,
            reason: Some(reason.to_owned()),
            confirmed_category: confirmed.map(str::to_owned),
        })
    }

    /// The full event for the `index`th planned event (in time order).
    pub(crate) fn event(&self, index: usize, e: &Ev) -> Event {
        let kind = match e.kind {
            Kind::Account => self.account_event(e.a, e.c),
            Kind::Follow => {
                EventKind::Follow(FollowEvent { from: account_id(e.a), to: account_id(e.b) })
            }
            Kind::Unfollow => {
                EventKind::Unfollow(FollowEvent { from: account_id(e.a), to: account_id(e.b) })
            }
            Kind::ViewAccount => EventKind::View(ViewEvent {
                viewer: account_id(e.a),
                target: ViewTarget::Account(account_id(e.b)),
            }),
            Kind::ViewPost => EventKind::View(ViewEvent {
                viewer: account_id(e.a),
                target: ViewTarget::Post(post_id(e.b)),
            }),
            Kind::Post => self.post_event(e.b),
            Kind::Like => EventKind::Like(LikeEvent { actor: account_id(e.a), post: post_id(e.b) }),
            Kind::Comment => EventKind::Comment(CommentEvent {
                comment: CommentId::new(format!("c{}", e.c)),
                actor: account_id(e.a),
                post: post_id(e.b),
                text: self.comment_text(e.a, e.b, e.c),
            }),
            Kind::Search => EventKind::Search(SearchEvent {
                actor: account_id(e.a),
                query: self.search_query(e.a, e.c),
            }),
            Kind::ReportAccount | Kind::ReportPost | Kind::ReportHashtag => self.report(e),
            Kind::Enforcement => self.enforcement(e),
        };
        Event {
            id: EventId::new(format!("e{}", index + 1)),
            at: Timestamp::from_unix_seconds(EPOCH + e.t as i64)
                .unwrap_or_else(|| Timestamp::from_unix_nanos(0)),
            kind,
        }
    }
}

pub(crate) fn account_id(id: u32) -> AccountId {
    AccountId::new(format!("u{id}"))
}

pub(crate) fn post_id(id: u32) -> PostId {
    PostId::new(format!("p{id}"))
}
