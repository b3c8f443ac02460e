//! Authentication: anonymous, `Basic`, and the bearer token flow a `WWW-Authenticate`
//! challenge starts (docker token authentication: a `GET` of the realm with
//! `service` and `scope`, or a `POST` with a refresh token; the answer's `token` or
//! `access_token` goes into `Authorization: Bearer`).

mod challenge;
mod credentials;

pub use challenge::Challenge;
pub use credentials::{CredentialStore, Credentials};

use crate::error::{Error, Result};
use buckle_http::{Body, Client, Method, NoReporter, Request};
use credentials::Secret;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// The largest token answer read.
const MAX_TOKEN_ANSWER: u64 = 1 << 20;

#[derive(Deserialize)]
struct TokenAnswer {
    token: Option<String>,
    access_token: Option<String>,
}

/// The bearer token in a token service's answer (its `token`, else its `access_token`);
/// the error says what the answer lacks ("sent no token JSON: ..." or "sent no `token`").
pub fn token_from_answer(body: &[u8]) -> std::result::Result<String, String> {
    let answer: TokenAnswer = serde_json::from_slice(body).map_err(|e| format!("sent no token JSON: {e}"))?;
    answer
        .token
        .or(answer.access_token)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| "sent no `token`".to_owned())
}

/// What one registry needs for authentication: its credentials, the challenge it
/// sent, and the tokens already obtained (per set of scopes).
pub(crate) struct Auth {
    registry: String,
    credentials: Option<Credentials>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    challenge: Option<Challenge>,
    tokens: BTreeMap<String, String>,
}

