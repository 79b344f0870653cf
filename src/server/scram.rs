//! SCRAM-SHA-256 (RFC 5802, RFC 7677) on the server side, against stored
//! verifiers only: the server keeps `StoredKey` and `ServerKey`, never the
//! password or the salted password, in PostgreSQL's own text format
//! (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`), so a
//! verifier can be copied from or to `pg_authid`.
//!
//! Channel binding (`SCRAM-SHA-256-PLUS`) is not offered; a client that
//! supports it says so with the `y` flag, which is accepted.

use std::borrow::Cow;
use std::num::NonZeroU32;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::rand::{SecureRandom, SystemRandom};
use ring::{digest, hmac, pbkdf2};

/// The SASL mechanism name.
pub const MECHANISM: &str = "SCRAM-SHA-256";
/// Iterations used for new verifiers (PostgreSQL's default).
pub const DEFAULT_ITERATIONS: u32 = 4096;
const SALT_LEN: usize = 16;
const KEY_LEN: usize = 32;

/// Why an exchange failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScramError {
    /// The client's message does not follow the protocol (SQLSTATE 08P01).
    Protocol(String),
    /// The proof does not match the verifier: wrong password or unknown user (SQLSTATE 28P01).
    WrongProof,
}

impl std::fmt::Display for ScramError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScramError::Protocol(m) => write!(f, "malformed SCRAM message: {m}"),
            ScramError::WrongProof => f.write_str("SCRAM proof does not match"),
        }
    }
}

/// A stored SCRAM-SHA-256 verifier: what the server needs to check a password, and nothing more.
#[derive(Clone, PartialEq, Eq)]
pub struct Verifier {
    iterations: u32,
    salt: Vec<u8>,
    stored_key: [u8; KEY_LEN],
    server_key: [u8; KEY_LEN],
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A new verifier for `password` with a random salt.
    pub fn new(password: &str) -> Verifier {
        let mut salt = vec![0u8; SALT_LEN];
        SystemRandom::new()
            .fill(&mut salt)
            .expect("the system random generator works");
        Verifier::with_salt(password, &salt, DEFAULT_ITERATIONS)
    }

    /// The verifier for `password` with a given salt and iteration count.
    pub fn with_salt(password: &str, salt: &[u8], iterations: u32) -> Verifier {
        let normalized = stringprep::saslprep(password).unwrap_or(Cow::Borrowed(password));
        let mut salted = [0u8; KEY_LEN];
        let rounds = NonZeroU32::new(iterations.max(1)).expect("at least one iteration");
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA256,
            rounds,
            salt,
            normalized.as_bytes(),
            &mut salted,
        );
        let client_key = hmac_sha256(&salted, b"Client Key");
        let stored_key = sha256(&client_key);
        let server_key = hmac_sha256(&salted, b"Server Key");
        Verifier {
            iterations,
            salt: salt.to_vec(),
            stored_key,
            server_key,
        }
    }

    /// A verifier no password matches, stable for `seed` (used for unknown
    /// users, so that they fail the same way and at the same step as a wrong password).
    pub fn impossible(seed: &[u8]) -> Verifier {
        let salt = sha256(seed)[..SALT_LEN].to_vec();
        let mut stored_key = [0u8; KEY_LEN];
        SystemRandom::new()
            .fill(&mut stored_key)
            .expect("the system random generator works");
        Verifier {
            iterations: DEFAULT_ITERATIONS,
            salt,
            stored_key,
            server_key: stored_key,
        }
    }

    /// Parses PostgreSQL's text form `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`.
    pub fn parse(text: &str) -> Result<Verifier, String> {
        let bad = |why: &str| {
            format!(
                "invalid SCRAM verifier ({why}); expected SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>"
            )
        };
        let rest = text
            .strip_prefix("SCRAM-SHA-256$")
            .ok_or_else(|| bad("it must start with SCRAM-SHA-256$"))?;
        let (params, keys) = rest
            .split_once('$')
            .ok_or_else(|| bad("missing '$' before the keys"))?;
        let (iterations, salt) = params
            .split_once(':')
            .ok_or_else(|| bad("missing ':' after the iterations"))?;
        let (stored, server) = keys
            .split_once(':')
            .ok_or_else(|| bad("missing ':' between the keys"))?;
        let iterations: u32 = iterations
            .parse()
            .map_err(|_| bad("the iteration count is not a number"))?;
        if iterations == 0 {
            return Err(bad("the iteration count is 0"));
        }
        let salt = STANDARD
            .decode(salt)
            .map_err(|_| bad("the salt is not base64"))?;
        let key = |text: &str, name: &str| -> Result<[u8; KEY_LEN], String> {
            let bytes = STANDARD
                .decode(text)
                .map_err(|_| bad(&format!("{name} is not base64")))?;
            bytes
                .try_into()
                .map_err(|_| bad(&format!("{name} is not {KEY_LEN} bytes")))
        };
        Ok(Verifier {
            iterations,
            salt,
            stored_key: key(stored, "StoredKey")?,
            server_key: key(server, "ServerKey")?,
        })
    }

    /// Starts an exchange with the client's first message (`n,,n=…,r=…`).
    /// Returns the server-first message and the exchange awaiting the client's final message.
    pub fn start(&self, client_first: &[u8]) -> Result<(String, Exchange), ScramError> {
        let text = std::str::from_utf8(client_first)
            .map_err(|_| protocol("client-first-message is not UTF-8"))?;
        let (gs2_header, bare) = split_gs2_header(text)?;
        let client_nonce = bare
            .split(',')
            .find_map(|attr| attr.strip_prefix("r="))
            .filter(|nonce| !nonce.is_empty())
            .ok_or_else(|| protocol("client-first-message has no nonce"))?;
        if !client_nonce
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b',')
        {
            return Err(protocol("the client nonce has invalid characters"));
        }
        let mut random = [0u8; 18];
        SystemRandom::new()
            .fill(&mut random)
            .map_err(|_| protocol("no randomness available"))?;
        let nonce = format!("{client_nonce}{}", STANDARD.encode(random));
        let server_first = format!(
            "r={nonce},s={},i={}",
            STANDARD.encode(&self.salt),
            self.iterations
        );
        let exchange = Exchange {
            verifier: self.clone(),
            gs2_header: gs2_header.to_string(),
            nonce,
            auth_prefix: format!("{bare},{server_first}"),
        };
        Ok((server_first, exchange))
    }
}

