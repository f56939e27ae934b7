//! Typed identifiers. Platform ids are opaque strings chosen by the platform;
//! the newtypes keep an account id from being passed where a post id belongs.

use std::fmt;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
        pub struct $name(String);

        impl $name {
            /// Wraps a platform-chosen id. The caller guarantees it is not empty;
            /// the event parser checks this for untrusted input.
            pub fn new(id: impl Into<String>) -> $name {
                $name(id.into())
            }

            /// The id as the platform wrote it.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Consumes the id, returning the inner string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> $name {
                $name(id.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> $name {
                $name(id)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

string_id!(
    /// The id of one event in a stream; unique within the stream, it makes ingest idempotent.
    EventId
);
string_id!(
    /// A platform account.
    AccountId
);
string_id!(
    /// A platform post.
    PostId
);
string_id!(
    /// A platform comment.
    CommentId
);
string_id!(
    /// A person: one human behind one or more accounts, as identity linking infers it.
    PersonId
);

macro_rules! number_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
        pub struct $name(u64);

        impl $name {
            /// Wraps a number the store assigned.
            pub fn new(id: u64) -> $name {
                $name(id)
            }

            /// The number.
            pub fn get(self) -> u64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

number_id!(
    /// A report received for review (from the event stream, the CLI or the
    /// API), numbered by the store in the order reports were committed.
    ReportId
);
number_id!(
    /// A review case: the reports and signals about one person, network or
    /// account, numbered by the store.
    CaseId
);

/// A borrowed account id: what the online checks take, so a caller holding
/// the `&str` of a request or an [`AccountId`] passes it without allocating,
/// and an account is never passed where a hashtag or a text belongs.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct AccountRef<'a>(&'a str);

impl<'a> AccountRef<'a> {
    /// Borrows a platform-chosen account id.
    pub fn new(id: &'a str) -> AccountRef<'a> {
        AccountRef(id)
    }

    /// The id as the platform wrote it.
    pub fn as_str(self) -> &'a str {
        self.0
    }
}

impl<'a> From<&'a str> for AccountRef<'a> {
    fn from(id: &'a str) -> AccountRef<'a> {
        AccountRef(id)
    }
}

impl<'a> From<&'a String> for AccountRef<'a> {
    fn from(id: &'a String) -> AccountRef<'a> {
        AccountRef(id)
    }
}

impl<'a> From<&'a AccountId> for AccountRef<'a> {
    fn from(id: &'a AccountId) -> AccountRef<'a> {
        AccountRef(id.as_str())
    }
}

impl fmt::Display for AccountRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}
