//! What the contract says of each operation, read once at start and enforced on every request,
//! so that the contract is the one place these facts are written: the methods of each path (405
//! and its `Allow`), the query parameters each operation takes (any other is refused), and
//! whether an API key may call it and with which scopes.

use std::collections::HashMap;

use actix_web::HttpRequest;
use actix_web::http::Method;
use mentorship_domain::people::Scope;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::RefOr;
use utoipa::openapi::path::{Operation, ParameterIn};

/// The security scheme of people's access tokens (JWTs from a login).
pub const ACCESS_TOKEN: &str = "accessToken";
/// The security scheme of scripts' API keys (`mk_...`); its requirement lists the scopes needed.
pub const API_KEY: &str = "apiKey";

/// One operation, as the server enforces it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperationFacts {
    /// The query parameters it takes.
    pub query: Vec<String>,
    /// `Some(scopes)`: an API key may call it if it has every one of them. `None`: keys may not.
    pub key_scopes: Option<Vec<Scope>>,
    /// It honours `Idempotency-Key` (the contract gives it the header).
    pub idempotent: bool,
    /// Anyone may call it, without credentials (it lists no security requirement).
    pub open: bool,
}

/// Every operation of the contract, by path pattern and method.
#[derive(Debug, Default)]
pub struct Operations {
    by_path: HashMap<String, Vec<(Method, OperationFacts)>>,
}

impl Operations {
    /// Reads the operations of the contract.
    pub fn of(doc: &OpenApiDoc) -> Self {
        let mut by_path: HashMap<String, Vec<(Method, OperationFacts)>> = HashMap::new();
        for (path, method, operation) in crate::openapi::operations(doc) {
            let served = by_path.entry(path.to_owned()).or_default();
            served.push((method, facts(operation)));
        }
        Operations { by_path }
    }

    /// The methods served at a path pattern (`/v1/paths/{id}`), for 405 answers.
    pub fn methods(&self, pattern: &str) -> Option<Vec<String>> {
        let operations = self.by_path.get(pattern)?;
        Some(operations.iter().map(|(m, _)| m.to_string()).collect())
    }

    /// Whether the path pattern (`/v1/paths/{id}`) is served with `method`; `None` for a path
    /// the contract does not have. Allocates nothing: it runs on every request.
    pub fn serves(&self, pattern: &str, method: &Method) -> Option<bool> {
        let operations = self.by_path.get(pattern)?;
        Some(operations.iter().any(|(m, _)| m == method))
    }

    /// The operation a request reached, if it reached one.
    pub fn of_request(&self, req: &HttpRequest) -> Option<&OperationFacts> {
        let pattern = req.match_pattern()?;
        self.by_path
            .get(&pattern)?
            .iter()
            .find(|(m, _)| m == req.method())
            .map(|(_, facts)| facts)
    }
}

/// What the server enforces of one operation of the contract.
pub fn facts(operation: &Operation) -> OperationFacts {
    let query = operation
        .parameters
        .iter()
        .flatten()
        .filter_map(|p| match p {
            RefOr::T(p) if p.parameter_in == ParameterIn::Query => Some(p.name.clone()),
            _ => None,
        })
        .collect();
    let key_scopes = operation
        .security
        .iter()
        .flatten()
        .find_map(|requirement| scopes_of(requirement, API_KEY));
    let idempotent = operation.parameters.iter().flatten().any(|p| match p {
        RefOr::T(p) => {
            p.parameter_in == ParameterIn::Header && p.name == crate::openapi::IDEMPOTENCY_KEY
        }
        RefOr::Ref(_) => false,
    });
    OperationFacts {
        query,
        key_scopes,
        idempotent,
        open: operation.security.is_none(),
    }
}

/// The scopes a security requirement asks of `scheme`, if it names it.
fn scopes_of(
    requirement: &utoipa::openapi::security::SecurityRequirement,
    scheme: &str,
) -> Option<Vec<Scope>> {
    let value = serde_json::to_value(requirement).ok()?;
    let scopes = value.get(scheme)?.as_array()?;
    Some(
        scopes
            .iter()
            .filter_map(|s| s.as_str()?.parse().ok())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_says_which_operations_keys_may_call() {
        let operations = Operations::of(&crate::app::openapi());
        let facts = |path: &str, method: Method| {
            operations.by_path[path]
                .iter()
                .find(|(m, _)| *m == method)
                .map(|(_, f)| f.clone())
                .unwrap()
        };
        assert_eq!(
            facts("/v1/paths", Method::GET).key_scopes,
            Some(vec![Scope::PathsRead])
        );
        assert_eq!(facts("/v1/api-keys", Method::POST).key_scopes, None);
        let list = facts("/v1/paths", Method::GET).query;
        for name in ["field", "limit", "cursor"] {
            assert!(list.contains(&name.to_owned()), "{list:?}");
        }
        assert_eq!(
            operations.methods("/v1/paths/{id}").unwrap(),
            ["GET", "PATCH"]
        );
    }
}
