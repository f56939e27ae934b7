//! Risk tiers assigned to accounts by network mapping.

use std::fmt;
use std::str::FromStr;

/// How strongly an account is tied to an abusive network.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum RiskTier {
    /// No evidence against the account.
    Clear,
    /// A benign account that merely touched the network (followed or viewed it).
    Exposed,
    /// Close to the network by proximity alone (personalised PageRank from the
    /// seeds, ties to flagged accounts) with some behavioural evidence that
    /// does not reach significance: a case for a reviewer to open, never a
    /// reason for discovery surfaces to act (`is_flagged` is false).
    Candidate,
    /// A degree-aware behavioural pattern or direct evidence (the account's
    /// own words, media or identity) places the account in the network; a reviewer should look.
    Suspected,
    /// The platform or a reviewer confirmed the account, or it matched a known-abuse hash.
    Confirmed,
}

impl RiskTier {
    /// The lowercase name used in files, JSON and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskTier::Clear => "clear",
            RiskTier::Exposed => "exposed",
            RiskTier::Candidate => "candidate",
            RiskTier::Suspected => "suspected",
            RiskTier::Confirmed => "confirmed",
        }
    }

    /// Every tier, least severe first.
    pub const ALL: [RiskTier; 5] = [
        RiskTier::Clear,
        RiskTier::Exposed,
        RiskTier::Candidate,
        RiskTier::Suspected,
        RiskTier::Confirmed,
    ];

    /// A small code (0 to 4, in order of severity) for packed flags.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The tier of a [`RiskTier::code`]; codes above 4 are `Confirmed`.
    pub fn from_code(code: u8) -> RiskTier {
        RiskTier::ALL[usize::from(code.min(4))]
    }

    /// Whether discovery surfaces must keep this account away from others.
    pub fn is_flagged(self) -> bool {
        matches!(self, RiskTier::Suspected | RiskTier::Confirmed)
    }
}

impl fmt::Display for RiskTier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RiskTier {
    type Err = String;

    fn from_str(s: &str) -> Result<RiskTier, String> {
        match s {
            "clear" => Ok(RiskTier::Clear),
            "exposed" => Ok(RiskTier::Exposed),
            "candidate" => Ok(RiskTier::Candidate),
            "suspected" => Ok(RiskTier::Suspected),
            "confirmed" => Ok(RiskTier::Confirmed),
            other => Err(format!(
                "unknown risk tier {other:?}, expected clear, exposed, candidate, suspected or confirmed"
            )),
        }
    }
}
