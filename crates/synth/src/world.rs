//! The plan of a world: accounts with roles and identities, and every event
//! in a compact form. Text is filled in later (see `expand.rs`), from
//! per-item seeded generators, so the plan stays small.

use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal};
use rayon::prelude::*;

use crate::niches::NICHES;
use crate::Config;

/// "No account / no link".
pub(crate) const NONE: u32 = u32::MAX;

/// The role of an account in the planted network, or benign.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Role {
    Benign,
    Seller,
    Buyer,
    Aggregator,
    Backup,
}

/// Enforcement the platform applies to an account during the world.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Enforced {
    None,
    /// Banned for child safety at `until` (a seed of the network).
    BannedChildSafety,
    /// Suspended for spam, optionally restored later.
    SuspendedSpam {
        restored: bool,
    },
}

#[derive(Clone, Debug)]
pub(crate) struct Account {
    pub(crate) created: u32,
    /// End of activity: the ban time for banned accounts, else the world's end.
    pub(crate) until: u32,
    pub(crate) role: Role,
    pub(crate) niche: u16,
    /// 0 absent, 1 minor, 2 adult, 3 unknown.
    pub(crate) band: u8,
    pub(crate) person: u32,
    pub(crate) device: u32,
    pub(crate) email: u32,
    /// Payment handle number, 0 for none.
    pub(crate) payment: u32,
    /// A seller's backup account, or a backup's seller.
    pub(crate) backup: u32,
    /// A returning account's banned predecessor.
    pub(crate) prev: u32,
    /// A banned account's returning successor.
    pub(crate) next: u32,
    pub(crate) enforced: Enforced,
    /// Whether this is a benign person's second account.
    pub(crate) second: bool,
}

/// What a post's media is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum MediaPlan {
    None,
    /// A fresh random hash.
    Random,
    /// A bank hash with `flips` bits flipped.
    Bank {
        index: u32,
        flips: u8,
    },
    /// A popular benign image (memes), lightly altered.
    Viral {
        index: u32,
        flips: u8,
    },
    /// Related to a bank hash but too far to be the same image.
    FarFromBank {
        index: u32,
        flips: u8,
    },
    /// A video, by MD5 only.
    Video,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct PostPlan {
    pub(crate) author: u32,
    pub(crate) t: u32,
    pub(crate) media: MediaPlan,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub(crate) enum Kind {
    /// `a` the account, `c` the version (0 created, 1 names its backup, 2 bio update).
    Account,
    Follow,
    Unfollow,
    ViewAccount,
    ViewPost,
    /// `a` author, `b` post.
    Post,
    Like,
    /// `a` actor, `b` post, `c` comment number.
    Comment,
    /// `a` actor, `c` a variant seed.
    Search,
    /// `a` reporter (`NONE` external), `b` target, `c` category | variant << 8.
    ReportAccount,
    ReportPost,
    /// `b` index among the lexicon's hashtags.
    ReportHashtag,
    /// `a` account, `c` 0 ban, 1 suspend, 2 restore.
    Enforcement,
}

/// One planned event: time in seconds from the world's start.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ev {
    pub(crate) t: u32,
    pub(crate) a: u32,
    pub(crate) b: u32,
    pub(crate) c: u32,
    pub(crate) kind: Kind,
}

pub(crate) struct World {
    pub(crate) accounts: Vec<Account>,
    pub(crate) posts: Vec<PostPlan>,
    pub(crate) events: Vec<Ev>,
    /// Niche members (benign accounts), by niche.
    pub(crate) niche_members: Vec<Vec<u32>>,
    /// Every seller account (original and returning).
    pub(crate) sellers: Vec<u32>,
    pub(crate) bank_size: u32,
}

/// Report categories as planned (index into `ReportCategory::ALL` order below).
pub(crate) const CAT_CHILD: u32 = 0;
pub(crate) const CAT_SEXUAL: u32 = 1;
pub(crate) const CAT_HARASS: u32 = 2;
pub(crate) const CAT_SPAM: u32 = 3;
pub(crate) const CAT_OTHER: u32 = 4;

const DAY: u32 = 86_400;

pub(crate) fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A generator for one item of one domain: the same item always gets the
/// same numbers, whatever order items are generated in.
pub(crate) fn rng_for(seed: u64, domain: u64, item: u64) -> SmallRng {
    SmallRng::seed_from_u64(splitmix(seed ^ splitmix(domain ^ splitmix(item))))
}

