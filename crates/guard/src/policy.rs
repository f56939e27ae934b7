//! The policy: which rules the guard applies, as data.
//!
//! A policy file is TOML; every key is optional and defaults to the values of
//! [`Policy::default`], which implement the rules of `docs/GUARD.md`. Unknown
//! keys are an error (a misspelt rule must not silently fall back to a default).

use guardrail_core::RiskTier;
use guardrail_text::Level;
use serde::{Deserialize, Deserializer, Serialize};

use crate::GuardError;

/// Which rules apply, and their thresholds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Tiers whose accounts are never recommended or suggested to anyone and
    /// whose posts are kept out of feeds and search results.
    #[serde(deserialize_with = "tiers")]
    pub never_recommend: Vec<RiskTier>,
    /// Members of a flagged network are never recommended either, whatever
    /// their own tier.
    pub drop_flagged_networks: bool,
    /// Hashtag and autocomplete suggestions whose text verdict is above this
    /// level are dropped (`weak` drops `strong` and `block`).
    #[serde(deserialize_with = "level")]
    pub suggest_max_level: Level,
    /// Search queries at or above this level are blocked: no results, only
    /// the resources response.
    #[serde(deserialize_with = "level")]
    pub search_block_level: Level,
    /// When a hashtag counts as tainted.
    pub taint: Taint,
    /// Rules that depend on who is looking.
    pub viewer: ViewerRules,
    /// Which interactions recommenders must not learn from.
    pub hygiene: HygieneRules,
    /// What a blocked search shows instead of results.
    pub resources: Resources,
}

/// When a hashtag is tainted: used mostly by flagged accounts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Taint {
    /// Share of a hashtag's distinct users that are flagged, at or above
    /// which it is tainted (0 < share <= 1).
    pub share: f64,
    /// Fewest flagged users before a hashtag can be tainted (at least 1).
    pub min_flagged_users: u32,
}

/// Rules that depend on the viewer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ViewerRules {
    /// Tiers that make a viewer (or a candidate) "suspected" for these rules.
    #[serde(deserialize_with = "tiers")]
    pub suspected_tiers: Vec<RiskTier>,
    /// A suspected viewer is not recommended other suspected accounts.
    pub suspected_not_shown_suspected: bool,
    /// A suspected viewer is not recommended any account of a minor.
    pub suspected_not_shown_minors: bool,
    /// A minor is not recommended suspected adults.
    pub minors_not_shown_suspected: bool,
    /// Treat accounts without a declared age band as minors for the two
    /// rules above (off by default: most platforms do not ask).
    pub unknown_age_is_minor: bool,
}

/// Which interactions a recommender must not learn from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HygieneRules {
    /// Interactions with (or by) accounts in these tiers are dropped.
    #[serde(deserialize_with = "tiers")]
    pub drop_tiers: Vec<RiskTier>,
    /// Interactions with (or by) members of flagged networks are dropped.
    pub drop_flagged_networks: bool,
}

/// The response shown instead of results for a blocked search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Resources {
    /// The message.
    pub message: String,
    /// Where to get help or report.
    pub links: Vec<Link>,
}

/// One link of the resources response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// What it is.
    pub name: String,
    /// Where.
    pub url: String,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            never_recommend: vec![RiskTier::Confirmed, RiskTier::Suspected],
            drop_flagged_networks: true,
            suggest_max_level: Level::Weak,
            search_block_level: Level::Block,
            taint: Taint::default(),
            viewer: ViewerRules::default(),
            hygiene: HygieneRules::default(),
            resources: Resources::default(),
        }
    }
}

impl Default for Taint {
    fn default() -> Taint {
        Taint { share: 0.5, min_flagged_users: 1 }
    }
}

impl Default for ViewerRules {
    fn default() -> ViewerRules {
        ViewerRules {
            suspected_tiers: vec![RiskTier::Confirmed, RiskTier::Suspected],
            suspected_not_shown_suspected: true,
            suspected_not_shown_minors: true,
            minors_not_shown_suspected: true,
            unknown_age_is_minor: false,
        }
    }
}