impl std::fmt::Display for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SCRAM-SHA-256${}:{}${}:{}",
            self.iterations,
            STANDARD.encode(&self.salt),
            STANDARD.encode(self.stored_key),
            STANDARD.encode(self.server_key)
        )
    }
}

/// An exchange after the server-first message, waiting for the client's proof.
#[derive(Debug)]
pub struct Exchange {
    verifier: Verifier,
    gs2_header: String,
    nonce: String,
    auth_prefix: String,
}

impl Exchange {
    /// Checks the client-final message (`c=…,r=…,p=…`); on success returns the server-final message (`v=…`).
    pub fn finish(&self, client_final: &[u8]) -> Result<String, ScramError> {
        let text = std::str::from_utf8(client_final)
            .map_err(|_| protocol("client-final-message is not UTF-8"))?;
        let (without_proof, proof) = text
            .rsplit_once(",p=")
            .ok_or_else(|| protocol("client-final-message has no proof"))?;
        let mut binding = None;
        let mut nonce = None;
        for attr in without_proof.split(',') {
            if let Some(v) = attr.strip_prefix("c=") {
                binding = Some(v);
            } else if let Some(v) = attr.strip_prefix("r=") {
                nonce = Some(v);
            }
        }
        let binding =
            binding.ok_or_else(|| protocol("client-final-message has no channel binding"))?;
        let decoded = STANDARD
            .decode(binding)
            .map_err(|_| protocol("channel binding is not base64"))?;
        if decoded != self.gs2_header.as_bytes() {
            return Err(protocol("channel binding does not match the first message"));
        }
        if nonce != Some(self.nonce.as_str()) {
            return Err(protocol("the nonce does not match"));
        }
        let proof = STANDARD
            .decode(proof)
            .map_err(|_| protocol("the proof is not base64"))?;
        if proof.len() != KEY_LEN {
            return Err(ScramError::WrongProof);
        }
        let auth_message = format!("{},{without_proof}", self.auth_prefix);
        let client_signature = hmac_sha256(&self.verifier.stored_key, auth_message.as_bytes());
        let client_key: Vec<u8> = proof
            .iter()
            .zip(client_signature.iter())
            .map(|(a, b)| a ^ b)
            .collect();
        if !constant_time_eq(&sha256(&client_key), &self.verifier.stored_key) {
            return Err(ScramError::WrongProof);
        }
        let server_signature = hmac_sha256(&self.verifier.server_key, auth_message.as_bytes());
        Ok(format!("v={}", STANDARD.encode(server_signature)))
    }
}

fn protocol(message: &str) -> ScramError {
    ScramError::Protocol(message.to_string())
}

/// Splits `gs2-header client-first-message-bare`; only `n` and `y` are accepted (no channel binding).
fn split_gs2_header(text: &str) -> Result<(&str, &str), ScramError> {
    let flag = text.split(',').next().unwrap_or_default();
    match flag {
        "n" | "y" => {}
        f if f.starts_with("p=") => {
            return Err(protocol(
                "channel binding was requested but the server did not offer SCRAM-SHA-256-PLUS",
            ));
        }
        _ => return Err(protocol("invalid GS2 header")),
    }
    let second_comma = text
        .match_indices(',')
        .nth(1)
        .map(|(i, _)| i)
        .ok_or_else(|| protocol("incomplete GS2 header"))?;
    Ok((&text[..=second_comma], &text[second_comma + 1..]))
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; KEY_LEN] {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let tag = hmac::sign(&key, message);
    tag.as_ref().try_into().expect("HMAC-SHA-256 is 32 bytes")
}