/// Heavy-tailed choice of an index below `n`: index 0 is the most popular.
/// P(index < k) = (k/n)^(1/3), so popularity falls off as a power law.
fn zipf_index<R: Rng>(rng: &mut R, n: usize) -> usize {
    let u: f64 = rng.gen();
    ((n as f64) * u * u * u).min((n - 1) as f64) as usize
}

fn time_between<R: Rng>(rng: &mut R, lo: u32, hi: u32) -> Option<u32> {
    (lo < hi).then(|| rng.gen_range(lo..hi))
}

/// Early-skewed time in [lo, hi): activity clusters soon after an account appears.
fn early_time<R: Rng>(rng: &mut R, lo: u32, hi: u32) -> Option<u32> {
    (lo < hi).then(|| {
        let u: f64 = rng.gen();
        lo + ((hi - lo) as f64 * u * u) as u32
    })
}

fn count<R: Rng>(rng: &mut R, dist: &LogNormal<f64>, cap: usize) -> usize {
    (dist.sample(rng) as usize).min(cap)
}

fn lognormal(mean: f64, sigma: f64) -> LogNormal<f64> {
    // mean = exp(mu + sigma^2 / 2)
    let mu = mean.max(0.01).ln() - sigma * sigma / 2.0;
    LogNormal::new(mu, sigma).unwrap_or_else(|_| unreachable_lognormal())
}

fn unreachable_lognormal() -> LogNormal<f64> {
    // Only reached for a non-finite sigma, which the constants never are.
    LogNormal::new(0.0, 1.0).unwrap_or_else(|_| unreachable!())
}

struct Proto {
    created: u32,
    until: u32,
    role: Role,
    returner_of: u32,
    backup_of: u32,
    banned: bool,
    second_of: u32,
}

