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
    /// Evidence places the account in the network; a reviewer should look.
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
            RiskTier::Suspected => "suspected",
            RiskTier::Confirmed => "confirmed",
        }
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
            "suspected" => Ok(RiskTier::Suspected),
            "confirmed" => Ok(RiskTier::Confirmed),
            other => Err(format!(
                "unknown risk tier {other:?}, expected clear, exposed, suspected or confirmed"
            )),
        }
    }
}
