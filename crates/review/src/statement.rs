//! The statement of reasons kept for every enforcement, with the fields of
//! the EU Digital Services Act, Article 17(3): what was decided and its scope
//! (a), on what facts and whether after a notice (b), whether automated means
//! detected or decided it (c), the legal or contractual ground (d, e), and
//! the redress open to the person (f).

use guardrail_core::{CaseId, Timestamp};
use serde::Serialize;

use crate::enforce::Action;
use crate::ReviewError;

/// A statement of reasons, ready to keep and to send to the person affected.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatementOfReasons {
    /// The case.
    pub case: u64,
    /// When the decision was taken (RFC 3339).
    pub decided_at: String,
    /// (a) The restrictions imposed, one line per action (`ban u1`).
    pub restrictions: Vec<String>,
    /// (a) Where they apply.
    pub territorial_scope: String,
    /// (a) How long (`indefinite` unless the decision says).
    pub duration: String,
    /// (b) The facts and circumstances relied on.
    pub facts: String,
    /// (b) How many notices (user reports) the decision followed.
    pub notices: u32,
    /// (b) Whether the platform's own detection (signals) opened or joined the case.
    pub own_initiative: bool,
    /// (c) Whether automated means detected or identified the content.
    pub automated_detection: bool,
    /// (c) Whether the decision itself was automated (a reviewer decided: false).
    pub automated_decision: bool,
    /// (d) The legal ground, for illegal content.
    pub legal_ground: Option<String>,
    /// (e) The contractual ground (the policy broken).
    pub contractual_ground: Option<String>,
    /// (f) The redress possible.
    pub redress: Vec<String>,
}

/// The redress every statement lists unless the deployment sets its own.
pub const DEFAULT_REDRESS: [&str; 3] = [
    "internal complaint: appeal the decision within six months",
    "out-of-court dispute settlement by a certified body (DSA Art. 21)",
    "judicial redress before the courts",
];

/// What the statement is built from.
#[derive(Clone, Debug)]
pub struct StatementInput<'a> {
    /// The case.
    pub case: CaseId,
    /// When.
    pub decided_at: Timestamp,
    /// The actions of the decision.
    pub actions: &'a [Action],
    /// The facts.
    pub facts: String,
    /// User reports in the case.
    pub notices: u32,
    /// Whether signals are in the case.
    pub own_initiative: bool,
    /// Whether the content was found by hash matching or the lexicon.
    pub automated_detection: bool,
    /// The legal ground, when the content is illegal.
    pub legal_ground: Option<String>,
    /// The policy broken.
    pub contractual_ground: Option<String>,
}

impl StatementOfReasons {
    /// Builds and checks a statement: it needs a restriction, facts, and a
    /// legal or contractual ground.
    pub fn new(input: StatementInput<'_>) -> Result<StatementOfReasons, ReviewError> {
        if input.actions.is_empty() {
            return Err(ReviewError::field("statement.restrictions", "no enforcement to explain"));
        }
        if input.facts.trim().is_empty() {
            return Err(ReviewError::field("statement.facts", "empty"));
        }
        let blank = |g: &Option<String>| g.as_deref().is_none_or(|g| g.trim().is_empty());
        if blank(&input.legal_ground) && blank(&input.contractual_ground) {
            return Err(ReviewError::field(
                "statement.ground",
                "a legal or a contractual ground is needed",
            ));
        }
        Ok(StatementOfReasons {
            case: input.case.get(),
            decided_at: input.decided_at.to_rfc3339(),
            restrictions: input
                .actions
                .iter()
                .map(|a| format!("{} {}", a.kind, a.target))
                .collect(),
            territorial_scope: "worldwide".into(),
            duration: "indefinite".into(),
            facts: input.facts,
            notices: input.notices,
            own_initiative: input.own_initiative,
            automated_detection: input.automated_detection,
            automated_decision: false,
            legal_ground: input.legal_ground,
            contractual_ground: input.contractual_ground,
            redress: DEFAULT_REDRESS.iter().map(|s| (*s).to_owned()).collect(),
        })
    }

    /// The statement as one line of JSON (its stored form).
    pub fn to_json(&self) -> String {
        // Serializing plain strings, numbers and booleans cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_needs_an_action_facts_and_a_ground() {
        let actions = [Action { kind: "ban", target: "u1".into() }];
        let input = |facts: &str, ground: Option<&str>| StatementInput {
            case: CaseId::new(4),
            decided_at: Timestamp::parse("2026-03-01T10:00:00Z").unwrap(),
            actions: &actions,
            facts: facts.into(),
            notices: 3,
            own_initiative: true,
            automated_detection: true,
            legal_ground: None,
            contractual_ground: ground.map(str::to_owned),
        };
        let s = StatementOfReasons::new(input("sold codewords", Some("policy spam"))).unwrap();
        assert_eq!(s.restrictions, ["ban u1"]);
        assert!(!s.automated_decision);
        let json = s.to_json();
        for key in ["\"facts\"", "\"redress\"", "\"automated_detection\":true", "\"notices\":3"] {
            assert!(json.contains(key), "{json}");
        }
        let err = StatementOfReasons::new(input("x", None)).unwrap_err();
        assert_eq!(err.to_string(), "statement.ground: a legal or a contractual ground is needed");
        let err = StatementOfReasons::new(input(" ", Some("p"))).unwrap_err();
        assert_eq!(err.to_string(), "statement.facts: empty");
    }
}
