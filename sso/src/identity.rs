//! The identity of a logged-in user, as every login method produces it.

use serde::{Deserialize, Serialize};

/// How a user proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMethod {
    /// A local account kept in the gateway's configuration (demo users, break-glass admins).
    Local,
    /// A bind against an LDAP directory or Active Directory.
    Ldap,
    /// An OpenID Connect login at an external identity provider.
    Oidc,
}

impl AuthMethod {
    /// The stable name used in audit records and assertions.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Local => "local",
            AuthMethod::Ldap => "ldap",
            AuthMethod::Oidc => "oidc",
        }
    }
}

/// A user as the gateway knows them after a successful login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The login id (`sAMAccountName`, `uid` or the local account name).
    pub user: String,
    /// The display name, usually Japanese ("山田 太郎").
    pub name: String,
    /// Mail address, when the directory has one.
    #[serde(default)]
    pub mail: Option<String>,
    /// Department name as the directory spells it ("総務課").
    #[serde(default)]
    pub department: Option<String>,
    /// Groups the user belongs to: normalised DNs (see [`crate::dn`]) for directory groups,
    /// plain names for local accounts and IdP claims.
    #[serde(default)]
    pub groups: Vec<String>,
    /// How the user logged in.
    pub method: AuthMethod,
}

impl Identity {
    /// Whether the user is a member of `group`, given as [`crate::dn::normalise_group`] made
    /// it: a DN is compared whole in its normal form (never by its first RDN), a plain name
    /// exactly, ignoring ASCII case. Directory groups are stored normalised, so this is a
    /// plain comparison on the request path.
    pub fn in_group(&self, group: &str) -> bool {
        if crate::dn::looks_like_dn(group) {
            self.groups.iter().any(|g| g == group)
        } else {
            self.groups
                .iter()
                .any(|g| !crate::dn::looks_like_dn(g) && g.eq_ignore_ascii_case(group))
        }
    }
}