fn sha256(data: &[u8]) -> [u8; KEY_LEN] {
    digest::digest(&digest::SHA256, data)
        .as_ref()
        .try_into()
        .expect("SHA-256 is 32 bytes")
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The client side of an exchange, as RFC 5802 describes it.
    fn client_final(
        password: &str,
        client_first_bare: &str,
        server_first: &str,
        gs2: &str,
    ) -> String {
        let attrs: Vec<&str> = server_first.split(',').collect();
        let nonce = attrs[0].strip_prefix("r=").unwrap();
        let salt = STANDARD
            .decode(attrs[1].strip_prefix("s=").unwrap())
            .unwrap();
        let iterations: u32 = attrs[2].strip_prefix("i=").unwrap().parse().unwrap();
        let mut salted = [0u8; KEY_LEN];
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA256,
            NonZeroU32::new(iterations).unwrap(),
            &salt,
            password.as_bytes(),
            &mut salted,
        );
        let client_key = hmac_sha256(&salted, b"Client Key");
        let stored_key = sha256(&client_key);
        let without_proof = format!("c={},r={nonce}", STANDARD.encode(gs2));
        let auth = format!("{client_first_bare},{server_first},{without_proof}");
        let signature = hmac_sha256(&stored_key, auth.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(signature)
            .map(|(a, b)| a ^ b)
            .collect();
        format!("{without_proof},p={}", STANDARD.encode(proof))
    }

    fn run(stored_for: &str, password: &str, gs2: &str) -> Result<String, ScramError> {
        let verifier = Verifier::new(stored_for);
        let bare = "n=,r=rOprNGfwEbeRWgbNEkqO";
        let (server_first, exchange) = verifier.start(format!("{gs2}{bare}").as_bytes())?;
        assert!(server_first.starts_with("r=rOprNGfwEbeRWgbNEkqO"));
        exchange.finish(client_final(password, bare, &server_first, gs2).as_bytes())
    }

    #[test]
    fn right_password_is_accepted_with_a_server_signature() {
        let server_final = run("s3cret pass", "s3cret pass", "n,,").unwrap();
        assert!(server_final.starts_with("v="));
        assert!(
            run("s3cret", "s3cret", "y,,").is_ok(),
            "a client able to bind channels but not asked to"
        );
    }

    #[test]
    fn wrong_password_is_rejected() {
        assert_eq!(run("s3cret", "S3cret", "n,,"), Err(ScramError::WrongProof));
    }

    #[test]
    fn impossible_verifier_rejects_every_password() {
        let verifier = Verifier::impossible(b"nobody");
        let bare = "n=,r=abc";
        let (server_first, exchange) = verifier.start(format!("n,,{bare}").as_bytes()).unwrap();
        let result = exchange.finish(client_final("", bare, &server_first, "n,,").as_bytes());
        assert_eq!(result, Err(ScramError::WrongProof));
    }

    #[test]
    fn verifier_text_round_trips_and_matches_postgres_format() {
        // PostgreSQL's text form: iterations and base64 salt, then base64 StoredKey:ServerKey.
        let v = Verifier::with_salt("postgres", b"0123456789abcdef", 4096);
        let text = v.to_string();
        assert!(
            text.starts_with("SCRAM-SHA-256$4096:MDEyMzQ1Njc4OWFiY2RlZg==$"),
            "{text}"
        );
        assert_eq!(Verifier::parse(&text).unwrap(), v);
    }

    #[test]
    fn bad_verifier_text_names_the_problem() {
        assert!(
            Verifier::parse("md5abc")
                .unwrap_err()
                .contains("must start with SCRAM-SHA-256$")
        );
        assert!(
            Verifier::parse("SCRAM-SHA-256$x:AA==$AA==:AA==")
                .unwrap_err()
                .contains("iteration count")
        );
        assert!(
            Verifier::parse("SCRAM-SHA-256$4096:AA==$AA==:AA==")
                .unwrap_err()
                .contains("StoredKey is not 32 bytes")
        );
    }

    #[test]
    fn malformed_messages_are_protocol_errors() {
        let v = Verifier::new("x");
        assert!(matches!(
            v.start(b"p=tls-server-end-point,,n=,r=x"),
            Err(ScramError::Protocol(_))
        ));
        assert!(matches!(v.start(b"n,,n=,"), Err(ScramError::Protocol(_))));
        assert!(matches!(
            v.start(&[0xff, 0xfe]),
            Err(ScramError::Protocol(_))
        ));
        let (_, exchange) = v.start(b"n,,n=,r=abc").unwrap();
        assert!(
            matches!(
                exchange.finish(b"c=biws,r=abc,p=AAAA"),
                Err(ScramError::Protocol(_))
            ),
            "nonce mismatch"
        );
        assert!(matches!(
            exchange.finish(b"garbage"),
            Err(ScramError::Protocol(_))
        ));
    }
}
