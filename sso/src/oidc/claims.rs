//! Claims from the ID token and userinfo, mapped to an [`Identity`] as configured.

use serde_json::{Map, Value};

use super::{OidcClaimMapping, OidcError};
use crate::identity::{AuthMethod, Identity};

/// A claim as non-empty, trimmed text.
pub(super) fn claim_text(claims: &Map<String, Value>, name: &str) -> Option<String> {
    claims
        .get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

/// The identity from the configured claims, userinfo first, then the ID token.
pub(super) fn map_identity(
    mapping: &OidcClaimMapping,
    id_token: &Map<String, Value>,
    userinfo: &Map<String, Value>,
) -> Result<Identity, OidcError> {
    let text = |name: &str| claim_text(userinfo, name).or_else(|| claim_text(id_token, name));
    let user = text(&mapping.user).ok_or_else(|| OidcError::MissingClaim(mapping.user.clone()))?;
    let groups = match userinfo
        .get(&mapping.groups)
        .or_else(|| id_token.get(&mapping.groups))
    {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .filter(|group| !group.is_empty())
            .map(str::to_owned)
            .collect(),
        Some(Value::String(group)) if !group.is_empty() => vec![group.clone()],
        _ => Vec::new(),
    };
    Ok(Identity {
        name: text(&mapping.name).unwrap_or_else(|| user.clone()),
        user,
        mail: text(&mapping.email),
        department: text(&mapping.department),
        groups,
        method: AuthMethod::Oidc,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn userinfo_claims_win_and_the_id_token_fills_gaps() {
        let id_token = map(json!({"sub": "s", "preferred_username": "yamada", "name": "古い名前"}));
        let userinfo = map(json!({"sub": "s", "name": "山田 太郎", "groups": ["a", "", 3, "b"]}));
        let identity = map_identity(&OidcClaimMapping::default(), &id_token, &userinfo);
        let identity = identity.expect("maps");
        assert_eq!(identity.user, "yamada");
        assert_eq!(identity.name, "山田 太郎");
        assert_eq!(identity.groups, ["a", "b"]);
        assert_eq!(identity.mail, None);
        assert_eq!(identity.method, AuthMethod::Oidc);
    }

    #[test]
    fn a_missing_user_claim_fails_and_a_missing_name_falls_back_to_the_user() {
        let mapping = OidcClaimMapping {
            user: "upn".into(),
            groups: "roles".into(),
            ..OidcClaimMapping::default()
        };
        let err = map_identity(&mapping, &map(json!({"sub": "s"})), &Map::new());
        assert_eq!(err.map_err(|e| e.reason()).err(), Some("missing_claim"));
        let claims = map(json!({"upn": " tanaka@city ", "roles": "admin"}));
        let identity = map_identity(&mapping, &claims, &Map::new()).expect("maps");
        assert_eq!(identity.user, "tanaka@city");
        assert_eq!(identity.name, "tanaka@city");
        assert_eq!(identity.groups, ["admin"]);
    }
}