impl Default for HygieneRules {
    fn default() -> HygieneRules {
        HygieneRules {
            drop_tiers: vec![RiskTier::Confirmed, RiskTier::Suspected],
            drop_flagged_networks: true,
        }
    }
}

impl Default for Resources {
    fn default() -> Resources {
        Resources {
            message: "These search results are not available: the words you searched for are \
                      associated with the sexual abuse of children, which causes severe harm \
                      and is illegal. If you have seen such material, report it. If you are \
                      worried about your own thoughts or someone else's, confidential help \
                      is available."
                .to_owned(),
            links: vec![
                Link {
                    name: "NCMEC CyberTipline (report child sexual exploitation)".to_owned(),
                    url: "https://report.cybertip.org/".to_owned(),
                },
                Link {
                    name: "Stop It Now (confidential help)".to_owned(),
                    url: "https://www.stopitnow.org/".to_owned(),
                },
            ],
        }
    }
}

impl Policy {
    /// Reads a policy file's text; missing keys take their defaults.
    pub fn from_toml(text: &str) -> Result<Policy, GuardError> {
        let policy: Policy = toml::from_str(text)
            .map_err(|e| GuardError::PolicyFile { why: e.message().to_owned() })?;
        policy.validate()?;
        Ok(policy)
    }

    /// Checks the thresholds.
    pub fn validate(&self) -> Result<(), GuardError> {
        let bad =
            |key: &'static str, why: &'static str| Err(GuardError::PolicySetting { key, why });
        if !(self.taint.share > 0.0 && self.taint.share <= 1.0) {
            return bad("taint.share", "must be above 0 and at most 1");
        }
        if self.taint.min_flagged_users == 0 {
            return bad("taint.min_flagged_users", "must be at least 1");
        }
        if self.search_block_level == Level::Allow {
            return bad("search_block_level", "`allow` would block every search");
        }
        if self.resources.message.trim().is_empty() {
            return bad("resources.message", "must not be empty");
        }
        Ok(())
    }
}

fn tiers<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<RiskTier>, D::Error> {
    let names = Vec::<String>::deserialize(d)?;
    names
        .iter()
        .map(|n| {
            n.parse::<RiskTier>().map_err(|_| {
                serde::de::Error::custom(format!(
                    "unknown tier {n:?} (expected confirmed, suspected, exposed or clear)"
                ))
            })
        })
        .collect()
}

fn level<'de, D: Deserializer<'de>>(d: D) -> Result<Level, D::Error> {
    let name = String::deserialize(d)?;
    match name.as_str() {
        "allow" => Ok(Level::Allow),
        "weak" => Ok(Level::Weak),
        "strong" => Ok(Level::Strong),
        "block" => Ok(Level::Block),
        _ => Err(serde::de::Error::custom(format!(
            "unknown level {name:?} (expected allow, weak, strong or block)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_is_the_default_and_the_default_round_trips() {
        assert_eq!(Policy::from_toml("").unwrap(), Policy::default());
        let text = toml::to_string(&Policy::default()).unwrap();
        assert_eq!(Policy::from_toml(&text).unwrap(), Policy::default());
    }

    #[test]
    fn bad_policies_name_the_field() {
        let e = Policy::from_toml("never_recommend = [\"suspicious\"]").unwrap_err().to_string();
        assert!(e.contains("suspicious"), "{e}");
        let e = Policy::from_toml("[taint]\nshare = 1.5").unwrap_err().to_string();
        assert!(e.contains("taint.share"), "{e}");
        let e = Policy::from_toml("sugest_max_level = \"weak\"").unwrap_err().to_string();
        assert!(e.contains("sugest_max_level"), "{e}");
        let e = Policy::from_toml("search_block_level = \"loud\"").unwrap_err().to_string();
        assert!(e.contains("loud"), "{e}");
        let e = Policy::from_toml("[taint]\nmin_flagged_users = 0").unwrap_err().to_string();
        assert!(e.contains("min_flagged_users"), "{e}");
    }
}