/// Plans a whole world.
pub(crate) fn plan(config: &Config) -> World {
    let n = config.accounts as usize;
    let span = config.days * DAY;
    let seed = config.seed;
    let mut rng = rng_for(seed, 1, 0);

    // Population.
    let sellers = (n / 500).max(20);
    let backups = sellers * 2 / 5;
    let banned = (sellers * 12 / 100).max(2);
    let returners = banned * 3 / 5;
    let buyers = (n / 100).max(60);
    let aggregators = (n / 5000).max(4);
    let network = sellers + backups + returners + buyers + aggregators;
    let benign = n - network;
    let seconds = benign / 100;

    let mut protos: Vec<Proto> = Vec::with_capacity(n);
    let proto = |created, until, role| Proto {
        created,
        until,
        role,
        returner_of: NONE,
        backup_of: NONE,
        banned: false,
        second_of: NONE,
    };
    let population_time = |rng: &mut SmallRng| {
        if rng.gen_bool(0.5) {
            rng.gen_range(0..2 * DAY)
        } else {
            rng.gen_range(0..span * 9 / 10)
        }
    };
    for _ in 0..benign - seconds {
        let t = population_time(&mut rng);
        protos.push(proto(t, span, Role::Benign));
    }
    for _ in 0..seconds {
        let first = rng.gen_range(0..benign - seconds);
        let t = protos[first].created + rng.gen_range(DAY..30 * DAY);
        let mut p = proto(t.min(span - DAY), span, Role::Benign);
        p.second_of = first as u32;
        protos.push(p);
    }
    for _ in 0..buyers {
        let t = population_time(&mut rng);
        protos.push(proto(t, span, Role::Buyer));
    }
    for _ in 0..aggregators {
        protos.push(proto(rng.gen_range(0..span / 2), span, Role::Aggregator));
    }
    let first_seller = protos.len();
    for _ in 0..sellers {
        protos.push(proto(rng.gen_range(0..span * 6 / 10), span, Role::Seller));
    }
    // Backups of some sellers, created a little after them.
    let mut seller_slots: Vec<usize> = (first_seller..first_seller + sellers).collect();
    seller_slots.shuffle(&mut rng);
    for &s in &seller_slots[..backups] {
        let t = (protos[s].created + rng.gen_range(DAY..20 * DAY)).min(span - DAY);
        let mut p = proto(t, span, Role::Backup);
        p.backup_of = s as u32;
        protos.push(p);
    }
    // Some sellers are banned (the platform's seeds); most of those return.
    seller_slots.shuffle(&mut rng);
    for (i, &s) in seller_slots[..banned].iter().enumerate() {
        let created = protos[s].created;
        let ban = created + ((span - created) as f64 * rng.gen_range(0.25..0.7)) as u32;
        protos[s].until = ban;
        protos[s].banned = true;
        if i < returners {
            let t = (ban + rng.gen_range(3_600..5 * DAY)).min(span - 3_600);
            let mut p = proto(t, span, Role::Seller);
            p.returner_of = s as u32;
            protos.push(p);
        }
    }
    // A backup cannot appear before the seller it backs up is created; it
    // outlives a banned seller.
    for i in 0..protos.len() {
        if protos[i].backup_of != NONE {
            let s = protos[i].backup_of as usize;
            protos[i].created = protos[i].created.max(protos[s].created + 60);
        }
    }

    // Ids follow creation order, as on real platforms.
    let mut order: Vec<u32> = (0..protos.len() as u32).collect();
    order.sort_by_key(|&i| (protos[i as usize].created, i));
    let mut id_of = vec![0u32; protos.len()];
    for (id, &slot) in order.iter().enumerate() {
        id_of[slot as usize] = id as u32;
    }
    let remap = |slot: u32| if slot == NONE { NONE } else { id_of[slot as usize] };

    let mut accounts: Vec<Account> = order
        .iter()
        .map(|&slot| {
            let p = &protos[slot as usize];
            Account {
                created: p.created,
                until: p.until,
                role: p.role,
                niche: 0,
                band: 0,
                person: NONE,
                device: 0,
                email: 0,
                payment: 0,
                backup: remap(p.backup_of),
                prev: remap(p.returner_of),
                next: NONE,
                enforced: if p.banned { Enforced::BannedChildSafety } else { Enforced::None },
                second: p.second_of != NONE,
            }
        })
        .collect();
    let second_of: Vec<u32> =
        order.iter().map(|&slot| remap(protos[slot as usize].second_of)).collect();
    drop(protos);
    for id in 0..accounts.len() {
        let b = accounts[id].backup;
        if b != NONE {
            accounts[b as usize].backup = id as u32;
        }
        let p = accounts[id].prev;
        if p != NONE {
            accounts[p as usize].next = id as u32;
        }
    }

    // Niches, age bands, persons and identifiers.
    let niche_weights: Vec<f64> = (0..NICHES.len()).map(|i| 1.0 / (i as f64 + 2.0)).collect();
    let niche_dist =
        rand_distr::WeightedIndex::new(&niche_weights).unwrap_or_else(|_| unreachable!());
    let mut next_device = 1u32;
    let mut next_email = 1u32;
    let mut next_payment = 1u32;
    for id in 0..accounts.len() {
        let mut r = rng_for(seed, 2, id as u64);
        let role = accounts[id].role;
        let niche = niche_dist.sample(&mut r) as u16;
        let band = match role {
            Role::Benign if r.gen_bool(0.08) => 1,
            _ => match r.gen_range(0..10) {
                0..=6 => 2,
                7 => 3,
                _ => 0,
            },
        };
        let a = &mut accounts[id];
        a.niche = niche;
        a.band = band;
        let inherit = if second_of[id] != NONE {
            second_of[id]
        } else if a.backup != NONE && role == Role::Backup {
            a.backup
        } else {
            a.prev
        };
        if inherit != NONE {
            // Same person as an earlier account: shares some identifiers.
            let (person, device, email, payment, niche) = {
                let o = &accounts[inherit as usize];
                (o.person, o.device, o.email, o.payment, o.niche)
            };
            let share_device = match role {
                Role::Benign => true,
                Role::Backup => r.gen_bool(0.8),
                _ => r.gen_bool(0.6),
            };
            let share_payment = payment != 0 && (!share_device || r.gen_bool(0.7));
            let a = &mut accounts[id];
            a.person = person;
            a.niche = niche;
            a.device = if share_device { device } else { bump(&mut next_device) };
            a.email = if r.gen_bool(0.3) { email } else { bump(&mut next_email) };
            a.payment = if share_payment { payment } else { 0 };
            if a.role == Role::Seller && a.payment == 0 {
                a.payment = bump(&mut next_payment);
            }
        } else {
            a.person = id as u32;
            a.device = bump(&mut next_device);
            a.email = bump(&mut next_email);
            let pays = match role {
                Role::Seller => true,
                Role::Benign => r.gen_bool(0.03),
                _ => false,
            };
            a.payment = if pays { bump(&mut next_payment) } else { 0 };
        }
    }
    // Households: a few unrelated benign accounts share a device (a decoy for
    // identity linking: same device, different people).
    let benign_ids: Vec<u32> = (0..accounts.len() as u32)
        .filter(|&i| accounts[i as usize].role == Role::Benign && !accounts[i as usize].second)
        .collect();
    for _ in 0..benign_ids.len() / 200 {
        let x = benign_ids[rng.gen_range(0..benign_ids.len())];
        let y = benign_ids[rng.gen_range(0..benign_ids.len())];
        if accounts[x as usize].person != accounts[y as usize].person {
            accounts[y as usize].device = accounts[x as usize].device;
        }
    }
    // Benign spam suspensions (not part of the network).
    for _ in 0..(benign_ids.len() / 1000).max(1) {
        let x = benign_ids[rng.gen_range(0..benign_ids.len())] as usize;
        accounts[x].enforced = Enforced::SuspendedSpam { restored: rng.gen_bool(0.5) };
    }

    let mut niche_members: Vec<Vec<u32>> = vec![Vec::new(); NICHES.len()];
    for &id in &benign_ids {
        niche_members[accounts[id as usize].niche as usize].push(id);
    }
    // Popularity order inside each niche: a random permutation.
    for members in &mut niche_members {
        members.shuffle(&mut rng);
    }
    let mut global_popular = benign_ids.clone();
    global_popular.shuffle(&mut rng);
    let ids_of = |role: Role| -> Vec<u32> {
        (0..accounts.len() as u32).filter(|&i| accounts[i as usize].role == role).collect()
    };
    let mut seller_ids = ids_of(Role::Seller);
    seller_ids.shuffle(&mut rng);
    let original_sellers: Vec<u32> =
        seller_ids.iter().copied().filter(|&s| accounts[s as usize].prev == NONE).collect();
    let aggregator_ids = ids_of(Role::Aggregator);
    let buyer_ids = ids_of(Role::Buyer);
    let minors_by_niche: Vec<Vec<u32>> = niche_members
        .iter()
        .map(|m| m.iter().copied().filter(|&i| accounts[i as usize].band == 1).collect())
        .collect();

    let ctx = Ctx {
        seed,
        span,
        accounts: &accounts,
        niche_members: &niche_members,
        global_popular: &global_popular,
        original_sellers: &original_sellers,
        aggregators: &aggregator_ids,
        buyers: &buyer_ids,
        minors_by_niche: &minors_by_niche,
        second_of: &second_of,
    };

    // Follows, per account, in parallel (each account has its own generator).
    let mut follows: Vec<Vec<(u32, u32)>> =
        (0..accounts.len() as u32).into_par_iter().map(|a| ctx.follows_of(a)).collect();
    ctx.migrate_followers(&mut follows);
    // Sized for follows (with a margin for unfollows) and account events; the
    // interactions reserve exactly what they need below, so the largest
    // vector is never over-allocated.
    let follow_count: usize = follows.iter().map(Vec::len).sum();
    let mut events: Vec<Ev> = Vec::with_capacity(follow_count + follow_count / 32 + 6 * n);
    for (a, list) in follows.iter().enumerate() {
        let mut r = rng_for(seed, 3, a as u64);
        for &(b, t) in list {
            events.push(Ev { t, a: a as u32, b, c: 0, kind: Kind::Follow });
            if r.gen_bool(0.02) {
                let hi = accounts[a].until.min(accounts[b as usize].until);
                if let Some(tu) = time_between(&mut r, t + 1, hi) {
                    events.push(Ev { t: tu, a: a as u32, b, c: 0, kind: Kind::Unfollow });
                }
            }
        }
    }

    // Account events.
    for (id, a) in accounts.iter().enumerate() {
        events.push(Ev { t: a.created, a: id as u32, b: 0, c: 0, kind: Kind::Account });
        let mut r = rng_for(seed, 4, id as u64);
        if a.role == Role::Seller && a.backup != NONE {
            // The seller names its backup once the backup exists.
            let t = accounts[a.backup as usize].created + 1;
            if t < a.until {
                events.push(Ev { t, a: id as u32, b: 0, c: 1, kind: Kind::Account });
            }
        } else if r.gen_bool(0.1) {
            if let Some(t) = time_between(&mut r, a.created + 1, a.until) {
                events.push(Ev { t, a: id as u32, b: 0, c: 2, kind: Kind::Account });
            }
        }
        match a.enforced {
            Enforced::None => {}
            Enforced::BannedChildSafety => {
                events.push(Ev { t: a.until, a: id as u32, b: 0, c: 0, kind: Kind::Enforcement });
            }
            Enforced::SuspendedSpam { restored } => {
                if let Some(t) = time_between(&mut r, a.created + 1, span) {
                    events.push(Ev { t, a: id as u32, b: 0, c: 1, kind: Kind::Enforcement });
                    if restored {
                        if let Some(t2) = time_between(&mut r, t + 1, span) {
                            events.push(Ev {
                                t: t2,
                                a: id as u32,
                                b: 0,
                                c: 2,
                                kind: Kind::Enforcement,
                            });
                        }
                    }
                }
            }
        }
    }

    // Posts: planned per author, then numbered in time order.
    let bank_size = (n / 1000).max(100) as u32;
    let viral_size = (n / 2000).max(50) as u32;
    let mut posts: Vec<PostPlan> = (0..accounts.len() as u32)
        .into_par_iter()
        .flat_map_iter(|a| ctx.posts_of(a, bank_size, viral_size))
        .collect();
    posts.par_sort_by_key(|p| (p.t, p.author));
    let mut post_offsets = vec![0u32; accounts.len() + 1];
    for p in &posts {
        post_offsets[p.author as usize + 1] += 1;
    }
    for i in 0..accounts.len() {
        post_offsets[i + 1] += post_offsets[i];
    }
    let mut fill = post_offsets.clone();
    let mut by_author = vec![0u32; posts.len()];
    for (i, p) in posts.iter().enumerate() {
        let slot = &mut fill[p.author as usize];
        by_author[*slot as usize] = i as u32;
        *slot += 1;
    }
    for (i, p) in posts.iter().enumerate() {
        events.push(Ev { t: p.t, a: p.author, b: i as u32, c: 0, kind: Kind::Post });
    }

    // Interactions, per actor, in parallel.
    let index = PostIndex { posts: &posts, offsets: &post_offsets, by_author: &by_author };
    let mut interactions: Vec<(Vec<Ev>, Vec<Exposure>)> = (0..accounts.len() as u32)
        .into_par_iter()
        .map(|a| ctx.interactions_of(a, &follows[a as usize], &index))
        .collect();
    drop(follows);
    // Comment numbers in actor order, then reports from exposures.
    let mut comment = 0u32;
    let mut exposures = Vec::new();
    let more: usize = interactions.iter().map(|(evs, _)| evs.len()).sum();
    events.reserve_exact(more + n / 50 + 1_000);
    for (evs, exp) in &mut interactions {
        for e in evs.iter_mut() {
            if e.kind == Kind::Comment {
                e.c = comment;
                comment += 1;
            }
        }
        events.append(evs);
        exposures.append(exp);
    }
    drop(interactions);
    ctx.reports(&mut events, &exposures, &index, &mut rng);

    // In place (a stable sort would need a second copy). Ties are broken by
    // every field, so the order is deterministic; events equal in every field
    // are interchangeable.
    events.par_sort_unstable_by_key(|e| (e.t, e.kind as u8, e.a, e.b, e.c));
    World { accounts, posts, events, niche_members, sellers: seller_ids, bank_size }
}

