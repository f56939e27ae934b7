//! Enforcement plans: a decision acts on the person, so every account linked
//! to the case gets its own recorded action, plus the person's identifiers
//! for new-account checks and the hashtags the decision blocks.

use guardrail_core::AccountId;

use crate::ReviewError;

/// What a violating decision does to the account(s).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AccountAction {
    /// Nothing to the accounts themselves.
    #[default]
    None,
    /// Suspend them.
    Suspend,
    /// Ban them.
    Ban,
}

impl AccountAction {
    /// The action's name.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountAction::None => "none",
            AccountAction::Suspend => "suspend",
            AccountAction::Ban => "ban",
        }
    }

    /// The action of a name.
    pub fn parse(s: &str) -> Option<AccountAction> {
        [AccountAction::None, AccountAction::Suspend, AccountAction::Ban]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

/// What a violating decision asks the platform (and the guard) to do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Enforcement {
    /// Ban, suspend or leave the accounts.
    pub account_action: AccountAction,
    /// Keep the accounts out of every discovery surface.
    pub not_recommendable: bool,
    /// Add the person's identifiers (emails, phones, devices) to new-account checks.
    pub block_identifiers: bool,
    /// Hashtags to block.
    pub block_hashtags: Vec<String>,
}

/// One action for the platform to carry out, as the outbox holds it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Action {
    /// What to do (`ban`, `suspend`, `not_recommendable`, `block_identifier`,
    /// `block_hashtag`, `restore`).
    pub kind: &'static str,
    /// To what: an account id, an identifier or a hashtag.
    pub target: String,
}

/// The actions of a violating decision on a case whose subject links
/// `accounts` (every account of the person or network) and `identifiers`.
/// A decision that acts on accounts when the case has none (a hashtag case)
/// is refused, naming the field.
pub fn plan(
    accounts: &[AccountId],
    identifiers: &[String],
    enforcement: &Enforcement,
) -> Result<Vec<Action>, ReviewError> {
    let acts_on_accounts = enforcement.account_action != AccountAction::None
        || enforcement.not_recommendable
        || enforcement.block_identifiers;
    if acts_on_accounts && accounts.is_empty() {
        return Err(ReviewError::field(
            "decision.enforcement",
            "acts on accounts, but the case links none (a post without a known author, or a hashtag)",
        ));
    }
    let mut actions = Vec::new();
    let mut accounts: Vec<&AccountId> = accounts.iter().collect();
    accounts.sort();
    accounts.dedup();
    for account in &accounts {
        if enforcement.account_action != AccountAction::None {
            actions.push(Action {
                kind: enforcement.account_action.as_str(),
                target: account.as_str().to_owned(),
            });
        }
        if enforcement.not_recommendable {
            actions.push(Action { kind: "not_recommendable", target: account.as_str().to_owned() });
        }
    }
    if enforcement.block_identifiers {
        let mut ids: Vec<&String> = identifiers.iter().collect();
        ids.sort();
        ids.dedup();
        actions.extend(
            ids.into_iter().map(|i| Action { kind: "block_identifier", target: i.clone() }),
        );
    }
    for tag in &enforcement.block_hashtags {
        let tag = tag.strip_prefix('#').unwrap_or(tag);
        if tag.is_empty() || tag.chars().any(char::is_whitespace) {
            return Err(ReviewError::field(
                "decision.enforcement.block_hashtags",
                format!("{tag:?} is not a hashtag"),
            ));
        }
        actions.push(Action { kind: "block_hashtag", target: tag.to_owned() });
    }
    if actions.is_empty() {
        return Err(ReviewError::field(
            "decision.enforcement",
            "a violating decision does something (ban, suspend, not recommendable, block identifiers or hashtags)",
        ));
    }
    Ok(actions)
}

/// The actions that undo an earlier violating decision (after an appeal
/// overturned it): a `restore` per account.
pub fn restore(accounts: &[AccountId]) -> Vec<Action> {
    let mut accounts: Vec<&AccountId> = accounts.iter().collect();
    accounts.sort();
    accounts.dedup();
    accounts
        .into_iter()
        .map(|a| Action { kind: "restore", target: a.as_str().to_owned() })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_acts_on_every_linked_account() {
        let accounts: Vec<AccountId> = vec!["u3".into(), "u1".into(), "u2".into(), "u1".into()];
        let enforcement = Enforcement {
            account_action: AccountAction::Ban,
            not_recommendable: true,
            block_identifiers: true,
            block_hashtags: vec!["#codeword".into()],
        };
        let actions = plan(&accounts, &["email:x@example.test".into()], &enforcement).unwrap();
        let kinds: Vec<(&str, &str)> =
            actions.iter().map(|a| (a.kind, a.target.as_str())).collect();
        assert_eq!(
            kinds,
            [
                ("ban", "u1"),
                ("not_recommendable", "u1"),
                ("ban", "u2"),
                ("not_recommendable", "u2"),
                ("ban", "u3"),
                ("not_recommendable", "u3"),
                ("block_identifier", "email:x@example.test"),
                ("block_hashtag", "codeword"),
            ]
        );
        assert_eq!(restore(&accounts).len(), 3);
    }

    #[test]
    fn plans_that_cannot_act_are_refused() {
        let ban = Enforcement { account_action: AccountAction::Ban, ..Enforcement::default() };
        let err = plan(&[], &[], &ban).unwrap_err();
        assert!(err.to_string().starts_with("decision.enforcement: acts on accounts"), "{err}");
        let nothing = Enforcement::default();
        assert!(plan(&["u1".into()], &[], &nothing).is_err());
        let tags_only =
            Enforcement { block_hashtags: vec!["tag".into()], ..Enforcement::default() };
        assert_eq!(plan(&[], &[], &tags_only).unwrap().len(), 1);
    }
}