impl Auth {
    pub(crate) fn new(registry: &str, credentials: Option<Credentials>) -> Self {
        Auth {
            registry: registry.to_owned(),
            credentials,
            state: Mutex::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records how the registry wants to be authenticated (from `GET /v2/`).
    pub(crate) fn learn(&self, header: Option<&str>) -> Result<Challenge> {
        let challenge = header.and_then(Challenge::parse).ok_or_else(|| Error::Auth {
            registry: self.registry.clone(),
            reason: format!(
                "it answered 401 without a Basic or Bearer challenge (WWW-Authenticate: {})",
                header.unwrap_or("none")
            ),
        })?;
        self.state().challenge = Some(challenge.clone());
        Ok(challenge)
    }

    /// The `Authorization` value for a request needing `scopes`: the password for
    /// `Basic`, a token for `Bearer` (fetched now when there is none yet).
    pub(crate) fn prepare(&self, http: &Client, scopes: &[String]) -> Result<Option<String>> {
        let challenge = self.state().challenge.clone();
        match challenge {
            None => Ok(None),
            Some(Challenge::Basic) => Ok(self.credentials.as_ref().and_then(Credentials::basic_header)),
            Some(Challenge::Bearer { realm, service, .. }) => {
                let key = scopes.join(" ");
                if let Some(token) = self.state().tokens.get(&key) {
                    return Ok(Some(format!("Bearer {token}")));
                }
                let token = self.fetch_token(http, &realm, service.as_deref(), scopes)?;
                self.state().tokens.insert(key, token.clone());
                Ok(Some(format!("Bearer {token}")))
            }
        }
    }

    /// Learns from a 401 answer and obtains what the next attempt needs. `sent` is
    /// the `Authorization` the refused request carried.
    pub(crate) fn on_unauthorized(
        &self,
        http: &Client,
        header: Option<&str>,
        scopes: &[String],
        sent: Option<&str>,
    ) -> Result<()> {
        match self.learn(header)? {
            Challenge::Basic => match (&self.credentials, sent) {
                (None, _) => Err(self.auth_required()),
                (Some(credentials), Some(_)) => Err(self.bad_credentials(credentials)),
                (Some(_), None) => Ok(()),
            },
            Challenge::Bearer {
                realm,
                service,
                scope,
            } => {
                // A fresh token, also for the scope the registry named.
                let mut wanted = scopes.to_vec();
                wanted.extend(scope.filter(|s| !wanted.contains(s)));
                let token = self.fetch_token(http, &realm, service.as_deref(), &wanted)?;
                self.state().tokens.insert(scopes.join(" "), token);
                Ok(())
            }
        }
    }

    /// The error for a request refused even with the credentials or token sent.
    pub(crate) fn refused(&self, scopes: &[String]) -> Error {
        match (&self.state().challenge, &self.credentials) {
            (Some(Challenge::Basic), Some(credentials)) => self.bad_credentials(credentials),
            (_, None) => self.auth_required(),
            (_, Some(_)) => Error::Denied {
                registry: self.registry.clone(),
                scope: scopes.join(" "),
            },
        }
    }

    fn fetch_token(
        &self,
        http: &Client,
        realm: &str,
        service: Option<&str>,
        scopes: &[String],
    ) -> Result<String> {
        let mut params: Vec<(&str, &str)> = Vec::new();
        if let Some(service) = service {
            params.push(("service", service));
        }
        params.extend(scopes.iter().map(|s| ("scope", s.as_str())));
        let refresh = match self.credentials.as_ref().map(|c| &c.secret) {
            Some(Secret::IdentityToken(token)) => Some(token.as_str()),
            _ => None,
        };
        let form;
        let request = match refresh {
            // OAuth2 refresh-token grant (docker's `identitytoken`).
            Some(token) => {
                params.extend([
                    ("grant_type", "refresh_token"),
                    ("refresh_token", token),
                    ("client_id", "buckle"),
                ]);
                form = encode_query(&params);
                Request::new(Method::Post, realm)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(Body::Bytes(form.as_bytes()))
            }
            None => {
                let separator = if realm.contains('?') { '&' } else { '?' };
                let url = format!("{realm}{separator}{}", encode_query(&params));
                let request = Request::get(url);
                match self.credentials.as_ref().and_then(Credentials::basic_header) {
                    Some(basic) => request.header("authorization", basic),
                    None => request,
                }
            }
        };
        let response = http.send(&request, &NoReporter)?;
        match response.status() {
            200..=299 => {}
            401 | 403 => {
                return Err(match &self.credentials {
                    Some(credentials) => self.bad_credentials(credentials),
                    None => self.auth_required(),
                })
            }
            status => {
                return Err(Error::Auth {
                    registry: self.registry.clone(),
                    reason: format!("the token service `{realm}` answered HTTP {status}"),
                })
            }
        }
        token_from_answer(&response.into_bytes(MAX_TOKEN_ANSWER)?).map_err(|problem| Error::Auth {
            registry: self.registry.clone(),
            reason: format!("the token service `{realm}` {problem}"),
        })
    }

    fn auth_required(&self) -> Error {
        Error::AuthRequired {
            registry: self.registry.clone(),
        }
    }

    fn bad_credentials(&self, credentials: &Credentials) -> Error {
        Error::BadCredentials {
            registry: self.registry.clone(),
            user: credentials.username.clone(),
            origin: credentials.origin.clone(),
        }
    }
}

/// `k=v&k2=v2`, percent-encoding everything but RFC 3986's unreserved characters.
pub(crate) fn encode_query(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(key, value)| format!("{}={}", percent_encode(key), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_percent_encoded_in_the_token_query() {
        assert_eq!(
            encode_query(&[("service", "r.example"), ("scope", "repository:a/b:pull,push")]),
            "service=r.example&scope=repository%3Aa%2Fb%3Apull%2Cpush"
        );
    }

    #[test]
    fn a_token_answer_gives_its_token_else_its_access_token_and_says_what_it_lacks() {
        assert_eq!(
            token_from_answer(br#"{"token":"t","access_token":"a"}"#),
            Ok("t".to_owned())
        );
        assert_eq!(
            token_from_answer(br#"{"access_token":"a","expires_in":60}"#),
            Ok("a".to_owned())
        );
        assert_eq!(
            token_from_answer(br#"{"token":""}"#),
            Err("sent no `token`".to_owned())
        );
        let not_json = token_from_answer(b"<html>").unwrap_err();
        assert!(not_json.starts_with("sent no token JSON: "), "{not_json}");
    }
}