fn bump(counter: &mut u32) -> u32 {
    let v = *counter;
    *counter += 1;
    v
}

/// A benign account saw a seller: (account, seller, time).
type Exposure = (u32, u32, u32);

struct PostIndex<'a> {
    posts: &'a [PostPlan],
    offsets: &'a [u32],
    by_author: &'a [u32],
}

impl PostIndex<'_> {
    fn of(&self, author: u32) -> &[u32] {
        let (lo, hi) = (self.offsets[author as usize], self.offsets[author as usize + 1]);
        &self.by_author[lo as usize..hi as usize]
    }
}

struct Ctx<'a> {
    seed: u64,
    span: u32,
    accounts: &'a [Account],
    niche_members: &'a [Vec<u32>],
    global_popular: &'a [u32],
    original_sellers: &'a [u32],
    aggregators: &'a [u32],
    buyers: &'a [u32],
    minors_by_niche: &'a [Vec<u32>],
    second_of: &'a [u32],
}

impl Ctx<'_> {
    /// A follow from `a` to `b` at a time both exist, if there is one.
    fn follow_time(&self, r: &mut SmallRng, a: u32, b: u32) -> Option<u32> {
        let (x, y) = (&self.accounts[a as usize], &self.accounts[b as usize]);
        early_time(r, x.created.max(y.created) + 1, x.until.min(y.until))
    }

    fn niche_pick(&self, r: &mut SmallRng, niche: u16) -> Option<u32> {
        let members = &self.niche_members[niche as usize];
        if members.is_empty() || r.gen_bool(0.15) {
            let g = self.global_popular;
            return (!g.is_empty()).then(|| g[zipf_index(r, g.len())]);
        }
        Some(members[zipf_index(r, members.len())])
    }

    fn follows_of(&self, a: u32) -> Vec<(u32, u32)> {
        let mut r = rng_for(self.seed, 5, a as u64);
        let acct = &self.accounts[a as usize];
        let mut targets: Vec<u32> = Vec::new();
        let benign_dist = lognormal(22.0, 1.1);
        let cap = (self.accounts.len() / 4).clamp(1, 5_000);
        match acct.role {
            Role::Benign => {
                let d = count(&mut r, &benign_dist, cap);
                let d = if acct.second { d / 3 } else { d };
                for _ in 0..d {
                    targets.extend(self.niche_pick(&mut r, acct.niche));
                }
                if acct.second {
                    targets.push(self.second_of[a as usize]);
                }
                // Brief contact: a few benign accounts follow one seller.
                if r.gen_bool(0.002) {
                    targets
                        .push(self.original_sellers[r.gen_range(0..self.original_sellers.len())]);
                }
            }
            Role::Buyer => {
                for _ in 0..count(&mut r, &benign_dist, cap) / 2 {
                    targets.extend(self.niche_pick(&mut r, acct.niche));
                }
                let s = self.original_sellers;
                let k = (3 + count(&mut r, &lognormal(18.0, 0.9), s.len())).min(s.len());
                for _ in 0..k {
                    targets.push(s[zipf_index(&mut r, s.len())]);
                }
                for _ in 0..r.gen_range(0..4) {
                    targets.push(self.aggregators[zipf_index(&mut r, self.aggregators.len())]);
                }
                let minors = &self.minors_by_niche[acct.niche as usize];
                if !minors.is_empty() && r.gen_bool(0.1) {
                    for _ in 0..r.gen_range(1..4) {
                        targets.push(minors[r.gen_range(0..minors.len())]);
                    }
                }
            }
            Role::Seller | Role::Backup => {
                let s = self.original_sellers;
                for _ in 0..r.gen_range(2..9) {
                    targets.push(s[zipf_index(&mut r, s.len())]);
                }
                for _ in 0..r.gen_range(1..4) {
                    targets.push(self.aggregators[r.gen_range(0..self.aggregators.len())]);
                }
                for _ in 0..r.gen_range(0..11) {
                    targets.extend(self.niche_pick(&mut r, acct.niche));
                }
                if acct.backup != NONE {
                    targets.push(acct.backup);
                }
                if acct.prev != NONE {
                    // Returning sellers re-follow their old circle's aggregators.
                    targets.push(self.aggregators[r.gen_range(0..self.aggregators.len())]);
                }
            }
            Role::Aggregator => {
                let s = self.original_sellers;
                let k = r.gen_range(30..300).min(s.len());
                for _ in 0..k {
                    targets.push(s[r.gen_range(0..s.len())]);
                }
                for _ in 0..r.gen_range(0..20) {
                    targets.push(self.buyers[r.gen_range(0..self.buyers.len())]);
                }
            }
        }
        targets.sort_unstable();
        targets.dedup();
        let mut out = Vec::with_capacity(targets.len());
        for b in targets {
            if b != a {
                if let Some(t) = self.follow_time(&mut r, a, b) {
                    out.push((b, t));
                }
            }
        }
        out
    }

    /// Followers move to a seller's backup, and to a banned seller's new account.
    fn migrate_followers(&self, follows: &mut [Vec<(u32, u32)>]) {
        let mut moves: Vec<(u32, u32)> = Vec::new();
        for (a, list) in follows.iter().enumerate() {
            let role = self.accounts[a].role;
            if !matches!(role, Role::Buyer | Role::Aggregator) {
                continue;
            }
            let mut r = rng_for(self.seed, 6, a as u64);
            for &(b, _) in list {
                let target = &self.accounts[b as usize];
                if target.role != Role::Seller {
                    continue;
                }
                if target.backup != NONE && r.gen_bool(0.5) {
                    moves.push((a as u32, target.backup));
                }
                if target.next != NONE && r.gen_bool(0.6) {
                    moves.push((a as u32, target.next));
                }
            }
        }
        for (a, b) in moves {
            let mut r = rng_for(self.seed, 7, ((a as u64) << 32) | b as u64);
            if let Some(t) = self.follow_time(&mut r, a, b) {
                follows[a as usize].push((b, t));
            }
        }
        for list in follows.iter_mut() {
            list.sort_unstable();
            list.dedup_by_key(|x| x.0);
        }
    }

    fn posts_of(&self, a: u32, bank: u32, viral: u32) -> Vec<PostPlan> {
        let mut r = rng_for(self.seed, 8, a as u64);
        let acct = &self.accounts[a as usize];
        let mean = match acct.role {
            Role::Benign => 3.0,
            Role::Seller => 8.0,
            Role::Aggregator => 10.0,
            Role::Backup => 2.0,
            Role::Buyer => 1.0,
        };
        let k = count(&mut r, &lognormal(mean, 1.0), 400);
        let mut out = Vec::with_capacity(k);
        for _ in 0..k {
            let Some(t) = time_between(&mut r, acct.created + 1, acct.until) else { break };
            let media = match acct.role {
                Role::Seller | Role::Backup | Role::Aggregator => {
                    let p = if acct.role == Role::Aggregator { 0.3 } else { 0.45 };
                    if r.gen_bool(p) {
                        let flips = if r.gen_bool(0.3) { 0 } else { r.gen_range(1..=12) };
                        MediaPlan::Bank { index: r.gen_range(0..bank), flips }
                    } else {
                        MediaPlan::Random
                    }
                }
                _ => match r.gen_range(0..1000) {
                    0..=149 => MediaPlan::None,
                    150..=199 => MediaPlan::Viral {
                        index: zipf_index(&mut r, viral as usize) as u32,
                        flips: r.gen_range(0..=4),
                    },
                    200..=201 => MediaPlan::FarFromBank {
                        index: r.gen_range(0..bank),
                        flips: r.gen_range(45..=80),
                    },
                    202..=239 => MediaPlan::Video,
                    _ => MediaPlan::Random,
                },
            };
            out.push(PostPlan { author: a, t, media });
        }
        out
    }

    /// Likes, views, comments and searches of one actor, and the sellers it
    /// was exposed to (for reports).
    fn interactions_of(
        &self,
        a: u32,
        follows: &[(u32, u32)],
        posts: &PostIndex<'_>,
    ) -> (Vec<Ev>, Vec<Exposure>) {
        let mut r = rng_for(self.seed, 9, a as u64);
        let acct = &self.accounts[a as usize];
        let (likes, views, comments, searches) = match acct.role {
            Role::Benign => (16.0, 14.0, 3.0, 4.0),
            Role::Buyer => (15.0, 20.0, 3.0, 6.0),
            Role::Seller | Role::Backup => (3.0, 5.0, 1.0, 1.0),
            Role::Aggregator => (5.0, 30.0, 1.0, 2.0),
        };
        let mut out = Vec::new();
        let mut exposures = Vec::new();
        // A followee's post this actor could see: after the follow and the post, before either ends.
        let pick_post = |r: &mut SmallRng| -> Option<(u32, u32, u32)> {
            for _ in 0..3 {
                let &(b, tf) = follows.choose(r)?;
                let list = posts.of(b);
                let &p = list.choose(r)?;
                let post = &posts.posts[p as usize];
                let hi = acct.until.min(self.accounts[b as usize].until);
                if let Some(t) = early_time(r, tf.max(post.t) + 1, hi) {
                    return Some((b, p, t));
                }
            }
            None
        };
        for _ in 0..count(&mut r, &lognormal(likes, 1.0), 2_000) {
            if let Some((_, p, t)) = pick_post(&mut r) {
                out.push(Ev { t, a, b: p, c: 0, kind: Kind::Like });
            }
        }
        for _ in 0..count(&mut r, &lognormal(comments, 1.0), 500) {
            if let Some((_, p, t)) = pick_post(&mut r) {
                out.push(Ev { t, a, b: p, c: 0, kind: Kind::Comment });
            }
        }
        for _ in 0..count(&mut r, &lognormal(views, 1.0), 2_000) {
            if r.gen_bool(0.6) {
                let Some(&(b, tf)) = follows.choose(&mut r) else { continue };
                let hi = acct.until.min(self.accounts[b as usize].until);
                if let Some(t) = early_time(&mut r, tf + 1, hi) {
                    out.push(Ev { t, a, b, c: 0, kind: Kind::ViewAccount });
                }
            } else if let Some((_, p, t)) = pick_post(&mut r) {
                out.push(Ev { t, a, b: p, c: 0, kind: Kind::ViewPost });
            }
        }
        for _ in 0..count(&mut r, &lognormal(searches, 1.0), 500) {
            if let Some(t) = time_between(&mut r, acct.created + 1, acct.until) {
                out.push(Ev { t, a, b: 0, c: r.gen(), kind: Kind::Search });
            }
        }
        if acct.role == Role::Benign {
            // One view of a seller's profile (the sock-puppet experiment's first step).
            if r.gen_bool(0.003) {
                let s = self.original_sellers[r.gen_range(0..self.original_sellers.len())];
                let hi = acct.until.min(self.accounts[s as usize].until);
                let lo = acct.created.max(self.accounts[s as usize].created) + 1;
                if let Some(t) = time_between(&mut r, lo, hi) {
                    out.push(Ev { t, a, b: s, c: 0, kind: Kind::ViewAccount });
                    exposures.push((a, s, t));
                }
            }
            for &(b, tf) in follows {
                if self.accounts[b as usize].role == Role::Seller {
                    exposures.push((a, b, tf));
                }
            }
        }
        (out, exposures)
    }

    /// True reports (from exposures and on network hashtags) and false ones.
    fn reports(
        &self,
        events: &mut Vec<Ev>,
        exposures: &[Exposure],
        posts: &PostIndex<'_>,
        rng: &mut SmallRng,
    ) {
        let reporter = |rng: &mut SmallRng, a: u32| if rng.gen_bool(0.1) { NONE } else { a };
        for &(a, s, t0) in exposures {
            if !rng.gen_bool(0.25) {
                continue;
            }
            let hi = self.accounts[s as usize].until.min(self.accounts[a as usize].until);
            let Some(t) = time_between(rng, t0 + 1, hi) else { continue };
            let category = match rng.gen_range(0..20) {
                0..=14 => CAT_CHILD,
                15..=18 => CAT_SEXUAL,
                _ => CAT_OTHER,
            };
            let c = category | rng.gen_range(0..256u32) << 8;
            let own = posts.of(s);
            let earlier: Vec<u32> =
                own.iter().copied().filter(|&p| posts.posts[p as usize].t < t).collect();
            match earlier.choose(rng) {
                Some(&p) if rng.gen_bool(0.3) => {
                    events.push(Ev { t, a: reporter(rng, a), b: p, c, kind: Kind::ReportPost });
                }
                _ => events.push(Ev { t, a: reporter(rng, a), b: s, c, kind: Kind::ReportAccount }),
            }
        }
        let benign: &[u32] = self.global_popular;
        if benign.is_empty() {
            return;
        }
        for _ in 0..(benign.len() / 20_000 + 2) {
            let a = benign[rng.gen_range(0..benign.len())];
            if let Some(t) = time_between(rng, self.accounts[a as usize].created + 1, self.span) {
                let c = CAT_CHILD | rng.gen_range(0..256u32) << 8;
                events.push(Ev {
                    t,
                    a: reporter(rng, a),
                    b: rng.gen(),
                    c,
                    kind: Kind::ReportHashtag,
                });
            }
        }
        // False reports: ordinary disputes, aimed mostly at popular accounts.
        for _ in 0..benign.len() / 100 {
            let a = benign[rng.gen_range(0..benign.len())];
            let target = benign[zipf_index(rng, benign.len())];
            if target == a {
                continue;
            }
            let (x, y) = (&self.accounts[a as usize], &self.accounts[target as usize]);
            let Some(t) = time_between(rng, x.created.max(y.created) + 1, x.until.min(y.until))
            else {
                continue;
            };
            let category = match rng.gen_range(0..20) {
                0..=7 => CAT_SPAM,
                8..=13 => CAT_HARASS,
                14..=16 => CAT_OTHER,
                17..=18 => CAT_SEXUAL,
                _ => CAT_CHILD,
            };
            let c = category | rng.gen_range(0..256u32) << 8;
            let own = posts.of(target);
            let earlier: Vec<u32> =
                own.iter().copied().filter(|&p| posts.posts[p as usize].t < t).collect();
            match earlier.choose(rng) {
                Some(&p) if rng.gen_bool(0.3) => {
                    events.push(Ev { t, a: reporter(rng, a), b: p, c, kind: Kind::ReportPost });
                }
                _ => events.push(Ev {
                    t,
                    a: reporter(rng, a),
                    b: target,
                    c,
                    kind: Kind::ReportAccount,
                }),
            }
        }
    }
}
